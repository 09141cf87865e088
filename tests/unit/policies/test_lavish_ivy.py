"""Lavish Ivy (seed 001): cases from the playbook, table-driven.

Delivery in these requests is 2026-03-05 (Los Angeles): returns end 2026-04-04,
bespoke exchanges 2026-04-19, shipment damage 2026-03-19, product failure 2026-06-03.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from policies import load_preset

from .builders import LOS_ANGELES, decide, item, line, only_item, request

PRESET = "lavish-ivy"


def ivy(*items, lines=None, subtotal="500.00", requested_at="2026-03-20T09:00:00-07:00", **kw):
    return request(
        *(items or [item(condition="unopened")]),
        lines=lines,
        shop=LOS_ANGELES,
        subtotal=subtotal,
        created_at="2026-03-01T10:00:00-08:00",
        shipped_at=kw.pop("shipped_at", "2026-03-02T15:00:00-08:00"),
        delivered_at=kw.pop("delivered_at", "2026-03-05T12:00:00-08:00"),
        requested_at=requested_at,
        **kw,
    )


ITEM_CASES = [
    (
        "unopened-return-on-day-30-pays-10-percent",
        ivy(requested_at="2026-04-04T23:00:00-07:00"),
        {
            "eligible": True,
            "window_ends": "2026-04-04",
            "restocking_fee": "4.80",
            "refund_amount": "43.20",
            "label_fee": "0.00",
            "return_shipping_paid_by": "customer",
        },
    ),
    (
        "unopened-return-on-day-31",
        ivy(requested_at="2026-04-05T00:01:00-07:00"),
        {"eligible": False, "window_ends": "2026-04-04", "restocking_fee": "0.00"},
    ),
    (
        "tags-attached-is-not-unopened",
        ivy(item(condition="unworn_tags_attached")),
        {"eligible": False},
    ),
    (
        "sale-tag-is-not-final-sale-here",
        ivy(item(condition="unopened"), lines=[line(tags=["sale", "final-sale"])]),
        {"eligible": True, "refund_amount": "43.20"},
    ),
    (
        "below-compare-at-is-not-final-sale-here",
        ivy(item(condition="unopened"), lines=[line(compare_at_price="90.00")]),
        {"eligible": True},
    ),
    (
        "domestic-order-over-75-still-ships-at-customer-cost",
        ivy(item(condition="unopened", resolution="exchange", reason="size_fit")),
        {
            "eligible": True,
            "return_shipping_paid_by": "customer",
            "label_fee": "0.00",
            "restocking_fee": "0.00",
            "refund_amount": "0.00",
        },
    ),
    (
        "store-credit-pays-restocking-too",
        ivy(item(condition="unopened", resolution="store_credit"), lines=[line(price="175.00")]),
        {"eligible": True, "restocking_fee": "15.00", "refund_amount": "160.00"},
    ),
    (
        "restocking-is-capped-at-15",
        ivy(item(condition="unopened"), lines=[line(price="175.00")]),
        {"restocking_fee": "15.00", "refund_amount": "160.00"},
    ),
    (
        "restocking-at-exactly-the-cap",
        ivy(item(condition="unopened"), lines=[line(price="150.00")]),
        {"restocking_fee": "15.00", "refund_amount": "135.00"},
    ),
    (
        "restocking-rounds-half-up-to-the-cent",
        ivy(item(condition="unopened"), lines=[line(price="12.25")]),
        {"restocking_fee": "1.23", "refund_amount": "11.02"},
    ),
    (
        "restocking-applies-to-the-line-not-the-unit",
        ivy(item(condition="unopened", quantity=2), lines=[line(price="100.00", quantity=2)]),
        {"restocking_fee": "15.00", "refund_amount": "185.00"},
    ),
    (
        "bespoke-exchange-on-day-45",
        ivy(
            item(reason="color_style", resolution="exchange", condition="unworn_tags_attached"),
            lines=[line(tags=["Bespoke"])],
            requested_at="2026-04-19T18:00:00-07:00",
        ),
        {"eligible": True, "window_ends": "2026-04-19", "refund_amount": "0.00"},
    ),
    (
        "bespoke-exchange-on-day-46",
        ivy(
            item(reason="size_fit", resolution="exchange", condition="unopened"),
            lines=[line(tags=["bespoke"])],
            requested_at="2026-04-20T09:00:00-07:00",
        ),
        {"eligible": False, "window_ends": "2026-04-19"},
    ),
    (
        "bespoke-replacement-counts-as-exchange",
        ivy(
            item(reason="size_fit", resolution="replacement", condition="unopened"),
            lines=[line(tags=["bespoke"])],
        ),
        {"eligible": True, "resolution": "exchange"},
    ),
    (
        "bespoke-worn-is-refused",
        ivy(
            item(reason="size_fit", resolution="exchange", condition="worn"),
            lines=[line(tags=["bespoke"])],
        ),
        {"eligible": False},
    ),
    (
        "bespoke-with-a-defect-is-refunded",
        ivy(item(reason="defective"), lines=[line(tags=["bespoke"])]),
        {"eligible": True, "refund_amount": "48.00", "discount_code_percent": 15},
    ),
    (
        "shipment-damage-on-day-14-needs-no-photo",
        ivy(item(reason="damaged_in_transit"), requested_at="2026-03-19T23:00:00-07:00"),
        {
            "eligible": True,
            "window_ends": "2026-03-19",
            "photos_required": 0,
            "refund_amount": "48.00",
            "restocking_fee": "0.00",
            "return_shipping_paid_by": "merchant",
            "discount_code_percent": 0,
        },
    ),
    (
        "shipment-damage-on-day-15",
        ivy(item(reason="damaged_in_transit"), requested_at="2026-03-20T00:00:00-07:00"),
        {"eligible": False, "window_ends": "2026-03-19"},
    ),
    (
        "wrong-item-on-day-14",
        ivy(item(reason="wrong_item"), requested_at="2026-03-19T12:00:00-07:00"),
        {"eligible": True, "window_ends": "2026-03-19"},
    ),
    (
        "not-as-described-on-day-15",
        ivy(item(reason="not_as_described"), requested_at="2026-03-20T12:00:00-07:00"),
        {"eligible": False},
    ),
    (
        "product-failure-on-day-90-gets-a-discount-code",
        ivy(item(reason="defective", condition="worn"), requested_at="2026-06-03T20:00:00-07:00"),
        {
            "eligible": True,
            "window_ends": "2026-06-03",
            "refund_amount": "48.00",
            "restocking_fee": "0.00",
            "return_shipping_paid_by": "merchant",
            "discount_code_percent": 15,
        },
    ),
    (
        "product-failure-on-day-91",
        ivy(item(reason="defective"), requested_at="2026-06-04T08:00:00-07:00"),
        {"eligible": False, "window_ends": "2026-06-03", "discount_code_percent": 0},
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in ITEM_CASES]
)
def test_item_decision_follows_the_playbook_when_case_applies(data, expected):
    decided = only_item(PRESET, data)

    assert {key: decided[key] for key in expected} == expected
    assert decided["reasons"]


@pytest.mark.parametrize("resolution", ["refund", "store_credit"])
def test_bespoke_item_is_exchange_only_when_money_back_is_asked_for(resolution):
    decided = only_item(
        PRESET,
        ivy(
            item(reason="changed_mind", resolution=resolution, condition="unopened"),
            lines=[line(tags=["bespoke"])],
        ),
    )

    assert decided["eligible"] is False
    assert decided["refund_amount"] == decided["restocking_fee"] == "0.00"
    assert any("exchange" in r for r in decided["reasons"])


def test_each_175_line_pays_its_own_15_fee_when_two_lines_are_returned():
    data = ivy(
        item(line_item_id="1", condition="unopened"),
        item(line_item_id="2", condition="unopened"),
        lines=[line(id="1", price="175.00"), line(id="2", price="175.00")],
        subtotal="350.00",
    )

    body = decide(PRESET, data).to_json_dict()

    assert [i["restocking_fee"] for i in body["items"]] == ["15.00", "15.00"]
    assert body["refund_total"] == "320.00"
    assert body["approver_role"] == "owner"


ON_TIME = "2026-03-10T09:00:00-07:00"
LATE_FOR_DAMAGE = "2026-04-01T09:00:00-07:00"


@pytest.mark.parametrize(
    ("items", "lines", "requested_at", "role"),
    [
        # 333.34 - 15.00 restocking = 318.34 > 300: owner.
        ([item(condition="unopened")], [line(price="333.34")], ON_TIME, "owner"),
        # 315.00 - 15.00 = 300.00 exactly: automatic.
        ([item(condition="unopened")], [line(price="315.00")], ON_TIME, None),
        # 315.01 - 15.00 = 300.01: owner.
        ([item(condition="unopened")], [line(price="315.01")], ON_TIME, "owner"),
        # An eligible merchant-fault item needs a manager.
        ([item(reason="wrong_item")], [line(price="20.00")], ON_TIME, "manager"),
        # ...and the owner wins over the manager above 300.00.
        ([item(reason="defective")], [line(price="300.01")], ON_TIME, "owner"),
        # A merchant-fault claim past its 14 days is not eligible: no manager.
        ([item(reason="wrong_item")], [line()], LATE_FOR_DAMAGE, None),
        # An accepted damage claim resolved by replacement still needs the manager.
        (
            [item(reason="damaged_in_transit", resolution="replacement")],
            [line()],
            ON_TIME,
            "manager",
        ),
    ],
)
def test_approver_follows_the_escalation_matrix_when_refund_total_and_claims_vary(
    items, lines, requested_at, role
):
    decision = decide(PRESET, ivy(*items, lines=lines, requested_at=requested_at))

    assert decision.to_json_dict()["approver_role"] == role
    assert decision.requires_review is (role is not None)


@pytest.mark.parametrize(
    ("resolutions", "due"),
    [
        (["store_credit"], 1),
        (["store_credit", "store_credit"], 1),
        (["store_credit", "refund"], 5),
        (["refund"], 5),
        (["exchange"], 5),
        (["exchange", "store_credit"], 1),
    ],
)
def test_refund_due_is_1_business_day_only_when_all_money_back_is_store_credit(resolutions, due):
    lines = [line(id=str(i)) for i in range(len(resolutions))]
    items = [
        item(line_item_id=str(i), resolution=r, condition="unopened", reason="size_fit")
        for i, r in enumerate(resolutions)
    ]

    decision = decide(PRESET, ivy(*items, lines=lines))

    assert decision.refund_due_by_business_days == due


def test_refund_due_ignores_ineligible_refunds_when_the_rest_is_store_credit():
    data = ivy(
        item(line_item_id="1", resolution="store_credit", condition="unopened"),
        item(line_item_id="2", resolution="refund", condition="worn"),
        lines=[line(id="1"), line(id="2")],
    )

    assert decide(PRESET, data).refund_due_by_business_days == 1


def test_refund_due_is_5_when_nothing_is_eligible():
    data = ivy(item(condition="worn"))

    assert decide(PRESET, data).refund_due_by_business_days == 5


@pytest.mark.parametrize(
    ("order_total", "credit"),
    [
        ("0.00", "10.00"),
        ("149.99", "10.00"),
        ("150.00", "15.00"),
        ("399.99", "15.00"),
        ("400.00", "25.00"),
        ("2500.00", "25.00"),
    ],
)
def test_delay_credit_follows_the_order_size_tiers_when_an_order_is_late(order_total, credit):
    assert load_preset(PRESET).delay_credit(Decimal(order_total)) == Decimal(credit)


def test_preset_exposes_delay_and_dispatch_fields_when_other_features_read_them():
    policy = load_preset(PRESET)

    delay = policy.compensation.delay
    assert delay is not None
    assert delay.threshold_business_days == 5
    assert delay.upgrade_shipping is True
    assert delay.recovery_spend_target_percent == Decimal(3)
    assert policy.fulfillment.dispatch_business_days == 2
    assert policy.fulfillment.shipping_methods["standard"].transit_business_days == 5
    assert policy.fulfillment.shipping_methods["expedited"].transit_business_days == 2
    assert policy.refund_sla.refund_business_days == 5
    assert policy.refund_sla.store_credit_business_days == 1
