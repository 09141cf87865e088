"""Petite Plume (seed 000): cases from the playbook, table-driven.

Delivery in the default request is 2026-03-05 (New York), so returns end
2026-04-04, size/color exchanges 2026-04-19 and damage reports 2026-03-12.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from .builders import decide, item, line, only_item, request

PRESET = "petite-plume"

# (id, request, expected subset of the item decision)
ITEM_CASES = [
    (
        "refund-on-the-last-local-minute-of-day-30",
        request(requested_at="2026-04-04T23:59:00-04:00"),
        {"eligible": True, "window_ends": "2026-04-04", "refund_amount": "48.00"},
    ),
    (
        "refund-at-midnight-starting-day-31",
        request(requested_at="2026-04-05T00:00:00-04:00"),
        {"eligible": False, "window_ends": "2026-04-04", "refund_amount": "0.00"},
    ),
    (
        "refund-at-0359-utc-is-still-day-30-in-new-york",
        request(requested_at="2026-04-05T03:59:00+00:00"),
        {"eligible": True, "window_ends": "2026-04-04"},
    ),
    (
        "refund-at-0400-utc-is-day-31-in-new-york",
        request(requested_at="2026-04-05T04:00:00Z"),
        {"eligible": False, "window_ends": "2026-04-04"},
    ),
    (
        "late-evening-delivery-counts-on-the-local-date",
        request(delivered_at="2026-03-06T03:30:00Z", requested_at="2026-04-05T01:00:00-04:00"),
        {"eligible": False, "window_ends": "2026-04-04"},
    ),
    (
        "size-exchange-on-day-45",
        request(
            item(reason="size_fit", resolution="exchange"),
            requested_at="2026-04-19T20:00:00-04:00",
        ),
        {
            "eligible": True,
            "window_ends": "2026-04-19",
            "refund_amount": "0.00",
            "return_shipping_paid_by": "merchant",
            "resolution": "exchange",
        },
    ),
    (
        "size-exchange-on-day-46",
        request(
            item(reason="size_fit", resolution="exchange"),
            requested_at="2026-04-20T08:00:00-04:00",
        ),
        {"eligible": False, "window_ends": "2026-04-19"},
    ),
    (
        "color-exchange-on-day-45",
        request(
            item(reason="color_style", resolution="exchange"),
            requested_at="2026-04-19T12:00:00-04:00",
        ),
        {"eligible": True, "window_ends": "2026-04-19"},
    ),
    (
        "change-of-mind-exchange-keeps-30-days",
        request(
            item(reason="changed_mind", resolution="exchange"),
            requested_at="2026-04-05T12:00:00-04:00",
        ),
        {"eligible": False, "window_ends": "2026-04-04"},
    ),
    (
        "size-refund-keeps-30-days",
        request(
            item(reason="size_fit", resolution="refund"),
            requested_at="2026-04-05T12:00:00-04:00",
        ),
        {"eligible": False, "window_ends": "2026-04-04"},
    ),
    (
        "discretionary-replacement-is-an-exchange",
        request(
            item(reason="size_fit", resolution="replacement"),
            requested_at="2026-04-19T12:00:00-04:00",
        ),
        {"eligible": True, "window_ends": "2026-04-19", "resolution": "exchange"},
    ),
    (
        "store-credit-gives-the-full-price-back",
        request(item(resolution="store_credit")),
        {"eligible": True, "refund_amount": "48.00", "resolution": "store_credit"},
    ),
    (
        "unopened-item-is-accepted",
        request(item(condition="unopened")),
        {"eligible": True},
    ),
    (
        "below-compare-at-without-a-sale-tag-is-not-final-sale",
        request(lines=[line(compare_at_price="60.00")]),
        {"eligible": True, "refund_amount": "48.00"},
    ),
    (
        "two-units-refund-twice-the-price",
        request(item(quantity=2), lines=[line(quantity=3)], subtotal="144.00"),
        {"eligible": True, "refund_amount": "96.00", "quantity": 2},
    ),
    (
        "final-sale-item-with-a-defect-is-refunded-in-full",
        request(
            item(reason="defective", photos=2),
            lines=[line(tags=["final-sale"])],
            subtotal="48.00",
            requested_at="2026-03-10T09:00:00-04:00",
        ),
        {
            "eligible": True,
            "refund_amount": "48.00",
            "label_fee": "0.00",
            "return_shipping_paid_by": "merchant",
            "photos_required": 2,
        },
    ),
    (
        "damage-report-on-day-7",
        request(
            item(reason="damaged_in_transit", photos=2),
            requested_at="2026-03-12T23:30:00-04:00",
        ),
        {"eligible": True, "window_ends": "2026-03-12", "photos_required": 2},
    ),
    (
        "damage-report-on-day-8",
        request(
            item(reason="damaged_in_transit", photos=2),
            requested_at="2026-03-13T00:10:00-04:00",
        ),
        {"eligible": False, "window_ends": "2026-03-12", "refund_amount": "0.00"},
    ),
    (
        "damage-report-with-one-photo",
        request(item(reason="defective", photos=1), requested_at="2026-03-10T09:00:00-04:00"),
        {"eligible": False, "photos_required": 2, "refund_amount": "0.00"},
    ),
    (
        "worn-item-with-a-defect-is-accepted",
        request(
            item(reason="defective", condition="worn", photos=2),
            requested_at="2026-03-10T09:00:00-04:00",
        ),
        {"eligible": True, "refund_amount": "48.00"},
    ),
    (
        "merchant-fault-on-a-small-order-ships-free-without-label-fee",
        request(
            item(reason="wrong_item", photos=2),
            subtotal="48.00",
            requested_at="2026-03-10T09:00:00-04:00",
        ),
        {"eligible": True, "label_fee": "0.00", "return_shipping_paid_by": "merchant"},
    ),
    (
        "subtotal-exactly-75-is-not-free",
        request(subtotal="75.00"),
        {
            "eligible": True,
            "label_fee": "6.95",
            "refund_amount": "41.05",
            "return_shipping_paid_by": "customer",
        },
    ),
    (
        "subtotal-75-01-is-free",
        request(subtotal="75.01"),
        {"label_fee": "0.00", "refund_amount": "48.00", "return_shipping_paid_by": "merchant"},
    ),
    (
        "international-order-over-75-pays-the-label",
        request(subtotal="200.00", shipping_country="CA"),
        {"label_fee": "6.95", "refund_amount": "41.05", "return_shipping_paid_by": "customer"},
    ),
    (
        "order-without-shipping-country-is-not-domestic",
        request(subtotal="200.00", shipping_country=None),
        {"label_fee": "6.95", "return_shipping_paid_by": "customer"},
    ),
    (
        "store-credit-on-a-small-order-pays-the-label",
        request(item(resolution="store_credit"), subtotal="48.00"),
        {"label_fee": "6.95", "refund_amount": "41.05"},
    ),
    (
        "exchange-on-a-small-order-ships-free",
        request(item(reason="size_fit", resolution="exchange"), subtotal="48.00"),
        {"eligible": True, "label_fee": "0.00", "return_shipping_paid_by": "merchant"},
    ),
    (
        "expedited-exchange-pays-8",
        request(item(reason="size_fit", resolution="exchange", expedited=True)),
        {"eligible": True, "exchange_fee": "8.00", "refund_amount": "0.00"},
    ),
    (
        "expedited-flag-on-a-refund-costs-nothing",
        request(item(expedited=True)),
        {"exchange_fee": "0.00", "refund_amount": "48.00"},
    ),
    (
        "expedited-replacement-for-a-defect-costs-nothing",
        request(
            item(reason="defective", resolution="replacement", photos=2, expedited=True),
            requested_at="2026-03-10T09:00:00-04:00",
        ),
        {"eligible": True, "exchange_fee": "0.00", "resolution": "replacement"},
    ),
    (
        "label-fee-above-the-price-leaves-zero",
        request(lines=[line(price="5.00")], subtotal="5.00"),
        {"eligible": True, "label_fee": "5.00", "refund_amount": "0.00"},
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in ITEM_CASES]
)
def test_item_decision_follows_the_playbook_when_case_applies(data, expected):
    decided = only_item(PRESET, data)

    assert {key: decided[key] for key in expected} == expected
    assert decided["reasons"], "every decision explains itself"


@pytest.mark.parametrize("condition", ["worn", "washed", "unworn_no_tags", "opened", None])
def test_discretionary_return_is_refused_when_the_item_is_not_unworn_with_tags(condition):
    decided = only_item(PRESET, request(item(condition=condition)))

    assert decided["eligible"] is False
    assert decided["refund_amount"] == "0.00"
    assert any("unworn with tags attached or unopened" in r for r in decided["reasons"])


@pytest.mark.parametrize(
    ("tags", "product_type"),
    [
        (["final-sale"], "Rompers"),
        (["sale"], "Rompers"),
        (["SALE"], "Rompers"),
        (["  Final-Sale "], "Rompers"),
        ([], "Hair Bows"),
        ([], "hair bows"),
        ([], "Dog Accessories"),
    ],
)
@pytest.mark.parametrize("resolution", ["refund", "store_credit", "exchange", "replacement"])
def test_final_sale_blocks_every_discretionary_resolution_when_tagged_or_typed(
    tags, product_type, resolution
):
    data = request(
        item(reason="size_fit", resolution=resolution),
        lines=[line(tags=tags, product_type=product_type)],
    )

    decided = only_item(PRESET, data)

    assert decided["eligible"] is False
    assert decided["exchange_fee"] == decided["label_fee"] == "0.00"
    assert any("final sale" in r for r in decided["reasons"])


@pytest.mark.parametrize(
    "reason", ["defective", "damaged_in_transit", "wrong_item", "not_as_described"]
)
def test_every_merchant_fault_reason_needs_two_photos_within_7_days_when_reported(reason):
    on_time = only_item(
        PRESET, request(item(reason=reason, photos=2), requested_at="2026-03-12T10:00:00-04:00")
    )
    short = only_item(
        PRESET, request(item(reason=reason, photos=1), requested_at="2026-03-12T10:00:00-04:00")
    )

    assert on_time["eligible"] is True
    assert on_time["photos_required"] == 2
    assert short["eligible"] is False
    assert any("at least 2 photos" in r for r in short["reasons"])


def test_label_fee_is_charged_once_on_the_first_refund_when_several_items_are_returned():
    data = request(
        item(line_item_id="11"),
        item(line_item_id="12", resolution="store_credit"),
        lines=[line(id="11"), line(id="12", price="30.00")],
        subtotal="70.00",
    )

    body = decide(PRESET, data).to_json_dict()

    assert [i["label_fee"] for i in body["items"]] == ["6.95", "0.00"]
    assert [i["refund_amount"] for i in body["items"]] == ["41.05", "30.00"]
    assert [i["return_shipping_paid_by"] for i in body["items"]] == ["customer", "customer"]
    assert body["refund_total"] == "71.05"


def test_label_fee_moves_to_the_next_item_when_the_first_is_not_eligible_or_not_a_refund():
    data = request(
        item(line_item_id="10", reason="defective", photos=2),
        item(line_item_id="11", condition="worn"),
        item(line_item_id="12", reason="size_fit", resolution="exchange"),
        item(line_item_id="13"),
        lines=[line(id="10"), line(id="11"), line(id="12"), line(id="13", price="20.00")],
        subtotal="70.00",
        requested_at="2026-03-10T09:00:00-04:00",
    )

    items = decide(PRESET, data).to_json_dict()["items"]

    assert [i["eligible"] for i in items] == [True, False, True, True]
    assert [i["label_fee"] for i in items] == ["0.00", "0.00", "0.00", "6.95"]
    assert items[3]["refund_amount"] == "13.05"


def test_expedited_fee_is_charged_once_when_two_expedited_exchanges_are_requested():
    data = request(
        item(
            line_item_id="11",
            reason="size_fit",
            resolution="exchange",
            condition="worn",
            expedited=True,
        ),
        item(line_item_id="12", reason="size_fit", resolution="exchange", expedited=True),
        item(line_item_id="13", reason="color_style", resolution="replacement", expedited=True),
        lines=[line(id="11"), line(id="12"), line(id="13")],
        subtotal="144.00",
    )

    items = decide(PRESET, data).to_json_dict()["items"]

    assert [i["exchange_fee"] for i in items] == ["0.00", "8.00", "0.00"]


@pytest.mark.parametrize(
    ("prices", "requires_review"),
    [
        (["150.00"], False),
        (["150.01"], True),
        (["100.00", "50.00"], False),
        (["100.00", "50.01"], True),
    ],
)
def test_supervisor_reviews_only_when_refund_total_is_over_150(prices, requires_review):
    lines = [line(id=str(20 + i), price=p) for i, p in enumerate(prices)]
    items = [item(line_item_id=str(20 + i)) for i in range(len(prices))]

    decision = decide(PRESET, request(*items, lines=lines, subtotal="300.00"))

    assert decision.requires_review is requires_review
    assert decision.to_json_dict()["approver_role"] == ("supervisor" if requires_review else None)


def test_refund_total_counts_store_credit_when_review_threshold_is_compared():
    data = request(
        item(line_item_id="1", resolution="store_credit"),
        item(line_item_id="2"),
        lines=[line(id="1", price="100.00"), line(id="2", price="60.00")],
        subtotal="160.00",
    )

    body = decide(PRESET, data).to_json_dict()

    assert body["refund_total"] == "160.00"
    assert body["approver_role"] == "supervisor"


@pytest.mark.parametrize("resolution", ["refund", "store_credit", "exchange"])
def test_refund_is_due_within_7_business_days_when_any_resolution_is_chosen(resolution):
    decision = decide(PRESET, request(item(reason="size_fit", resolution=resolution)))

    assert decision.refund_due_by_business_days == 7


def test_nothing_is_eligible_when_the_order_has_not_shipped():
    decided = only_item(PRESET, request(shipped_at=None, delivered_at=None))

    assert decided["eligible"] is False
    assert decided["window_ends"] is None
    assert decided["refund_amount"] == "0.00"
    assert any("not shipped" in r for r in decided["reasons"])


@pytest.mark.parametrize(
    ("shipped_at", "assumed_delivery", "window_ends"),
    [
        # Monday 2026-03-02 + 5 business days.
        ("2026-03-02T15:00:00-05:00", "2026-03-09", "2026-04-08"),
        # Shipped the evening before Thanksgiving: Thursday 26 is skipped.
        ("2026-11-25T19:00:00-05:00", "2026-12-03", "2027-01-02"),
        # 03:00 UTC on the 25th is still the 24th in New York: one more business day.
        ("2026-11-25T03:00:00Z", "2026-12-02", "2027-01-01"),
        # Christmas Day (Friday) is skipped.
        ("2026-12-23T10:00:00-05:00", "2026-12-31", "2027-01-30"),
        # Shipped on a Saturday: transit counts Monday to Friday.
        ("2026-03-07T11:00:00-05:00", "2026-03-13", "2026-04-12"),
    ],
)
def test_delivery_is_assumed_5_business_days_after_shipping_when_no_delivery_event(
    shipped_at, assumed_delivery, window_ends
):
    decided = only_item(
        PRESET,
        request(shipped_at=shipped_at, delivered_at=None, requested_at="2026-03-03T09:00:00-05:00"),
    )

    assert decided["window_ends"] == window_ends
    assert any(assumed_delivery in r and "5 business days" in r for r in decided["reasons"])


@pytest.mark.parametrize(
    ("delivered_at", "requested_at", "eligible", "window_ends"),
    [
        ("2028-01-30T12:00:00-05:00", "2028-02-29T23:00:00-05:00", True, "2028-02-29"),
        ("2028-01-30T12:00:00-05:00", "2028-03-01T00:30:00-05:00", False, "2028-02-29"),
        ("2028-02-29T12:00:00-05:00", "2028-03-30T12:00:00-04:00", True, "2028-03-30"),
        ("2028-02-29T12:00:00-05:00", "2028-03-31T12:00:00-04:00", False, "2028-03-30"),
    ],
)
def test_window_counts_the_leap_day_when_february_has_29_days(
    delivered_at, requested_at, eligible, window_ends
):
    decided = only_item(
        PRESET,
        request(
            created_at="2028-01-20T10:00:00-05:00",
            shipped_at="2028-01-21T10:00:00-05:00",
            delivered_at=delivered_at,
            requested_at=requested_at,
        ),
    )

    assert (decided["eligible"], decided["window_ends"]) == (eligible, window_ends)


def test_size_exchange_window_ends_on_day_45_when_delivered_on_a_leap_day():
    decided = only_item(
        PRESET,
        request(
            item(reason="size_fit", resolution="exchange"),
            created_at="2028-02-20T10:00:00-05:00",
            shipped_at="2028-02-21T10:00:00-05:00",
            delivered_at="2028-02-29T12:00:00-05:00",
            requested_at="2028-04-14T12:00:00-04:00",
        ),
    )

    assert (decided["eligible"], decided["window_ends"]) == (True, "2028-04-14")


def test_customer_reads_why_when_the_window_has_closed():
    decided = only_item(PRESET, request(requested_at="2026-04-06T10:00:00-04:00"))

    assert decided["reasons"] == [
        "Returns for change of mind ended 30 days after delivery: 2026-04-04 (requested 2026-04-06)"
    ]


def test_refund_amount_is_a_decimal_sum_when_totals_are_computed():
    decision = decide(
        PRESET,
        request(
            item(line_item_id="1", quantity=3),
            lines=[line(id="1", price="0.10", quantity=3)],
            subtotal="100.00",
        ),
    )

    assert decision.refund_total == Decimal("0.30")
    assert decision.to_json_dict()["refund_total"] == "0.30"
