"""Dates and amounts the other features derive from a policy's service levels.

Backorder notices, delayed-order upgrades, SLA reminders and the refund service
use these so that they count days exactly as the evaluator does. Pure functions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from policies.calendar import add_business_days, end_of_local_day, local_date
from policies.vocabulary import Resolution

if TYPE_CHECKING:
    from policies.schema import Policy


def promised_delivery_date(
    policy: Policy, ordered_at: datetime, method: str, country: str, tz: tzinfo | str
) -> date | None:
    """Order date + dispatch SLA + the method's longest transit, in business days.

    None when the policy has no dispatch SLA or does not know the shipping method.
    """
    fulfillment = policy.fulfillment
    shipping = fulfillment.shipping_methods.get(method)
    if fulfillment.dispatch_business_days is None or shipping is None:
        return None
    days = fulfillment.dispatch_business_days + shipping.transit_business_days
    return add_business_days(local_date(ordered_at, tz), days, country)


def delay_deadline(
    policy: Policy, ordered_at: datetime, method: str, country: str, tz: tzinfo | str
) -> date | None:
    """The last local day an order may arrive before delay compensation is owed."""
    delay = policy.compensation.delay
    promised = promised_delivery_date(policy, ordered_at, method, country, tz)
    if delay is None or promised is None:
        return None
    return add_business_days(promised, delay.threshold_business_days, country)


def is_delayed(
    policy: Policy,
    ordered_at: datetime,
    method: str,
    country: str,
    tz: tzinfo | str,
    now: datetime,
    delivered_at: datetime | None = None,
) -> bool:
    """True when delivery (or `now`, if not delivered yet) falls after the delay deadline."""
    deadline = delay_deadline(policy, ordered_at, method, country, tz)
    if deadline is None:
        return False
    moment = delivered_at if delivered_at is not None else now
    return moment > end_of_local_day(deadline, tz)


def delay_store_credit(policy: Policy, order_total: Decimal) -> Decimal:
    """The store credit a delayed order earns (0.00 when the policy has none)."""
    return policy.delay_credit(order_total)


def is_backordered(policy: Policy, out_of_stock_since: datetime, now: datetime) -> bool:
    """True once an item has been out of stock for more than `backordered_after_days`."""
    if policy.backorders is None:
        return False
    return now - out_of_stock_since > timedelta(days=policy.backorders.backordered_after_days)


def backorder_notice_due(policy: Policy, backordered_at: datetime) -> datetime | None:
    """When the customer must have had the backorder notice."""
    if policy.backorders is None:
        return None
    return backordered_at + timedelta(hours=policy.backorders.notice_within_hours)


def expected_ship_text(day: date) -> str:
    """The customer-facing ETA as a calendar date: 'Expected to ship by June 12, 2025'."""
    return f"Expected to ship by {day:%B} {day.day}, {day.year}"


def refund_due_date(
    policy: Policy, counted_from: date, country: str, resolution: Resolution = Resolution.REFUND
) -> date:
    """The business day by which money must be back (store credit may be faster)."""
    sla = policy.refund_sla
    days = sla.refund_business_days
    if resolution is Resolution.STORE_CREDIT and sla.store_credit_business_days is not None:
        days = sla.store_credit_business_days
    return add_business_days(counted_from, days, country)


def review_due_date(
    policy: Policy, requested_at: datetime, country: str, tz: tzinfo | str
) -> date | None:
    """The local business day by which a request must be reviewed, if the policy says."""
    days = policy.review.deadline_business_days
    if days is None:
        return None
    return add_business_days(local_date(requested_at, tz), days, country)


def complaint_deadlines(policy: Policy, received_at: datetime) -> tuple[datetime, datetime] | None:
    """(acknowledge by, proposal by) for a complaint received at `received_at`."""
    complaints = policy.complaints
    if complaints is None:
        return None
    return (
        received_at + timedelta(hours=complaints.acknowledge_within_hours),
        received_at + timedelta(hours=complaints.proposal_within_hours),
    )
