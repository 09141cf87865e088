"""A merchant's overrides of a preset: validation per kind, the effective policy and its
cache, and the preview of a policy on the built-in sample order."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import policies
from app.domain.shops import Shop
from app.errors import InvalidInput, NotAllowed
from app.services import eligibility, policy_settings
from app.services.policy_settings import (
    build_policy,
    policy_for,
    preview,
    sample_order,
    save_policy,
    validate_overrides,
)

WINDOW = "discretionary.rules[-1].window.days"
FAULT_WINDOW = "merchant_fault.rules[-1].window.days"
NOW = datetime(2026, 3, 4, 15, 30, tzinfo=ZoneInfo("America/New_York"))


def a_shop(preset: str = "petite-plume", **overrides: object) -> Shop:
    return Shop(
        domain="petite-plume-test.myshopify.com",
        status="installed",
        policy_preset=preset,
        policy_overrides=overrides or None,
    )


class InMemoryShops:
    """The one store method saving a policy needs."""

    def __init__(self) -> None:
        self.saved: list[Shop] = []

    def put_shop(self, shop: Shop) -> None:
        self.saved.append(shop)


def line(result: policy_settings.Preview, title: str) -> policy_settings.PreviewLine:
    return next(ln for ln in result.lines if ln.title == title)


# -- validation, per kind ------------------------------------------------------------------


@pytest.mark.parametrize(
    "preset,path,typed,stored",
    [
        ("petite-plume", WINDOW, "14", "14"),
        ("petite-plume", WINDOW, 21, "21"),
        ("cn-consumer", FAULT_WINDOW, " 45 ", "45"),
        ("petite-plume", "backorders.notice_within_hours", "48", "48"),
        ("petite-plume", "fees.return_label", "4.5", "4.50"),
        ("petite-plume", "fees.return_label", "0", "0.00"),
        ("lavish-ivy", "fees.restocking.percent", "12.50", "12.5"),
        ("petite-plume", "fees.restocking.percent", 5, "5"),
        (
            "petite-plume",
            "final_sale.tags",
            "clearance, Last Chance ,,clearance",
            ["clearance", "Last Chance"],
        ),
        ("lavish-ivy", "final_sale.tags", ["sample", "archive"], ["sample", "archive"]),
        ("lavish-ivy", "compensation.delay.threshold_business_days", "3", "3"),
        ("cn-consumer", "review.deadline_business_days", "2", "2"),
    ],
)
def test_valid_values_are_stored_as_text_when_typed_by_a_merchant(preset, path, typed, stored):
    assert validate_overrides(preset, {path: typed}) == {path: stored}


@pytest.mark.parametrize(
    "path,typed,message",
    [
        (WINDOW, "0", "must be a whole number of days from 1 to 365"),
        (WINDOW, "366", "must be a whole number of days from 1 to 365"),
        (WINDOW, "two weeks", "must be a whole number of days from 1 to 365"),
        (WINDOW, "14.5", "must be a whole number of days from 1 to 365"),
        (WINDOW, True, "must be a whole number of days from 1 to 365"),
        ("refund_sla.refund_business_days", "61", "whole number of business days from 1 to 60"),
        ("backorders.notice_within_hours", "-1", "must be a whole number of hours from 1 to 168"),
        ("fees.return_label", "6.999", "must be an amount from 0 to 100"),
        ("fees.return_label", "$5", "must be an amount from 0 to 100"),
        ("fees.return_label", 6.95, "must be an amount from 0 to 100"),  # never a float
        ("fees.return_label", "150", "must be an amount from 0 to 100"),
        ("fees.restocking.percent", "101", "must be a percentage from 0 to 100"),
        ("final_sale.tags", "x" * 41, "must be tags separated by commas"),
        ("final_sale.tags", ",".join(f"t{i}" for i in range(21)), "at most 20 tags"),
        ("final_sale.tags", 7, "must be tags separated by commas"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(path, typed, message):
    with pytest.raises(InvalidInput) as caught:
        validate_overrides("petite-plume", {path: typed})
    assert caught.value.field == f"overrides.{path}"
    assert message in str(caught.value)


def test_a_setting_the_preset_does_not_have_is_refused_by_name():
    # Lavish Ivy charges no label fee and has no backorder rules
    for path in ("fees.return_label", "backorders.backordered_after_days"):
        with pytest.raises(InvalidInput) as caught:
            validate_overrides("lavish-ivy", {path: "5"})
        assert caught.value.field == f"overrides.{path}"
        assert "not part of the Lavish Ivy policy" in str(caught.value)
    with pytest.raises(InvalidInput) as caught:
        validate_overrides("petite-plume", {"name": "my-shop"})
    assert caught.value.field == "overrides.name"


@pytest.mark.parametrize("preset", ["", "nope", None, 3])
def test_an_unknown_preset_names_the_preset_field(preset):
    with pytest.raises(InvalidInput) as caught:
        validate_overrides(preset, {})
    assert caught.value.field == "preset"
    assert "petite-plume" in str(caught.value)


def test_blank_values_keep_the_presets_and_are_not_stored():
    assert (
        validate_overrides(
            "petite-plume", {WINDOW: "", FAULT_WINDOW: "  ", "final_sale.tags": None}
        )
        == {}
    )


# -- the effective policy ----------------------------------------------------------------------


def test_an_override_changes_only_its_field_and_the_rest_is_the_presets():
    preset = policies.load_preset("petite-plume")
    policy = build_policy("petite-plume", {WINDOW: "14"})
    assert policy.discretionary.rules[-1].window.days == 14
    # The 45-day size exchange rule and the 7-day damage window are the preset's
    assert policy.discretionary.rules[0] == preset.discretionary.rules[0]
    assert policy.merchant_fault == preset.merchant_fault
    assert policy.fees == preset.fees and policy.final_sale == preset.final_sale
    # The preset's summary no longer describes it, so the explanation leaves it out
    text = policies.explain(policy)
    assert "within 14 days of delivery" in text and preset.summary not in text


def test_a_restocking_fee_is_created_on_a_preset_without_one_and_zero_removes_it():
    petite = build_policy("petite-plume", {"fees.restocking.percent": "5"})
    assert petite.fees.restocking is not None and petite.fees.restocking.percent == Decimal("5")
    ivy = build_policy("lavish-ivy", {"fees.restocking.percent": "20"})
    assert ivy.fees.restocking.percent == Decimal("20")
    assert ivy.fees.restocking.cap == Decimal("15.00")  # the preset's cap stays
    assert build_policy("lavish-ivy", {"fees.restocking.percent": "0"}).fees.restocking is None


def test_a_zero_label_fee_means_the_customer_ships_at_their_own_cost():
    policy = build_policy("petite-plume", {"fees.return_label": "0.00"})
    assert policy.fees.return_label is None
    assert not any(rule.label_fee for rule in policy.return_shipping.discretionary)
    assert "return label fee" not in policies.explain(policy)


def test_final_sale_tags_replace_the_presets():
    policy = build_policy("petite-plume", {"final_sale.tags": ["clearance"]})
    assert policy.final_sale.tags == ("clearance",)
    assert policy.final_sale.product_types == ("Hair Bows", "Dog Accessories")


def test_policy_for_a_shop_without_overrides_is_the_preset():
    assert policy_for(a_shop("lavish-ivy")) is policies.load_preset("lavish-ivy")


def test_the_cache_returns_the_same_policy_for_the_same_settings():
    first = policy_for(a_shop(**{WINDOW: "14", "final_sale.tags": ["clearance"]}))
    again = policy_for(a_shop(**{"final_sale.tags": ["clearance"], WINDOW: "14"}))
    assert again == first and again is first
    other = policy_for(a_shop(**{WINDOW: "15"}))
    assert other != first and other.discretionary.rules[-1].window.days == 15


def test_stored_blanks_stand_for_the_presets_values():
    assert policy_for(a_shop(**{WINDOW: ""})) is policies.load_preset("petite-plume")


def test_a_stored_override_that_no_longer_fits_is_skipped_and_the_others_apply():
    # GIVEN overrides saved for Petite Plume, one of which Lavish Ivy does not offer
    shop = a_shop("lavish-ivy", **{WINDOW: "21", "backorders.notice_within_hours": "12"})
    policy = policy_for(shop)
    assert policy.discretionary.rules[-1].window.days == 21
    assert policy.backorders is None


def test_eligibility_decides_under_the_shops_effective_policy():
    sample = sample_order(a_shop(**{WINDOW: "5"}), NOW, delivered_days_ago=10)
    dress = sample.lines[0]
    decision = eligibility.decide(sample.shop, sample.view, [dress.request], NOW)
    assert decision.items[0].eligible is False
    assert eligibility.policy_for(sample.shop).discretionary.rules[-1].window.days == 5


# -- saving -------------------------------------------------------------------------------------


def test_saving_stores_the_preset_and_the_overrides_as_text():
    store = InMemoryShops()
    saved = save_policy(
        store,
        a_shop(),
        "lavish-ivy",
        {WINDOW: 14, "final_sale.tags": "clearance"},
        by_role="manager",
    )
    assert store.saved == [saved]
    assert saved.policy_preset == "lavish-ivy"
    assert saved.policy_overrides == {WINDOW: "14", "final_sale.tags": ["clearance"]}


def test_saving_without_overrides_blanks_the_ones_stored_before():
    store = InMemoryShops()
    saved = save_policy(store, a_shop(**{WINDOW: "14"}), "petite-plume", None, by_role="owner")
    assert saved.policy_overrides == {WINDOW: ""}
    assert policy_for(saved) is policies.load_preset("petite-plume")
    assert policy_settings.stored_overrides(saved.policy_overrides) == {}


def test_only_owners_and_managers_save_and_bad_input_saves_nothing():
    store = InMemoryShops()
    with pytest.raises(NotAllowed):
        save_policy(store, a_shop(), "lavish-ivy", {}, by_role="supervisor")
    with pytest.raises(InvalidInput) as caught:
        save_policy(store, a_shop(), "petite-plume", {WINDOW: "0"}, by_role="owner")
    assert caught.value.field == f"overrides.{WINDOW}"
    with pytest.raises(InvalidInput) as caught:
        save_policy(store, a_shop(), "petite-plume", ["14"], by_role="owner")
    assert caught.value.field == "overrides"
    assert store.saved == []


def test_fields_show_the_merchants_value_beside_the_presets():
    states = {s.field.path: s for s in policy_settings.fields_for("petite-plume", {WINDOW: "14"})}
    assert states[WINDOW].value == "14" and states[WINDOW].preset_value == "30"
    assert states["fees.return_label"].value is None
    assert states["fees.return_label"].preset_value == "6.95"
    assert states["fees.restocking.percent"].preset_value is None
    assert states["final_sale.tags"].preset_value == ["final-sale", "sale"]
    assert "compensation.delay.threshold_business_days" not in states
    assert states[WINDOW].to_json_dict()["kind"] == "days"


# -- the preview ------------------------------------------------------------------------------


def test_the_sample_is_delivered_the_given_days_ago_with_aware_times():
    sample = sample_order(a_shop(), NOW, delivered_days_ago=12)
    assert sample.view.delivered_at == NOW - timedelta(days=12)
    assert sample.view.order.created_at.tzinfo is not None
    assert len(sample.lines) == 4 and "delivered 12 days ago" in sample.description


def test_the_final_sale_item_is_refused_with_a_reason_in_plain_words():
    result = preview(policies.load_preset("petite-plume"), sample_order(a_shop(), NOW))
    tee = line(result, "Striped tee")
    assert tee.eligible is False and tee.refund_amount == Decimal("0.00")
    assert any("final sale" in reason for reason in tee.reasons)


def test_a_shorter_window_moves_the_dress_from_eligible_to_refused():
    sample = sample_order(a_shop(), NOW, delivered_days_ago=20)
    before = line(preview(policies.load_preset("petite-plume"), sample), "Linen sundress")
    after = line(preview(build_policy("petite-plume", {WINDOW: "14"}), sample), "Linen sundress")
    assert before.eligible is True and after.eligible is False
    assert after.window_ends == (NOW - timedelta(days=20)).date() + timedelta(days=14)
    assert any("ended 14 days after delivery" in reason for reason in after.reasons)


def test_amounts_are_decimal_with_the_label_fee_taken_from_the_refund():
    result = preview(policies.load_preset("petite-plume"), sample_order(a_shop(), NOW))
    dress = line(result, "Linen sundress")
    assert isinstance(dress.refund_amount, Decimal)
    assert dress.label_fee == Decimal("6.95") and dress.refund_amount == Decimal("61.05")
    assert dress.fees == Decimal("6.95")
    assert result.refund_total == sum((ln.refund_amount for ln in result.lines), Decimal("0"))
    # A cheaper label fee shows at once
    cheaper = preview(
        build_policy("petite-plume", {"fees.return_label": "2.00"}), sample_order(a_shop(), NOW)
    )
    assert line(cheaper, "Linen sundress").refund_amount == Decimal("66.00")
    assert cheaper.to_json_dict()["lines"][0]["refund_amount"] == "66.00"


def test_the_faulty_item_follows_the_damage_window():
    sample = sample_order(a_shop(), NOW, delivered_days_ago=10)
    assert (
        line(preview(policies.load_preset("petite-plume"), sample), "Knit cardigan").eligible
        is False
    )
    longer = build_policy("petite-plume", {FAULT_WINDOW: "30"})
    cardigan = line(preview(longer, sample), "Knit cardigan")
    assert cardigan.eligible is True and cardigan.refund_amount == Decimal("56.00")


@pytest.mark.parametrize("typed,days", [(None, 10), ("", 10), ("0", 0), (" 45 ", 45), (365, 365)])
def test_the_delivery_age_of_the_sample_is_read_from_a_form(typed, days):
    assert policy_settings.parse_delivered_days_ago(typed) == days


@pytest.mark.parametrize("typed", ["-1", "366", "soon", 2.5, True])
def test_a_bad_delivery_age_names_its_field(typed):
    with pytest.raises(InvalidInput) as caught:
        policy_settings.parse_delivered_days_ago(typed)
    assert caught.value.field == "delivered_days_ago"


def test_preset_values_list_the_presets_offering_each_setting():
    values = policy_settings.preset_values()
    assert values[WINDOW] == {"cn-consumer": "7", "lavish-ivy": "30", "petite-plume": "30"}
    assert set(values["fees.return_label"]) == {"petite-plume"}
    assert values[FAULT_WINDOW]["cn-consumer"] == "30"
