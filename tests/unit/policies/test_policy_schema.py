"""Policy documents: merchants' own YAML, validated at load time with errors naming the field."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pytest
import yaml

from policies import (
    InvalidPolicy,
    PolicyError,
    UnknownPreset,
    evaluate,
    load_policy,
    load_preset,
    preset_names,
)
from policies.schema import Approval
from policies.vocabulary import Anchor, ApproverRole, BackorderOption, DayUnit

from .builders import item, request

REFUND_ITEM, KEEP_ON_FILE = BackorderOption.REFUND_ITEM, BackorderOption.KEEP_ON_FILE

MINIMAL = """
name: corner-shop
display_name: Corner Shop
assumed_transit_days: 4
discretionary:
  rules:
    - window: {days: 10, anchor: delivered, unit: business_days}
      conditions: [unworn_tags_attached]
merchant_fault:
  rules:
    - window: {days: 20}
refund_sla:
  counted_from: approval
  refund_business_days: 5
fees:
  restocking: {percent: 12.5, floor: 2.00, cap: "20"}
"""
EARLY = "2026-03-10T10:00:00-04:00"


def _with(patch: str) -> str:
    """MINIMAL with its top-level keys replaced by those in `patch`."""
    document = yaml.safe_load(MINIMAL)
    document.update(yaml.safe_load(patch))
    return yaml.safe_dump(document, sort_keys=False)


def test_preset_names_are_the_three_presets_when_listed():
    assert preset_names() == ("cn-consumer", "lavish-ivy", "petite-plume")


@pytest.mark.parametrize("name", ["petite-plume", "lavish-ivy", "cn-consumer"])
def test_preset_is_the_same_yaml_a_merchant_writes_when_loaded_as_text(name):
    text = (resources.files("policies") / "presets" / f"{name}.yaml").read_text(encoding="utf-8")

    assert load_policy(text) == load_preset(name)


def test_unknown_preset_names_the_presets_when_requested():
    with pytest.raises(UnknownPreset, match=r"unknown preset 'bored-shop'.*petite-plume"):
        load_preset("bored-shop")


def test_merchant_policy_evaluates_business_day_windows_when_written_in_yaml():
    policy = load_policy(MINIMAL)
    # Delivered Thursday 2026-03-05: 10 business days later is Thursday 2026-03-19.
    on_time = evaluate(policy, request(requested_at="2026-03-19T22:00:00-04:00"))
    late = evaluate(policy, request(requested_at="2026-03-20T00:30:00-04:00"))

    assert policy.discretionary.rules[0].window.unit is DayUnit.BUSINESS_DAYS
    assert policy.discretionary.rules[0].window.anchor is Anchor.DELIVERED
    assert on_time.items[0].eligible is True
    assert str(on_time.items[0].window_ends) == "2026-03-19"
    assert late.items[0].eligible is False
    assert any("10 business days after delivery" in r for r in late.items[0].reasons)


def test_restocking_floor_applies_when_the_percentage_is_smaller():
    policy = load_policy(MINIMAL)

    decided = evaluate(policy, request(lines=[_line("10.00")], requested_at=EARLY)).items[0]
    capped = evaluate(policy, request(lines=[_line("400.00")], requested_at=EARLY)).items[0]

    # 12.5% of 10.00 is 1.25, below the 2.00 floor; of 400.00 it is 50.00, above the cap.
    assert (decided.restocking_fee, decided.refund_amount) == (Decimal("2.00"), Decimal("8.00"))
    assert capped.restocking_fee == Decimal("20.00")


def test_floor_above_the_price_leaves_a_zero_refund_when_the_item_is_cheap():
    policy = load_policy(MINIMAL)

    decided = evaluate(policy, request(lines=[_line("1.50")], requested_at=EARLY)).items[0]

    assert decided.restocking_fee == Decimal("1.50")
    assert decided.refund_amount == Decimal("0.00")


def _line(price: str) -> dict:
    return {
        "id": "11",
        "title": "Cap",
        "product_type": "Hats",
        "tags": [],
        "price": price,
        "compare_at_price": None,
        "quantity": 1,
    }


def test_anchor_ordered_counts_from_the_order_date_when_configured():
    policy = load_policy(
        _with("discretionary: {rules: [{window: {days: 10, anchor: ordered}, conditions: [worn]}]}")
    )

    decided = evaluate(policy, request(item(condition="worn"))).items[0]

    assert str(decided.window_ends) == "2026-03-11"


def test_anchor_shipped_counts_from_the_first_fulfillment_when_configured():
    policy = load_policy(
        _with("discretionary: {rules: [{window: {days: 10, anchor: shipped}, conditions: [worn]}]}")
    )

    decided = evaluate(policy, request(item(condition="worn"))).items[0]

    assert str(decided.window_ends) == "2026-03-12"


def test_no_rule_for_the_reason_refuses_the_item_when_the_policy_takes_none():
    policy = load_policy(_with("discretionary: {rules: []}"))

    decided = evaluate(policy, request()).items[0]

    assert decided.eligible is False
    assert decided.window_ends is None
    assert decided.reasons == ("Returns for change of mind are not accepted for this item",)


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        (
            "fees: {restocking: {percent: 150}}",
            "fees.restocking.percent",
            "must be between 0 and 100",
        ),
        (
            "fees: {restocking: {percent: -1}}",
            "fees.restocking.percent",
            "must be between 0 and 100",
        ),
        (
            "fees: {restocking: {percent: 10, floor: '9.00', cap: '5.00'}}",
            "fees.restocking.floor",
            "must not be more than the cap",
        ),
        (
            "fees: {restocking: {percent: 10, resolutions: [refund, exchange]}}",
            "fees.restocking.resolutions[1]",
            "refund or store_credit",
        ),
        ("fees: {return_label: 6.955}", "fees.return_label", "at most two decimals"),
        ("fees: {return_label: '-1.00'}", "fees.return_label", "money must be"),
        ("fees: {return_label: true}", "fees.return_label", "money must be"),
        ("fees: {return_label: .inf}", "fees.return_label", "money must be"),
        ("fees: {restocking_fee: 10}", "fees.restocking_fee", "unknown field"),
        ("assumed_transit_days: -2", "assumed_transit_days", "0 or more"),
        ("assumed_transit_days: 2.5", "assumed_transit_days", "whole number"),
        ("name: Corner Shop", "name", "lowercase"),
        ("currency: dollars", "currency", "three-letter"),
        (
            "discretionary: {rules: [{window: {days: 30, anchor: arrival}, conditions: [worn]}]}",
            "discretionary.rules[0].window.anchor",
            "unknown value 'arrival' (expected one of ordered, shipped, delivered)",
        ),
        (
            "discretionary: {rules: [{window: {days: 30}, conditions: []}]}",
            "discretionary.rules[0].conditions",
            "must not be empty",
        ),
        (
            "discretionary: {rules: [{window: {days: 30}, conditions: [dirty]}]}",
            "discretionary.rules[0].conditions[0]",
            "unknown value 'dirty'",
        ),
        (
            "discretionary: {rules: [{window: {days: 30}, conditions: [worn], resolutions: []}]}",
            "discretionary.rules[0].resolutions",
            "at least one resolution",
        ),
        (
            "discretionary: {rules: [{when: {fact: mood, op: eq, value: sad}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.fact",
            "unknown fact 'mood'",
        ),
        (
            "discretionary: {rules: [{when: {fact: reason, op: equals, value: size_fit}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.op",
            "unknown operator 'equals'",
        ),
        (
            "discretionary: {rules: [{when: {fact: reason, op: gt, value: size_fit}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.op",
            "does not apply to reason",
        ),
        (
            "discretionary: {rules: [{when: {all: [{fact: resolution, op: eq, value: exchange},"
            " {fact: reason, op: in, value: [size_fit, bored]}]}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.all[1].value[1]",
            "unknown reason 'bored'",
        ),
        (
            "discretionary: {rules: [{when: {fact: reason, op: in, value: size_fit}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.value",
            "needs a non-empty list",
        ),
        (
            "discretionary: {rules: [{when: {any: []}, window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.any",
            "non-empty list",
        ),
        (
            "discretionary: {rules: [{when: {fact: reason, op: eq}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.value",
            "required",
        ),
        (
            "discretionary: {rules: [{when: {fact: domestic, op: eq, value: 'yes'}, "
            "window: {days: 30}, conditions: [worn]}]}",
            "discretionary.rules[0].when.value",
            "true or false",
        ),
        (
            "return_shipping: {discretionary: [{paid_by: customer, label_fee: true}]}",
            "return_shipping.discretionary[0].label_fee",
            "needs fees.return_label",
        ),
        (
            "return_shipping: {discretionary: [{paid_by: merchant, label_fee: true}]}",
            "return_shipping.discretionary[0].label_fee",
            "only applies when paid_by is customer",
        ),
        (
            "return_shipping: {discretionary: [{when: {fact: domestic, op: eq, value: true},"
            " paid_by: merchant}]}",
            "return_shipping.discretionary[0].when",
            "has no `when`",
        ),
        (
            "return_shipping: {discretionary: [{paid_by: nobody}]}",
            "return_shipping.discretionary[0].paid_by",
            "unknown value 'nobody'",
        ),
        (
            "review: {approvals: [{when: {fact: reason, op: eq, value: defective}, role: owner}]}",
            "review.approvals[0].when.fact",
            "unknown fact 'reason'",
        ),
        (
            "review: {approvals: [{role: director}]}",
            "review.approvals[0].role",
            "unknown value 'director'",
        ),
        (
            "merchant_fault: {rules: [{window: {days: 7}, photos: -1}]}",
            "merchant_fault.rules[0].photos",
            "0 or more",
        ),
        (
            "merchant_fault: {rules: [{window: {days: 7}, discount_code_percent: 101}]}",
            "merchant_fault.rules[0].discount_code_percent",
            "between 0 and 100",
        ),
        (
            "merchant_fault: {not_quality_problems: [scratches]}",
            "merchant_fault.not_quality_problems[0]",
            "unknown value 'scratches'",
        ),
        (
            "compensation: {delay: {threshold_business_days: 5, store_credit_tiers: "
            "[{from_order_total: '0.00', credit: '10.00'}, {from_order_total: '0.00', credit: '5'}]}}",
            "compensation.delay.store_credit_tiers[1].from_order_total",
            "increasing order",
        ),
        (
            "compensation: {delay: {threshold_business_days: 5, store_credit_tiers: "
            "[{from_order_total: '50.00', credit: '10.00'}]}}",
            "compensation.delay.store_credit_tiers[0].from_order_total",
            "starts at 0",
        ),
        ("refund_sla: {refund_business_days: 5}", "refund_sla.counted_from", "required"),
        ("backorders: {backordered_after_days: 7}", "backorders.notice_within_hours", "required"),
    ],
)
def test_invalid_policy_names_the_field_when_a_rule_is_broken(patch, field, message):
    with pytest.raises(InvalidPolicy) as caught:
        load_policy(_with(patch))

    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{field}: ")


def test_missing_field_is_named_when_the_policy_omits_it():
    with pytest.raises(InvalidPolicy, match=r"^refund_sla: required$"):
        load_policy("name: x\ndisplay_name: X\nassumed_transit_days: 3\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed", "malformed YAML at line"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("", "must be a YAML mapping"),
    ],
)
def test_policy_error_names_the_document_when_it_is_not_a_mapping(text, message):
    with pytest.raises(InvalidPolicy, match=message) as caught:
        load_policy(text)

    assert caught.value.field == "policy"
    assert isinstance(caught.value, PolicyError)
    assert isinstance(caught.value, ValueError)


def test_yaml_numbers_are_read_exactly_when_money_has_a_fraction():
    policy = load_policy(_with("fees: {return_label: 6.95, expedited_exchange: 8}"))

    assert policy.fees.return_label == Decimal("6.95")
    assert policy.fees.expedited_exchange == Decimal("8.00")
    assert load_policy(MINIMAL).fees.restocking.percent == Decimal("12.5")


def test_policy_is_immutable_when_loaded():
    policy = load_preset("petite-plume")

    with pytest.raises(ValueError, match="frozen"):
        policy.assumed_transit_days = 9  # type: ignore[misc]


@pytest.mark.parametrize(
    ("preset", "field", "expected"),
    [
        ("petite-plume", "backorders.backordered_after_days", 7),
        ("petite-plume", "backorders.notice_within_hours", 24),
        ("petite-plume", "backorders.customer_options", (REFUND_ITEM, KEEP_ON_FILE)),
        (
            "petite-plume",
            "review.approvals",
            (
                Approval(
                    role=ApproverRole.SUPERVISOR,
                    tier=2,
                    when={"fact": "refund_total", "op": "gt", "value": "150.00"},
                ),
            ),
        ),
        ("petite-plume", "fulfillment.dispatch_business_days", 2),
        ("petite-plume", "merchant_fault.resolve_within_hours", 72),
        ("petite-plume", "refund_sla.refund_target_business_days", 3),
        ("petite-plume", "refund_sla.refund_business_days", 7),
        ("petite-plume", "fees.return_label", Decimal("6.95")),
        ("petite-plume", "fees.expedited_exchange", Decimal("8.00")),
        ("lavish-ivy", "fees.restocking.cap", Decimal("15.00")),
        ("lavish-ivy", "fees.restocking.percent", Decimal(10)),
        ("lavish-ivy", "compensation.delay.threshold_business_days", 5),
        ("cn-consumer", "review.deadline_business_days", 1),
        ("cn-consumer", "complaints.proposal_within_hours", 48),
    ],
)
def test_preset_field_has_a_typed_value_when_other_features_read_it(preset, field, expected):
    value = load_preset(preset)
    for part in field.split("."):
        value = getattr(value, part)

    assert value == expected
    assert type(value) is type(expected)
