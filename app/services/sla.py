"""Service-level reminders: what is overdue in a shop, listed in the admin and emailed daily.

Three kinds of lateness, each measured against the shop's effective policy in
business days of the shop's country:
- reviews: requests waiting for a decision past `review.deadline_business_days`;
- refunds: received returns not settled past the refund SLA (counted from
  receipt or approval, as `refund_sla.counted_from` says);
- complaints: quality claims (a merchant-fault reason) not answered within the
  policy's acknowledge/proposal hours (an answer is approving or declining it).

The digest is one due item per shop (kind "digest"), due at 08:00 shop time; its
handler emails the support address once per local day and moves itself to the
next morning, so the daily sweep reads only the shops whose digest is due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import policies
from app import i18n
from app.adapters.dynamo.store import DueWork, DynamoStore
from app.domain.rma import Rma
from app.domain.shops import Shop
from app.errors import InvalidInput, UpstreamError
from app.observability import logger
from app.services import analytics, mail
from app.services.proactive import ProactiveContext, SweepResult, run_due
from policies.calendar import business_days_between, local_date
from policies.service_levels import complaint_deadlines, review_due_date
from policies.vocabulary import Reason

DIGEST = "digest"
DIGEST_HOUR = time(8, 0)
# The open states each kind of lateness can be found in.
AWAITING_REVIEW = ("requested",)
AWAITING_SETTLEMENT = ("received", "inspected")
PAGE = 100


@dataclass(frozen=True)
class Overdue:
    kind: str  # "review" | "refund" | "complaint_ack" | "complaint_proposal"
    rma_number: str
    order_name: str
    due: datetime | date
    late_by: str  # "2 business days", "5 hours"


@dataclass
class OverdueReport:
    reviews: list[Overdue] = field(default_factory=list)
    refunds: list[Overdue] = field(default_factory=list)
    complaints: list[Overdue] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.reviews) + len(self.refunds) + len(self.complaints)


def _rmas_in(store: DynamoStore, shop: str, states: tuple[str, ...]) -> Iterator[Rma]:
    for state in states:
        cursor = None
        while True:
            page, cursor = store.list_rmas(shop, state, limit=PAGE, cursor=cursor)
            yield from page
            if not cursor:
                break


def _days_text(n: int) -> str:
    return f"{n} business day{'s' if n != 1 else ''}"


def _hours_text(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "less than an hour"


def _is_complaint(rma: Rma) -> bool:
    """A quality claim: any line returned for a merchant-fault reason."""
    known = {r.value for r in Reason}
    return any(ln.reason in known and Reason(ln.reason).is_merchant_fault for ln in rma.lines)


def overdue(
    store: DynamoStore, shop: Shop, policy: policies.Policy, now: datetime
) -> OverdueReport:
    """Everything overdue in the shop right now (reads only the open returns, by state)."""
    report = OverdueReport()
    today = local_date(now, shop.zone)
    for rma in _rmas_in(store, shop.domain, AWAITING_REVIEW):
        if rma.requires_review:
            due = review_due_date(policy, rma.created_at, shop.country, shop.zone)
            if due is not None and today > due:
                late = business_days_between(due, today, shop.country)
                if late:
                    report.reviews.append(
                        Overdue("review", rma.number, rma.order_name, due, _days_text(late))
                    )
        if _is_complaint(rma):
            deadlines = complaint_deadlines(policy, rma.created_at)
            if deadlines is not None:
                ack_by, proposal_by = deadlines
                if now > proposal_by:
                    report.complaints.append(
                        Overdue(
                            "complaint_proposal",
                            rma.number,
                            rma.order_name,
                            proposal_by,
                            _hours_text(now - proposal_by),
                        )
                    )
                elif now > ack_by:
                    report.complaints.append(
                        Overdue(
                            "complaint_ack",
                            rma.number,
                            rma.order_name,
                            ack_by,
                            _hours_text(now - ack_by),
                        )
                    )
    terms = analytics.refund_sla(policy)
    for rma in _rmas_in(store, shop.domain, AWAITING_SETTLEMENT):
        due = analytics.settlement_due(rma, terms, shop)
        if due is not None and today > due:
            late = business_days_between(due, today, shop.country)
            if late:
                report.refunds.append(
                    Overdue("refund", rma.number, rma.order_name, due, _days_text(late))
                )
    return report


# -- the daily digest ----------------------------------------------------------------------


def next_digest_at(shop: Shop, now: datetime) -> datetime:
    """The next 08:00 in the shop's time zone after `now`."""
    local = now.astimezone(shop.zone)
    at = datetime.combine(local.date(), DIGEST_HOUR, tzinfo=shop.zone)
    return (
        at
        if at > local
        else datetime.combine(local.date() + timedelta(days=1), DIGEST_HOUR, tzinfo=shop.zone)
    )


def ensure_digest_scheduled(store: DynamoStore, shop: Shop, now: datetime) -> bool:
    """Schedule the shop's daily digest unless it is scheduled (install, daily reconcile)."""
    return store.put_due(shop.domain, DIGEST, shop.domain, next_digest_at(shop, now), {})


SECTION_TITLES = {
    "reviews": "Waiting for review past the deadline",
    "refunds": "Received but not refunded within the refund SLA",
    "complaints": "Quality complaints not answered in time",
}


def digest_sections(report: OverdueReport) -> list[dict[str, object]]:
    return [
        {
            "key": key,
            "rows": [
                {"rma_number": o.rma_number, "order_name": o.order_name, "late_by": o.late_by}
                for o in getattr(report, key)
            ],
        }
        for key in SECTION_TITLES
        if getattr(report, key)
    ]


def send_digest(ctx: ProactiveContext, work: DueWork, shop: Shop) -> bool:
    """Email today's overdue list (if any) once, then move the digest to tomorrow morning."""
    now = ctx.clock.now()
    report = overdue(ctx.store, shop, ctx.policy_for(shop), now)
    day = local_date(now, shop.zone)
    if report.total and shop.support_email and ctx.mailer is not None:
        try:
            mail.send_once(
                shop=shop.domain,
                key=f"digest:{day.isoformat()}",
                to=shop.support_email,
                template="merchant_digest",
                context={
                    "shop_name": shop.name or shop.domain,
                    "sections": digest_sections(report),
                    "total": report.total,
                    "admin_url": f"{ctx.app_url}/admin?shop={shop.domain}",
                    "footer_key": "mail.footer_merchant",
                },
                locale=i18n.shop_locale(shop.country),
                mailer=ctx.mailer,
                ledger=ctx.ledger,
                clock=ctx.clock,
            )
        except InvalidInput as exc:
            logger.warning("digest not sent", extra={"shop": shop.domain, "error": str(exc)})
        except UpstreamError:
            raise  # stays due: the next sweep tries again today
    ctx.store.put_due(
        shop.domain, DIGEST, shop.domain, next_digest_at(shop, now), {}, replace_existing=True
    )
    return False  # moved to tomorrow, not deleted


def sweep_digests(ctx: ProactiveContext, now: datetime) -> SweepResult:
    return run_due(
        ctx.store, DIGEST, now, lambda work, shop: send_digest(ctx, work, shop), metrics=ctx.metrics
    )
