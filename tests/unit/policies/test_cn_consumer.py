"""cn-consumer (seeds 002 and 003): cases from the playbooks, table-driven.

Delivery in these requests is 2026-03-05 in Shanghai: no-reason returns end
2026-03-12, quality claims 2026-04-04.
"""

from __future__ import annotations

import pytest

from policies import load_preset

from .builders import SHANGHAI, decide, item, line, only_item, request

PRESET = "cn-consumer"
NOT_QUALITY_PROBLEMS = [
    "colour_difference",
    "loose_threads",
    "loose_button",
    "fabric_preference",
    "missing_collar_label",
    "subjective_fit",
    "chalk_marks",
]


def cn(*items, lines=None, requested_at="2026-03-08T10:00:00+08:00", **kw):
    return request(
        *(items or [item()]),
        lines=lines or [line(price="199.00")],
        shop=SHANGHAI,
        subtotal=kw.pop("subtotal", "199.00"),
        shipping_country="CN",
        created_at="2026-03-01T10:00:00+08:00",
        shipped_at=kw.pop("shipped_at", "2026-03-02T15:00:00+08:00"),
        delivered_at=kw.pop("delivered_at", "2026-03-05T12:00:00+08:00"),
        requested_at=requested_at,
        **kw,
    )


ITEM_CASES = [
    (
        "no-reason-return-on-the-last-minute-of-day-7",
        cn(requested_at="2026-03-12T15:59:00Z"),
        {
            "eligible": True,
            "window_ends": "2026-03-12",
            "refund_amount": "199.00",
            "restocking_fee": "0.00",
            "label_fee": "0.00",
            "return_shipping_paid_by": "customer",
        },
    ),
    (
        "no-reason-return-at-midnight-of-day-8",
        cn(requested_at="2026-03-12T16:00:00Z"),
        {"eligible": False, "window_ends": "2026-03-12"},
    ),
    (
        "unopened-item-is-accepted",
        cn(item(condition="unopened")),
        {"eligible": True},
    ),
    (
        "size-exchange-ships-free",
        cn(item(reason="size_fit", resolution="exchange")),
        {"eligible": True, "return_shipping_paid_by": "merchant", "refund_amount": "0.00"},
    ),
    (
        "size-replacement-is-a-free-size-exchange",
        cn(item(reason="size_fit", resolution="replacement")),
        {"eligible": True, "return_shipping_paid_by": "merchant", "resolution": "exchange"},
    ),
    (
        "color-exchange-ships-at-customer-cost",
        cn(item(reason="color_style", resolution="exchange")),
        {"eligible": True, "return_shipping_paid_by": "customer", "label_fee": "0.00"},
    ),
    (
        "change-of-mind-exchange-ships-at-customer-cost",
        cn(item(reason="changed_mind", resolution="exchange")),
        {"eligible": True, "return_shipping_paid_by": "customer"},
    ),
    (
        "size-refund-ships-at-customer-cost",
        cn(item(reason="size_fit", resolution="refund")),
        {"eligible": True, "return_shipping_paid_by": "customer", "refund_amount": "199.00"},
    ),
    (
        "size-exchange-on-day-8",
        cn(
            item(reason="size_fit", resolution="exchange"), requested_at="2026-03-13T09:00:00+08:00"
        ),
        {"eligible": False, "window_ends": "2026-03-12"},
    ),
    (
        "quality-claim-on-day-30-with-one-photo",
        cn(item(reason="defective", photos=1), requested_at="2026-04-04T23:59:00+08:00"),
        {
            "eligible": True,
            "window_ends": "2026-04-04",
            "photos_required": 1,
            "refund_amount": "199.00",
            "return_shipping_paid_by": "merchant",
        },
    ),
    (
        "quality-claim-on-day-31",
        cn(item(reason="defective", photos=3), requested_at="2026-04-05T00:00:00+08:00"),
        {"eligible": False, "window_ends": "2026-04-04"},
    ),
    (
        "quality-claim-without-photos",
        cn(item(reason="not_as_described", photos=0)),
        {"eligible": False, "photos_required": 1},
    ),
    (
        "wrong-item-that-was-worn-is-accepted",
        cn(item(reason="wrong_item", condition="worn", photos=1)),
        {"eligible": True},
    ),
    (
        "damage-in-transit-of-a-custom-item-is-accepted",
        cn(
            item(reason="damaged_in_transit", photos=2),
            lines=[line(price="199.00", tags=["custom"])],
        ),
        {"eligible": True, "refund_amount": "199.00"},
    ),
    (
        "wrong-item-with-a-defect-code-is-still-a-wrong-item",
        cn(item(reason="wrong_item", photos=1, defect="colour_difference")),
        {"eligible": True},
    ),
    (
        "defect-code-is-ignored-for-no-reason-returns",
        cn(item(reason="changed_mind", defect="subjective_fit")),
        {"eligible": True},
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in ITEM_CASES]
)
def test_item_decision_follows_the_playbook_when_case_applies(data, expected):
    decided = only_item(PRESET, data)

    assert {key: decided[key] for key in expected} == expected
    assert decided["reasons"]


@pytest.mark.parametrize("condition", ["worn", "washed", "unworn_no_tags", "opened"])
def test_no_reason_return_is_refused_when_the_item_was_used_or_unpacked(condition):
    decided = only_item(PRESET, cn(item(condition=condition)))

    assert decided["eligible"] is False


@pytest.mark.parametrize(
    "reason",
    [
        "changed_mind",
        "size_fit",
        "defective",
        "damaged_in_transit",
        "wrong_item",
        "not_as_described",
    ],
)
def test_washed_item_is_refused_when_any_reason_is_given(reason):
    decided = only_item(PRESET, cn(item(reason=reason, condition="washed", photos=2)))

    assert decided["eligible"] is False
    assert decided["refund_amount"] == "0.00"
    assert any("washed" in r for r in decided["reasons"])


@pytest.mark.parametrize(
    ("tags", "product_type", "compare_at_price"),
    [
        (["custom"], "Dresses", None),
        (["CUSTOM"], "Dresses", None),
        ([], "Underwear", None),
        ([], "socks", None),
        ([], "Dresses", "259.00"),
    ],
)
@pytest.mark.parametrize("resolution", ["refund", "exchange"])
def test_exclusions_block_no_reason_returns_when_custom_hygiene_or_clearance(
    tags, product_type, compare_at_price, resolution
):
    data = cn(
        item(reason="size_fit", resolution=resolution),
        lines=[
            line(
                price="199.00",
                tags=tags,
                product_type=product_type,
                compare_at_price=compare_at_price,
            )
        ],
    )

    decided = only_item(PRESET, data)

    assert decided["eligible"] is False
    assert any("excluded from no-reason returns" in r for r in decided["reasons"])


def test_clearance_item_is_accepted_when_it_has_a_quality_problem():
    data = cn(
        item(reason="defective", photos=1),
        lines=[line(price="99.00", compare_at_price="199.00")],
        subtotal="99.00",
    )

    assert only_item(PRESET, data)["eligible"] is True


def test_price_equal_to_compare_at_is_not_clearance_when_returned_without_reason():
    data = cn(lines=[line(price="199.00", compare_at_price="199.00")])

    assert only_item(PRESET, data)["eligible"] is True


@pytest.mark.parametrize("defect", NOT_QUALITY_PROBLEMS)
def test_defect_claim_is_refused_with_an_explanation_when_it_is_not_a_quality_problem(defect):
    decided = only_item(PRESET, cn(item(reason="defective", photos=2, defect=defect)))

    assert decided["eligible"] is False
    assert any("not a quality problem" in r for r in decided["reasons"])


def test_every_request_goes_to_an_agent_when_nothing_is_eligible():
    decision = decide(PRESET, cn(item(condition="worn")))

    body = decision.to_json_dict()
    assert body["requires_review"] is True
    assert body["approver_role"] == "agent"
    assert body["review_within_business_days"] == 1
    assert body["refund_total"] == "0.00"


@pytest.mark.parametrize("resolution", ["refund", "store_credit", "exchange"])
def test_refund_is_due_within_3_business_days_when_any_resolution_is_chosen(resolution):
    assert decide(PRESET, cn(item(resolution=resolution))).refund_due_by_business_days == 3


@pytest.mark.parametrize(
    ("reason", "photos", "window_ends"),
    [("changed_mind", 0, "2026-10-19"), ("defective", 1, "2026-11-11")],
)
def test_assumed_delivery_skips_national_day_when_no_delivery_event_is_known(
    reason, photos, window_ends
):
    # Shipped 2026-09-30; Oct 1-7 are holidays or weekend, Saturday Oct 10 is a make-up
    # working day that still does not count: 3 business days land on Monday Oct 12.
    data = cn(
        item(reason=reason, photos=photos),
        shipped_at="2026-09-30T10:00:00+08:00",
        delivered_at=None,
        requested_at="2026-10-15T10:00:00+08:00",
    )

    decided = only_item(PRESET, data)

    assert decided["window_ends"] == window_ends
    assert decided["eligible"] is True
    assert any("2026-10-12" in r for r in decided["reasons"])


def test_no_reason_window_reaches_the_leap_day_when_delivered_a_week_before():
    data = cn(
        delivered_at="2028-02-22T09:00:00+08:00",
        shipped_at="2028-02-20T09:00:00+08:00",
        requested_at="2028-02-29T22:00:00+08:00",
    )

    decided = only_item(PRESET, data)

    assert (decided["eligible"], decided["window_ends"]) == (True, "2028-02-29")


def test_preset_exposes_complaint_and_review_deadlines_when_reminders_read_them():
    policy = load_preset(PRESET)

    assert policy.complaints is not None
    assert policy.complaints.acknowledge_within_hours == 24
    assert policy.complaints.proposal_within_hours == 48
    assert policy.review.deadline_business_days == 1
    assert policy.refund_sla.refund_business_days == 3
    assert policy.assumed_transit_days == 3
