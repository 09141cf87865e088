"""SLA reminders against DynamoDB Local: what is overdue, and the merchant's daily digest, once."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import policies
from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.mail import InMemoryMailer
from app.clock import FixedClock
from app.domain.rma import Rma, RmaLine, TimelineEntry
from app.domain.shops import Shop
from app.services import sla
from app.services.proactive import ProactiveContext

NY = ZoneInfo("America/New_York")


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=NY)


def _rma(number, state, created, *, reason="size_fit", review=False, received=None, approved=None):
    line = RmaLine(
        line_item_id=1,
        title="Linen dress",
        quantity=1,
        price=Decimal("80.00"),
        reason=reason,
        resolution="refund",
        condition="unworn_tags_attached",
        refund_amount=Decimal("80.00"),
    )
    timeline = [TimelineEntry(at=created, actor="customer", action="request")]
    if approved:
        timeline.append(TimelineEntry(at=approved, actor="staff:1", action="approve"))
    if received:
        timeline.append(TimelineEntry(at=received, actor="staff:1", action="receive"))
    return Rma(
        number=number,
        shop="s",
        order_id=int(number[-4:]),
        order_name=f"#{number[-4:]}",
        currency="USD",
        state=state,
        lines=(line,),
        created_at=created,
        updated_at=timeline[-1].at,
        requires_review=review,
        timeline=tuple(timeline),
    )


@pytest.fixture
def cn_policy_shop(store, shop):
    """A US shop on the CN preset: 1-business-day reviews, 24/48 h complaints, 3-day refunds."""
    s = Shop(
        domain=shop,
        status="installed",
        name="Lantern Lane",
        country="US",
        timezone="America/New_York",
        policy_preset="cn-consumer",
        support_email="desk@lantern.example",
    )
    store.put_shop(s)
    return s


def _ctx(store, clock, mailer):
    return ProactiveContext(
        store=store,
        ledger=DynamoLedger(store),
        clock=clock,
        admin_for=lambda shop: None,  # the digest never calls Shopify
        mailer=mailer,
        policy_for=lambda s: policies.load_preset(s.policy_preset),
        app_url="https://hemline.example",
        link_secret=b"x" * 32,
    )


def test_review_deadline_skips_thanksgiving_and_the_weekend(store, cn_policy_shop):
    # GIVEN a request made the day before Thanksgiving: one business day to review it
    store.create_rma(
        cn_policy_shop.domain, _rma("REVW0001", "requested", _at("2026-11-25"), review=True), {1: 1}
    )
    policy = policies.load_preset("cn-consumer")
    # THEN it is not late on Friday (Thursday is a holiday, so Friday is the deadline)...
    friday = sla.overdue(store, cn_policy_shop, policy, _at("2026-11-27", 20))
    assert friday.reviews == []
    # ...and one business day late on Monday
    monday = sla.overdue(store, cn_policy_shop, policy, _at("2026-11-30", 9))
    assert [(o.rma_number, o.late_by) for o in monday.reviews] == [("REVW0001", "1 business day")]


def test_complaints_are_late_after_24_hours_unanswered_and_48_without_a_proposal(
    store, cn_policy_shop
):
    now = _at("2026-11-24", 12)
    for number, hours in (("CMPL0001", 30), ("CMPL0002", 50), ("CMPL0003", 5)):
        store.create_rma(
            cn_policy_shop.domain,
            _rma(number, "requested", now - timedelta(hours=hours), reason="defective"),
            {1: 1},
        )
    report = sla.overdue(store, cn_policy_shop, policies.load_preset("cn-consumer"), now)
    assert sorted((o.rma_number, o.kind, o.late_by) for o in report.complaints) == [
        ("CMPL0001", "complaint_ack", "6 hours"),
        ("CMPL0002", "complaint_proposal", "2 hours"),
    ]


def test_refund_sla_counts_business_days_from_receipt(store, cn_policy_shop):
    # received Monday 16th: 3 business days -> due Thursday 19th
    store.create_rma(
        cn_policy_shop.domain,
        _rma("RFND0001", "received", _at("2026-11-10"), received=_at("2026-11-16")),
        {1: 1},
    )
    store.create_rma(
        cn_policy_shop.domain,
        _rma("RFND0002", "received", _at("2026-11-10"), received=_at("2026-11-23")),
        {1: 1},
    )
    report = sla.overdue(
        store, cn_policy_shop, policies.load_preset("cn-consumer"), _at("2026-11-24", 15)
    )
    # Friday, Monday and Tuesday past the deadline; the one received yesterday is on time
    assert [(o.rma_number, o.late_by) for o in report.refunds] == [("RFND0001", "3 business days")]


def test_digest_is_emailed_once_a_day_and_moves_to_the_next_morning(store, cn_policy_shop):
    shop = cn_policy_shop
    store.create_rma(
        shop.domain,
        _rma("RFND0009", "received", _at("2026-11-10"), received=_at("2026-11-16")),
        {1: 1},
    )
    clock = FixedClock(_at("2026-11-23", 7))
    mailer = InMemoryMailer()
    ctx = _ctx(store, clock, mailer)
    assert sla.ensure_digest_scheduled(store, shop, clock.now())
    assert not sla.ensure_digest_scheduled(store, shop, clock.now())  # daily reconcile again
    assert store.get_due(shop.domain, sla.DIGEST, shop.domain).due_at == _at("2026-11-23", 8)

    # nothing is sent at 7:00
    sla.sweep_digests(ctx, clock.now())
    assert [m for m in mailer.sent if m.to == "desk@lantern.example"] == []
    # at 8:00 two sweeps run at once: one email
    clock.set(_at("2026-11-23", 8))
    threads = [
        threading.Thread(target=sla.sweep_digests, args=(ctx, clock.now())) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mine = [m for m in mailer.sent if m.to == "desk@lantern.example"]
    assert len(mine) == 1
    assert "RFND0009 (order #0009): late by 2 business days" in mine[0].text
    assert mine[0].subject == "Lantern Lane: returns that need you today"
    # the digest now waits for tomorrow 08:00 shop time
    assert store.get_due(shop.domain, sla.DIGEST, shop.domain).due_at == _at("2026-11-24", 8)
    sla.sweep_digests(ctx, _at("2026-11-23", 18))
    assert len([m for m in mailer.sent if m.to == "desk@lantern.example"]) == 1


def test_no_digest_when_nothing_is_late_or_no_address(store, cn_policy_shop):
    clock = FixedClock(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    mailer = InMemoryMailer()
    ctx = _ctx(store, clock, mailer)
    sla.ensure_digest_scheduled(store, cn_policy_shop, clock.now() - timedelta(days=1))
    result = sla.sweep_digests(ctx, clock.now())
    assert result.due >= 1 and result.failed == 0
    assert [m for m in mailer.sent if m.to == "desk@lantern.example"] == []
    assert (
        store.get_due(cn_policy_shop.domain, sla.DIGEST, cn_policy_shop.domain).due_at > clock.now()
    )
