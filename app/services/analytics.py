"""A shop's month in figures: return rate, top reasons, refund times against the policy's SLA,
what is overdue now, recovery spend and a six-month trend (the admin's Analytics page and
GET /api/metrics).

Reads only the monthly counters (one query per month), the per-state RMA lists on GSI1
(bounded by time), and the shop's effective policy. Months are the shop's local months;
days are business days of the shop's country.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import policies
from app.domain.rma import Rma
from app.domain.shops import Shop
from app.errors import InvalidInput
from app.i18n_portal import label
from app.services.eligibility import policy_for
from policies.calendar import add_business_days, business_days_between, local_date

MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
# Months before 2000 or after 2999 are typos, not history.
FIRST_YEAR, LAST_YEAR = 2000, 2999
TOP_REASONS = 5  # the playbooks' monthly review looks at the top five reasons
TREND_MONTHS = 6
# How far back "overdue now" looks for received returns not yet settled.
OVERDUE_LOOKBACK = timedelta(days=120)
SETTLE_ACTIONS = ("refund", "credit", "exchange", "replace")
# A settled return is in its resolution's state, or closed after it.
SETTLED_STATES = ("refunded", "credited", "exchanged", "replaced", "closed")
AWAITING_SETTLEMENT = ("received", "inspected")
RMA_LIMIT = 500
_TENTH = Decimal("0.1")
_CENT = Decimal("0.01")


class AnalyticsStore(Protocol):
    """The reads the report needs (DynamoStore; an in-memory fake in tests)."""

    def stats_for_month(self, shop: str, month: str) -> dict[str, Decimal]:
        """A month's counters, summed over shards (empty when nothing happened)."""

    def rmas_updated_since(
        self, shop: str, state: str, since: datetime, *, limit: int = 500
    ) -> list[Rma]:
        """RMAs in `state` last changed at or after `since`, newest first (at most `limit`)."""


# -- months ----------------------------------------------------------------------------------


def parse_month(value: object) -> str:
    """A `YYYY-MM` month; raises InvalidInput("month") for anything else."""
    match = MONTH_RE.fullmatch(value) if isinstance(value, str) else None
    if (
        match is None
        or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR
        or not 1 <= int(match[2]) <= 12
    ):
        raise InvalidInput("must be a month like 2026-11", "month")
    return match[0]


def months_back(month: str, n: int) -> str:
    """The month `n` months before `month` (a negative `n` counts forward)."""
    year, mon = (int(part) for part in parse_month(month).split("-"))
    index = year * 12 + (mon - 1) - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(shop: Shop, month: str) -> datetime:
    """The first instant of `month` in the shop's time zone."""
    year, mon = (int(part) for part in parse_month(month).split("-"))
    return datetime(year, mon, 1, tzinfo=shop.zone)


def month_title(month: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, mon = (int(part) for part in parse_month(month).split("-"))
    return f"{date(year, mon, 1):%B} {year}"


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label: str
    items: int
    share: Decimal  # percent of the month's returned items, one decimal place


@dataclass(frozen=True)
class SettledReturn:
    """A return settled during the month, timed against the SLA for its resolution."""

    number: str
    order_name: str
    resolution: str  # the settling action: refund, credit, exchange, replace
    started_at: datetime  # receipt or approval, as the policy counts
    settled_at: datetime
    business_days: int
    allowed_business_days: int

    @property
    def breached(self) -> bool:
        return self.business_days > self.allowed_business_days


@dataclass(frozen=True)
class OverdueReturn:
    """A received return not settled by its due date."""

    number: str
    order_name: str
    state: str
    due: date
    late_business_days: int


@dataclass(frozen=True)
class TrendPoint:
    month: str
    orders: int
    returns: int
    return_rate: Decimal | None


@dataclass(frozen=True)
class RefundSla:
    counted_from: str  # "warehouse_receipt" | "approval"
    refund_business_days: int
    store_credit_business_days: int
    exchange_business_days: int

    def allowed(self, action: str) -> int:
        """Business days the policy allows for a return settled by `action`."""
        if action == "credit":
            return self.store_credit_business_days
        if action in ("exchange", "replace"):
            return self.exchange_business_days
        return self.refund_business_days


@dataclass(frozen=True)
class MonthReport:
    month: str
    title: str
    currency: str
    previous_month: str
    next_month: str | None  # None for the current month (nothing after it yet)
    orders: int
    returns: int
    items_returned: int
    order_value: Decimal
    returned_value: Decimal
    return_rate: Decimal | None  # returns per 100 orders; None without orders
    returned_value_rate: Decimal | None  # value returned, % of order value
    other_currencies: tuple[str, ...]  # money in these is left out of the value figures
    top_reasons: tuple[ReasonCount, ...]
    other_reason_items: int  # items returned for reasons outside the top five
    sla: RefundSla
    settled: tuple[SettledReturn, ...]  # oldest settlement first
    settled_complete: bool  # False when the store's bounded read may have missed some
    median_business_days: Decimal | None
    worst_business_days: int | None
    overdue: tuple[OverdueReturn, ...]  # most late first, as of `now`
    backorder_notices: int
    delays: int
    upgrades: int
    recovery_spend: Decimal
    recovery_rate: Decimal | None  # recovery spend, % of order value
    recovery_target: Decimal | None  # the policy's ceiling for it, in percent
    trend: tuple[TrendPoint, ...]  # six months, oldest first, ending with `month`

    @property
    def breaches(self) -> tuple[SettledReturn, ...]:
        return tuple(s for s in self.settled if s.breached)

    @property
    def is_empty(self) -> bool:
        """Nothing happened this month (no orders, returns, settlements or notices)."""
        return not (
            self.orders
            or self.returns
            or self.settled
            or self.backorder_notices
            or self.delays
            or self.upgrades
        )


def current_month(shop: Shop, now: datetime) -> str:
    """The month `now` falls in, in the shop's time zone."""
    _ensure_aware(now)
    return shop.month_of(now)


def month_report(store: AnalyticsStore, shop: Shop, month: str, now: datetime) -> MonthReport:
    """The shop's figures for `month` as of `now`; raises InvalidInput("month") for a bad month."""
    month = parse_month(month)
    _ensure_aware(now)
    policy = policy_for(shop)
    sla = refund_sla(policy)
    months = [months_back(month, n) for n in range(TREND_MONTHS - 1, -1, -1)]
    stats_by_month = {m: store.stats_for_month(shop.domain, m) for m in months}
    stats = stats_by_month[month]
    cur = shop.currency

    orders = _int(stats, "orders")
    returns = _int(stats, "rmas")
    order_value = _money(stats, f"order_value_{cur}")
    returned_value = _money(stats, f"returned_value_{cur}")
    recovery = _money(stats, f"recovery_{cur}")
    reasons, other_items = _top_reasons(stats)
    settled, complete = _settled_in(store, shop, sla, month)
    days = [s.business_days for s in settled]
    delay = policy.compensation.delay
    this_month = current_month(shop, now)
    return MonthReport(
        month=month,
        title=month_title(month),
        currency=cur,
        previous_month=months_back(month, 1),
        next_month=months_back(month, -1) if month < this_month else None,
        orders=orders,
        returns=returns,
        items_returned=_int(stats, "items"),
        order_value=order_value,
        returned_value=returned_value,
        return_rate=percent(returns, orders),
        returned_value_rate=percent(returned_value, order_value),
        other_currencies=_other_currencies(stats, cur),
        top_reasons=reasons,
        other_reason_items=other_items,
        sla=sla,
        settled=settled,
        settled_complete=complete,
        median_business_days=median(days),
        worst_business_days=max(days) if days else None,
        overdue=_overdue_now(store, shop, sla, now),
        backorder_notices=_int(stats, "backorder_notices"),
        delays=_int(stats, "delays"),
        upgrades=_int(stats, "upgrades"),
        recovery_spend=recovery,
        recovery_rate=percent(recovery, order_value),
        recovery_target=delay.recovery_spend_target_percent if delay else None,
        trend=tuple(
            TrendPoint(
                month=m,
                orders=_int(stats_by_month[m], "orders"),
                returns=_int(stats_by_month[m], "rmas"),
                return_rate=percent(
                    _int(stats_by_month[m], "rmas"), _int(stats_by_month[m], "orders")
                ),
            )
            for m in months
        ),
    )


# -- arithmetic ------------------------------------------------------------------------------


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """`part` per 100 of `whole`, to one decimal place (half up); None when `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def median(values: Iterable[int]) -> Decimal | None:
    """The median, to one decimal place (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid]).quantize(_TENTH)
    return (Decimal(ordered[mid - 1] + ordered[mid]) / 2).quantize(_TENTH)


def _int(stats: Mapping[str, Decimal], key: str) -> int:
    return int(stats.get(key, Decimal(0)))


def _money(stats: Mapping[str, Decimal], key: str) -> Decimal:
    return Decimal(stats.get(key, Decimal(0))).quantize(_CENT, rounding=ROUND_HALF_UP)


def _other_currencies(stats: Mapping[str, Decimal], currency: str) -> tuple[str, ...]:
    found = {
        key.rsplit("_", 1)[1]
        for key, value in stats.items()
        if key.startswith(("order_value_", "returned_value_", "recovery_")) and value
    }
    return tuple(sorted(found - {currency}))


def _top_reasons(stats: Mapping[str, Decimal]) -> tuple[tuple[ReasonCount, ...], int]:
    """The five reasons with the most returned items (ties by name), and the items of the rest."""
    counts = {
        key.removeprefix("reason_"): int(value)
        for key, value in stats.items()
        if key.startswith("reason_") and int(value) > 0
    }
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], label("en", "reason", kv[0]), kv[0]))
    top = tuple(
        ReasonCount(code, label("en", "reason", code), n, percent(n, total) or Decimal(0))
        for code, n in ranked[:TOP_REASONS]
    )
    return top, sum(n for _, n in ranked[TOP_REASONS:])


# -- service levels --------------------------------------------------------------------------


def refund_sla(policy: policies.Policy) -> RefundSla:
    sla = policy.refund_sla
    return RefundSla(
        counted_from=sla.counted_from.value,
        refund_business_days=sla.refund_business_days,
        store_credit_business_days=(
            sla.store_credit_business_days
            if sla.store_credit_business_days is not None
            else sla.refund_business_days
        ),
        exchange_business_days=(
            sla.exchange_business_days
            if sla.exchange_business_days is not None
            else sla.refund_business_days
        ),
    )


def _entry_at(
    rma: Rma, actions: Collection[str], *, last: bool = False
) -> tuple[str, datetime] | None:
    """(action, time) of the RMA's first (or last) timeline entry doing one of `actions`."""
    entries = [(e.action, e.at) for e in rma.timeline if e.action in actions]
    if not entries:
        return None
    return entries[-1] if last else entries[0]


def _sla_start(rma: Rma, sla: RefundSla) -> datetime | None:
    """When the refund clock started: the approval or the warehouse receipt, as the policy says."""
    entry = _entry_at(rma, ("approve" if sla.counted_from == "approval" else "receive",))
    return entry[1] if entry else None


def _settled_in(
    store: AnalyticsStore, shop: Shop, sla: RefundSla, month: str
) -> tuple[tuple[SettledReturn, ...], bool]:
    """Returns settled during `month`, each timed from the SLA start to its settlement."""
    start = month_start(shop, month)
    end = month_start(shop, months_back(month, -1))
    found: dict[str, SettledReturn] = {}
    complete = True
    for state in SETTLED_STATES:
        page = store.rmas_updated_since(shop.domain, state, start, limit=RMA_LIMIT)
        complete = complete and len(page) < RMA_LIMIT
        for rma in page:
            settlement = _entry_at(rma, SETTLE_ACTIONS, last=True)
            began = _sla_start(rma, sla)
            if settlement is None or began is None or not start <= settlement[1] < end:
                continue
            action, settled_at = settlement
            found[rma.number] = SettledReturn(
                number=rma.number,
                order_name=rma.order_name,
                resolution=action,
                started_at=began,
                settled_at=settled_at,
                business_days=business_days_between(
                    local_date(began, shop.zone), local_date(settled_at, shop.zone), shop.country
                ),
                allowed_business_days=sla.allowed(action),
            )
    ordered = sorted(found.values(), key=lambda s: (s.settled_at, s.number))
    return tuple(ordered), complete


def _expected_settlement(rma: Rma) -> str:
    """How a received return will be settled, by its lines' resolutions."""
    resolutions = {ln.resolution for ln in rma.lines}
    if resolutions == {"store_credit"}:
        return "credit"
    if resolutions and resolutions <= {"exchange", "replacement"}:
        return "exchange"
    return "refund"


def settlement_due(rma: Rma, sla: RefundSla, shop: Shop) -> date | None:
    """The local business day by which a received return must be settled (None before
    its SLA clock starts): refund, store credit or exchange days, as it will be settled."""
    began = _sla_start(rma, sla)
    if began is None:
        return None
    allowed = sla.allowed(_expected_settlement(rma))
    return add_business_days(local_date(began, shop.zone), allowed, shop.country)


def _overdue_now(
    store: AnalyticsStore, shop: Shop, sla: RefundSla, now: datetime
) -> tuple[OverdueReturn, ...]:
    """Received returns (changed in the last 120 days) not settled by their due date."""
    today = local_date(now, shop.zone)
    out = []
    for state in AWAITING_SETTLEMENT:
        for rma in store.rmas_updated_since(
            shop.domain, state, now - OVERDUE_LOOKBACK, limit=RMA_LIMIT
        ):
            due = settlement_due(rma, sla, shop)
            if due is None:
                continue
            late = business_days_between(due, today, shop.country)
            if late > 0:
                out.append(OverdueReturn(rma.number, rma.order_name, rma.state, due, late))
    return tuple(sorted(out, key=lambda o: (-o.late_business_days, o.number)))


def _ensure_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("analytics need a timezone-aware `now`")
