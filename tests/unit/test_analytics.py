"""The month report's arithmetic against an in-memory store: rates, reasons, refund times
against the policy's SLA in business days, what is overdue, the trend, and bad months."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.domain import rma as r
from app.domain.shops import Shop
from app.errors import InvalidInput
from app.services import analytics, charts
from app.services.analytics import month_report, months_back, parse_month
from app.services.eligibility import policy_for
from policies.service_levels import refund_due_date

NY = ZoneInfo("America/New_York")
# Monday after Thanksgiving (Thursday 2026-11-26, a US federal holiday), at noon in New York.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=NY)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=NY)


@dataclass
class InMemoryAnalyticsStore:
    """The three reads of the report, over plain dicts; counts the monthly reads."""

    stats: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    rmas: list[r.Rma] = field(default_factory=list)
    months_read: list[str] = field(default_factory=list)

    def stats_for_month(self, shop: str, month: str) -> dict[str, Decimal]:
        self.months_read.append(month)
        return dict(self.stats.get(month, {}))

    def rmas_updated_since(
        self, shop: str, state: str, since: datetime, *, limit: int = 500
    ) -> list[r.Rma]:
        found = [x for x in self.rmas if x.state == state and x.updated_at >= since]
        return sorted(found, key=lambda x: x.updated_at, reverse=True)[:limit]

    def rma_counts(self, shop: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for x in self.rmas:
            counts[x.state] = counts.get(x.state, 0) + 1
        return counts


def make_shop(preset: str = "petite-plume", **kw) -> Shop:
    return Shop(
        domain="petite-plume.myshopify.com",
        status="installed",
        country="US",
        timezone="America/New_York",
        currency="USD",
        policy_preset=preset,
        **kw,
    )


def make_rma(
    number: str,
    *,
    approved: datetime,
    received: datetime | None = None,
    settled: datetime | None = None,
    action: str = "refund",
    resolution: str = "refund",
    order_name: str = "#1001",
) -> r.Rma:
    """A return walked through the real state machine up to receipt and, if given, settlement."""
    line = r.RmaLine(
        line_item_id=11,
        title="Smocked romper",
        quantity=1,
        price=Decimal("48.00"),
        reason="size_fit",
        resolution=resolution,
        condition="unworn_tags_attached",
        refund_amount=Decimal("48.00"),
    )
    requested = approved - timedelta(hours=1)
    rma = r.Rma(
        number=number,
        shop="petite-plume.myshopify.com",
        order_id=1001,
        order_name=order_name,
        currency="USD",
        state="requested",
        lines=(line,),
        created_at=requested,
        updated_at=requested,
        timeline=(r.TimelineEntry(at=requested, actor="customer", action="request"),),
    )
    rma = r.apply(rma, "approve", actor="system", at=approved)
    if received is not None:
        rma = r.apply(rma, "receive", actor="staff:7", at=received)
    if settled is not None:
        rma = r.apply(rma, "inspect", actor="staff:7", at=settled)
        rma = r.apply(rma, action, actor="staff:7", at=settled)
    return rma


# -- months ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "month,n,expected",
    [
        ("2026-11", 1, "2026-10"),
        ("2026-01", 1, "2025-12"),
        ("2026-11", 5, "2026-06"),
        ("2026-12", -1, "2027-01"),
        ("2026-11", 0, "2026-11"),
        ("2026-03", 14, "2025-01"),
    ],
)
def test_months_back_counts_across_years(month, n, expected):
    assert months_back(month, n) == expected


@pytest.mark.parametrize(
    "bad",
    ["2026-13", "2026-00", "26-11", "2026-1", "2026-11-01", "november", "", " 2026-11", "1999-12"],
)
def test_a_month_that_is_not_yyyy_mm_is_invalid_input_naming_month(bad):
    with pytest.raises(InvalidInput) as caught:
        parse_month(bad)
    assert caught.value.field == "month"
    assert str(caught.value) == "month: must be a month like 2026-11"
    with pytest.raises(InvalidInput):
        month_report(InMemoryAnalyticsStore(), make_shop(), bad, NOW)


def test_a_month_that_is_not_text_is_invalid_input():
    with pytest.raises(InvalidInput):
        parse_month(202611)


def test_month_boundaries_are_the_shops_local_midnight():
    shop = make_shop()
    assert analytics.month_start(shop, "2026-11") == datetime(2026, 11, 1, tzinfo=NY)
    # 03:00 UTC on Dec 1 is still November 30 in New York
    assert analytics.current_month(shop, datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == "2026-11"
    assert analytics.month_title("2026-11") == "November 2026"


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        month_report(InMemoryAnalyticsStore(), make_shop(), "2026-11", datetime(2026, 11, 30))


# -- rates and reasons -----------------------------------------------------------------------


def test_return_rate_is_returns_per_100_orders_and_value_is_a_share_of_order_value():
    # GIVEN 40 orders worth 4000.00 and 5 returns of 7 items worth 300.00 in November
    store = InMemoryAnalyticsStore(
        stats={
            "2026-11": {
                "orders": Decimal(40),
                "order_value_USD": Decimal("4000.00"),
                "rmas": Decimal(5),
                "items": Decimal(7),
                "returned_value_USD": Decimal("300.00"),
                "reason_size_fit": Decimal(7),
            }
        }
    )
    # WHEN the report is made
    report = month_report(store, make_shop(), "2026-11", NOW)
    # THEN 12.5 returns per 100 orders and 7.5% of the value came back, as exact decimals
    assert (report.orders, report.returns, report.items_returned) == (40, 5, 7)
    assert report.return_rate == Decimal("12.5")
    assert report.returned_value_rate == Decimal("7.5")
    assert report.order_value == Decimal("4000.00") and report.returned_value == Decimal("300.00")
    assert not report.is_empty


@pytest.mark.parametrize(
    "part,whole,expected",
    [
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (1, 8, "12.5"),
        (1, 16, "6.3"),
        (3, 3, "100.0"),
        (0, 9, "0.0"),
    ],
)
def test_percentages_round_half_up_to_one_place(part, whole, expected):
    assert analytics.percent(part, whole) == Decimal(expected)


def test_top_five_reasons_rank_by_items_then_by_name_and_the_rest_are_counted():
    # GIVEN 16 items returned for seven reasons, three of them tied at one item
    reasons = {
        "size_fit": 5,
        "changed_mind": 3,
        "defective": 3,
        "color_style": 2,
        "wrong_item": 1,
        "not_as_described": 1,
        "damaged_in_transit": 1,
    }
    store = InMemoryAnalyticsStore(
        stats={"2026-11": {f"reason_{k}": Decimal(v) for k, v in reasons.items()}}
    )
    report = month_report(store, make_shop(), "2026-11", NOW)
    # THEN the five with most items, ties in the order a merchant reads them (by name)
    assert [(x.label, x.items, x.share) for x in report.top_reasons] == [
        ("Wrong size or fit", 5, Decimal("31.3")),
        ("Changed my mind", 3, Decimal("18.8")),
        ("Defective or poor quality", 3, Decimal("18.8")),
        ("Colour or style not as hoped", 2, Decimal("12.5")),
        ("Arrived damaged", 1, Decimal("6.3")),
    ]
    assert report.top_reasons[0].code == "size_fit"
    # AND the two items of the other reasons are not lost
    assert report.other_reason_items == 2


def test_an_empty_month_has_no_rates_and_says_so():
    store = InMemoryAnalyticsStore()
    report = month_report(store, make_shop(), "2026-11", NOW)
    assert report.is_empty
    assert (report.orders, report.returns, report.items_returned) == (0, 0, 0)
    assert report.return_rate is None and report.returned_value_rate is None
    assert report.order_value == Decimal("0.00")
    assert report.top_reasons == () and report.other_reason_items == 0
    assert report.settled == () and report.breaches == () and report.overdue == ()
    assert report.median_business_days is None and report.worst_business_days is None
    assert report.recovery_rate is None
    assert [p.return_rate for p in report.trend] == [None] * 6


def test_returns_without_orders_have_no_rate_rather_than_a_division_by_zero():
    store = InMemoryAnalyticsStore(stats={"2026-11": {"rmas": Decimal(2), "items": Decimal(2)}})
    report = month_report(store, make_shop(), "2026-11", NOW)
    assert report.returns == 2 and report.return_rate is None and not report.is_empty


def test_money_in_other_currencies_is_named_not_mixed_in():
    store = InMemoryAnalyticsStore(
        stats={
            "2026-11": {
                "orders": Decimal(2),
                "order_value_USD": Decimal("100.00"),
                "order_value_EUR": Decimal("90.00"),
            }
        }
    )
    report = month_report(store, make_shop(), "2026-11", NOW)
    assert report.order_value == Decimal("100.00") and report.other_currencies == ("EUR",)


# -- trend and navigation --------------------------------------------------------------------


def test_trend_reads_six_months_once_each_oldest_first():
    store = InMemoryAnalyticsStore(
        stats={
            "2026-06": {"orders": Decimal(10), "rmas": Decimal(1)},
            "2026-09": {"orders": Decimal(8), "rmas": Decimal(2)},
            "2026-11": {"orders": Decimal(4), "rmas": Decimal(1)},
        }
    )
    report = month_report(store, make_shop(), "2026-11", NOW)
    assert sorted(store.months_read) == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert [(p.month, p.return_rate) for p in report.trend] == [
        ("2026-06", Decimal("10.0")),
        ("2026-07", None),
        ("2026-08", None),
        ("2026-09", Decimal("25.0")),
        ("2026-10", None),
        ("2026-11", Decimal("25.0")),
    ]


def test_the_current_month_has_no_next_month_and_a_past_one_does():
    store = InMemoryAnalyticsStore()
    now = month_report(store, make_shop(), "2026-11", NOW)
    assert (now.previous_month, now.next_month) == ("2026-10", None)
    past = month_report(store, make_shop(), "2026-01", NOW)
    assert (past.previous_month, past.next_month) == ("2025-12", "2026-02")


# -- refund times against the SLA ------------------------------------------------------------


def test_refund_days_skip_the_weekend_and_thanksgiving():
    # Wed Nov 25 -> Mon Nov 30: Thu 26 is Thanksgiving, Sat and Sun are weekend: 2 business days
    assert analytics.business_days_between(date(2026, 11, 25), date(2026, 11, 30), "US") == 2
    assert analytics.business_days_between(date(2026, 11, 30), date(2026, 11, 30), "US") == 0
    assert analytics.business_days_between(date(2026, 11, 30), date(2026, 11, 25), "US") == 0


def test_settled_returns_are_timed_from_receipt_in_business_days_with_breaches_listed():
    # GIVEN petite-plume: refunds within 7 business days of the warehouse receipt
    shop = make_shop("petite-plume")
    store = InMemoryAnalyticsStore(
        rmas=[
            # received Wed before Thanksgiving, refunded Monday: 2 business days
            make_rma("QUICK222", approved=at(20), received=at(25), settled=at(30, 9)),
            # received Wed Nov 18, refunded Mon Nov 30: 7 business days thanks to the holiday
            make_rma("ONTIME77", approved=at(12), received=at(18), settled=at(30, 8)),
            # received Mon Nov 16, refunded Mon Nov 30: 9 business days, 2 too many
            make_rma(
                "LATE9999",
                approved=at(10),
                received=at(16),
                settled=at(30, 11),
                order_name="#1007",
            ),
            # refunded 22:00 Oct 31 in New York (02:00 UTC on Nov 1): October's
            make_rma(
                "OCTOBER2",
                approved=at(20, month=10),
                received=at(27, month=10),
                settled=datetime(2026, 11, 1, 2, 0, tzinfo=UTC),
            ),
        ]
    )
    report = month_report(store, shop, "2026-11", NOW)
    # THEN each November settlement shows the business days taken and allowed
    assert [(s.number, s.business_days, s.allowed_business_days) for s in report.settled] == [
        ("ONTIME77", 7, 7),
        ("QUICK222", 2, 7),
        ("LATE9999", 9, 7),
    ]
    assert report.settled[0].started_at == at(18) and report.settled[0].resolution == "refund"
    # AND the median and worst of them
    assert report.median_business_days == Decimal("7.0")
    assert report.worst_business_days == 9
    # AND the late one is listed with its order
    assert [(b.number, b.order_name, b.business_days) for b in report.breaches] == [
        ("LATE9999", "#1007", 9)
    ]
    assert report.settled_complete
    assert report.sla.counted_from == "warehouse_receipt"


def test_a_closed_return_still_counts_in_the_month_it_was_settled():
    shop = make_shop()
    rma = make_rma("CLOSED23", approved=at(2), received=at(4), settled=at(5))
    rma = r.apply(rma, "close", actor="system", at=at(20))
    report = month_report(InMemoryAnalyticsStore(rmas=[rma]), shop, "2026-11", NOW)
    assert [(s.number, s.business_days) for s in report.settled] == [("CLOSED23", 1)]


def test_store_credit_is_timed_from_approval_against_its_own_sla():
    # GIVEN lavish-ivy: counted from approval; refunds 5 business days, store credit 1
    shop = make_shop("lavish-ivy")
    store = InMemoryAnalyticsStore(
        rmas=[
            # approved Wed Nov 25, credited Fri Nov 27: Thanksgiving skipped, 1 day, on time
            make_rma(
                "CREDIT22",
                approved=at(25),
                received=at(25, 15),
                settled=at(27),
                action="credit",
                resolution="store_credit",
            ),
            # approved Fri Nov 20, credited Tue Nov 24: 2 business days, 1 allowed
            make_rma(
                "CREDIT33",
                approved=at(20),
                received=at(23),
                settled=at(24),
                action="credit",
                resolution="store_credit",
            ),
            # approved Fri Nov 20, refunded Fri Nov 27: 4 business days of 5
            make_rma("REFUND44", approved=at(20), received=at(23), settled=at(27, 12)),
        ]
    )
    report = month_report(store, shop, "2026-11", NOW)
    got = {
        s.number: (s.resolution, s.business_days, s.allowed_business_days) for s in report.settled
    }
    assert got == {
        "CREDIT22": ("credit", 1, 1),
        "CREDIT33": ("credit", 2, 1),
        "REFUND44": ("refund", 4, 5),
    }
    assert [b.number for b in report.breaches] == ["CREDIT33"]
    assert report.median_business_days == Decimal("2.0")


def test_the_allowed_days_match_the_policys_refund_due_date():
    # The report's allowance lands on the same day as the policy engine's due date.
    shop = make_shop("petite-plume")
    policy = policy_for(shop)
    start = date(2026, 11, 18)
    report = month_report(InMemoryAnalyticsStore(), shop, "2026-11", NOW)
    due = refund_due_date(policy, start, "US")
    assert analytics.business_days_between(start, due, "US") == report.sla.refund_business_days
    assert due == date(2026, 11, 30)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert analytics.median([2, 9, 3, 4]) == Decimal("3.5")
    assert analytics.median([]) is None


# -- overdue now -----------------------------------------------------------------------------


def test_received_returns_past_their_due_date_are_overdue_now():
    shop = make_shop("petite-plume")
    store = InMemoryAnalyticsStore(
        rmas=[
            # received Mon Nov 16: due Wed Nov 25; by Mon Nov 30 two business days late
            make_rma("OVERDUE2", approved=at(10), received=at(16), order_name="#1010"),
            # received Wed Nov 18: due today (Thanksgiving moved it), not late yet
            make_rma("DUETODAY", approved=at(12), received=at(18)),
            # approved but not received: the refund clock has not started
            make_rma("NOTHERE3", approved=at(2)),
        ]
    )
    report = month_report(store, shop, "2026-11", NOW)
    assert [
        (o.number, o.order_name, o.state, o.due, o.late_business_days) for o in report.overdue
    ] == [("OVERDUE2", "#1010", "received", date(2026, 11, 25), 2)]


def test_overdue_returns_are_found_whatever_month_is_shown():
    shop = make_shop()
    store = InMemoryAnalyticsStore(rmas=[make_rma("OVERDUE2", approved=at(10), received=at(16))])
    report = month_report(store, shop, "2026-06", NOW)
    assert [o.number for o in report.overdue] == ["OVERDUE2"]


# -- recovery spend and proactive counts -----------------------------------------------------


def test_recovery_spend_is_a_share_of_order_value_against_the_policys_target():
    # GIVEN lavish-ivy (recovery spend target 3%) and 105.00 spent on 3000.00 of orders
    store = InMemoryAnalyticsStore(
        stats={
            "2026-11": {
                "orders": Decimal(30),
                "order_value_USD": Decimal("3000.00"),
                "recovery_USD": Decimal("105.00"),
                "backorder_notices": Decimal(4),
                "delays": Decimal(6),
                "upgrades": Decimal(5),
            }
        }
    )
    report = month_report(store, make_shop("lavish-ivy"), "2026-11", NOW)
    assert report.recovery_spend == Decimal("105.00")
    assert report.recovery_rate == Decimal("3.5") and report.recovery_target == Decimal("3")
    assert (report.backorder_notices, report.delays, report.upgrades) == (4, 6, 5)


def test_proactive_counts_are_zero_before_any_automation_wrote_them():
    report = month_report(InMemoryAnalyticsStore(), make_shop("petite-plume"), "2026-11", NOW)
    assert (report.backorder_notices, report.delays, report.upgrades) == (0, 0, 0)
    assert report.recovery_spend == Decimal("0.00") and report.recovery_target is None


# -- charts ----------------------------------------------------------------------------------


def _numbers(chart: charts.Chart) -> list[object]:
    shapes = [*chart.bars, *chart.texts, *([chart.axis] if chart.axis else [])]
    return [getattr(s, f) for s in shapes for f in ("x", "y", "width", "height") if hasattr(s, f)]


def test_bar_lengths_are_whole_numbers_in_proportion():
    data = [
        charts.Datum("Wrong size or fit", 4, "4 (50.0%)"),
        charts.Datum("Changed my mind", 2, "2 (25.0%)"),
        charts.Datum("Arrived damaged", Decimal("0.5"), "1 (12.5%)"),
    ]
    chart = charts.horizontal_bars(data, title="Top reasons", width=540)
    assert [b.width for b in chart.bars] == [440, 220, 55]
    assert all(type(n) is int for n in _numbers(chart))
    assert (
        chart.desc
        == "Wrong size or fit: 4 (50.0%); Changed my mind: 2 (25.0%); Arrived damaged: 1 (12.5%)."
    )


def test_trend_columns_leave_months_without_orders_empty():
    data = [
        charts.Datum("Oct 2026", Decimal("12.5"), "12.5%"),
        charts.Datum("Nov 2026", None, "no orders"),
        charts.Datum("Dec 2026", Decimal("25.0"), "25.0%"),
    ]
    chart = charts.vertical_bars(data, title="Return rate", width=600, height=200)
    assert [b.height for b in chart.bars] == [76, 152]
    assert all(type(n) is int for n in _numbers(chart))
    assert "Nov 2026: no orders" in chart.desc
