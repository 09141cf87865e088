"""Service-level helpers other features use: delays, backorders, refund and review deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from policies import load_preset
from policies.service_levels import (
    backorder_notice_due,
    complaint_deadlines,
    delay_deadline,
    delay_store_credit,
    expected_ship_text,
    is_backordered,
    is_delayed,
    promised_delivery_date,
    refund_due_date,
    review_due_date,
)
from policies.vocabulary import Resolution

LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("method", "promised", "deadline"),
    [
        # Monday 2026-03-02: 2 dispatch + 5 transit business days, then 5 more.
        ("standard", date(2026, 3, 11), date(2026, 3, 18)),
        ("expedited", date(2026, 3, 6), date(2026, 3, 13)),
    ],
)
def test_delay_deadline_is_5_business_days_past_the_promise_when_shipping_method_known(
    method, promised, deadline
):
    policy = load_preset("lavish-ivy")
    ordered = datetime(2026, 3, 2, 9, 0, tzinfo=LA)

    assert promised_delivery_date(policy, ordered, method, "US", LA) == promised
    assert delay_deadline(policy, ordered, method, "US", LA) == deadline


def test_promise_skips_thanksgiving_when_the_order_is_placed_that_week():
    policy = load_preset("lavish-ivy")
    ordered = datetime(2026, 11, 24, 9, 0, tzinfo=LA)  # Tuesday

    # Wed 25, (Thu 26 holiday), Fri 27, Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 = 7 business days.
    assert promised_delivery_date(policy, ordered, "standard", "US", LA) == date(2026, 12, 4)


def test_order_is_delayed_only_after_the_deadline_day_ends_when_not_delivered():
    policy = load_preset("lavish-ivy")
    ordered = datetime(2026, 3, 2, 9, 0, tzinfo=LA)

    assert not is_delayed(
        policy, ordered, "standard", "US", LA, datetime(2026, 3, 18, 23, 59, tzinfo=LA)
    )
    assert is_delayed(policy, ordered, "standard", "US", LA, datetime(2026, 3, 19, 0, 1, tzinfo=LA))
    assert not is_delayed(
        policy,
        ordered,
        "standard",
        "US",
        LA,
        now=datetime(2026, 4, 1, tzinfo=LA),
        delivered_at=datetime(2026, 3, 18, 12, 0, tzinfo=LA),
    )


def test_unknown_method_or_policy_without_delays_is_never_delayed_when_checked():
    ordered = datetime(2026, 3, 2, 9, 0, tzinfo=LA)
    late = datetime(2027, 1, 1, tzinfo=LA)

    assert not is_delayed(load_preset("lavish-ivy"), ordered, "drone", "US", LA, late)
    assert not is_delayed(load_preset("petite-plume"), ordered, "standard", "US", LA, late)
    assert delay_store_credit(load_preset("petite-plume"), Decimal("500.00")) == Decimal("0.00")
    assert delay_store_credit(load_preset("lavish-ivy"), Decimal("150.00")) == Decimal("15.00")


def test_item_is_backordered_only_beyond_7_days_out_of_stock_when_petite_plume():
    policy = load_preset("petite-plume")
    since = datetime(2025, 6, 1, 9, 0, tzinfo=LA)

    assert not is_backordered(policy, since, since + timedelta(days=7))
    assert is_backordered(policy, since, since + timedelta(days=7, seconds=1))
    assert backorder_notice_due(policy, since + timedelta(days=8)) == since + timedelta(days=9)
    assert not is_backordered(load_preset("lavish-ivy"), since, since + timedelta(days=90))
    assert backorder_notice_due(load_preset("cn-consumer"), since) is None


def test_expected_ship_date_is_a_calendar_date_when_written_to_customers():
    assert expected_ship_text(date(2025, 6, 12)) == "Expected to ship by June 12, 2025"
    assert expected_ship_text(date(2026, 1, 2)) == "Expected to ship by January 2, 2026"


@pytest.mark.parametrize(
    ("preset", "resolution", "due"),
    [
        ("petite-plume", Resolution.REFUND, date(2026, 12, 4)),  # 7 business days, Thanksgiving
        ("lavish-ivy", Resolution.REFUND, date(2026, 12, 2)),
        ("lavish-ivy", Resolution.STORE_CREDIT, date(2026, 11, 25)),
    ],
)
def test_refund_due_date_counts_business_days_when_money_goes_back(preset, resolution, due):
    received = date(2026, 11, 24)

    assert refund_due_date(load_preset(preset), received, "US", resolution) == due


def test_cn_review_is_due_the_next_business_day_when_requested_before_national_day():
    policy = load_preset("cn-consumer")
    requested = datetime(2026, 9, 30, 22, 0, tzinfo=SHANGHAI)

    assert review_due_date(policy, requested, "CN", SHANGHAI) == date(2026, 10, 8)
    assert review_due_date(load_preset("petite-plume"), requested, "CN", SHANGHAI) is None


def test_cn_complaints_are_acknowledged_in_24_hours_when_received():
    received = datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)

    assert complaint_deadlines(load_preset("cn-consumer"), received) == (
        received + timedelta(hours=24),
        received + timedelta(hours=48),
    )
    assert complaint_deadlines(load_preset("lavish-ivy"), received) is None
