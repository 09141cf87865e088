"""Each email once per event: `send_once` on the effect ledger in DynamoDB Local."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.mail import InMemoryMailer, LocalOutbox
from app.clock import FixedClock
from app.errors import InvalidInput, UpstreamError
from app.services.mail import LEASE, send_once

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONTEXT = {
    "shop_name": "Petite Plume",
    "rma_number": "K7M2QX9P",
    "customer_name": "Ada",
    "amount": Decimal("49.50"),
    "currency": "USD",
}


@pytest.fixture
def ledger(store):
    return DynamoLedger(store)


@pytest.fixture
def clock():
    return FixedClock(T0)


def _send(shop, mailer, ledger, clock, key="rma1:mail:refunded", **kwargs):
    return send_once(
        shop=shop,
        key=key,
        to="ada@example.test",
        template="refund_issued",
        context=CONTEXT,
        locale="en",
        mailer=mailer,
        ledger=ledger,
        clock=clock,
        **kwargs,
    )


def test_send_once_sends_one_email_when_called_twice_with_the_same_key(shop, ledger, clock):
    mailer = InMemoryMailer()
    assert _send(shop, mailer, ledger, clock) == "sent"
    assert _send(shop, mailer, ledger, clock) == "already_sent"
    assert len(mailer.sent) == 1
    assert mailer.sent[0].subject == "Your refund of $49.50 USD is on its way"
    assert mailer.sent[0].headers == {"X-Entity-Ref-ID": "rma1:mail:refunded"}
    record = ledger.get(shop, "mail:rma1:mail:refunded")
    assert record.status == "done" and record.data == {"template": "refund_issued"}
    assert "ada@example.test" not in str(record)  # no address in the ledger


def test_send_once_sends_each_event_when_the_keys_differ(shop, ledger, clock):
    mailer = InMemoryMailer()
    _send(shop, mailer, ledger, clock, key="rma1:mail:refunded")
    _send(shop, mailer, ledger, clock, key="rma2:mail:refunded")
    assert len(mailer.sent) == 2


def test_concurrent_send_once_sends_one_email_when_ten_workers_race(shop, ledger, clock, tmp_path):
    outbox = LocalOutbox(tmp_path / "outbox")
    barrier = threading.Barrier(10)
    results, errors = [], []

    def worker():
        barrier.wait()
        try:
            results.append(_send(shop, outbox, ledger, clock))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sorted(results) == ["already_sent"] * 9 + ["sent"]
    assert len(outbox.list()) == 1
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 1


def test_failed_send_is_sent_exactly_once_when_the_retry_succeeds(shop, ledger, clock):
    mailer = InMemoryMailer()
    mailer.failures.append(
        UpstreamError("SES unreachable: EndpointConnectionError", retryable=True)
    )

    with pytest.raises(UpstreamError):
        _send(shop, mailer, ledger, clock)
    assert ledger.get(shop, "mail:rma1:mail:refunded") is None  # released for the retry

    assert _send(shop, mailer, ledger, clock) == "sent"
    assert _send(shop, mailer, ledger, clock) == "already_sent"
    assert len(mailer.sent) == 1


def test_retry_asks_to_be_retried_when_another_worker_is_still_sending(shop, ledger, clock):
    mailer = InMemoryMailer()
    ledger.claim(shop, "mail:rma1:mail:refunded", at=T0, data={"template": "refund_issued"})

    with pytest.raises(UpstreamError) as err:
        _send(shop, mailer, ledger, clock, wait_s=0.2)
    assert err.value.retryable and mailer.sent == []


def test_stale_claim_is_taken_over_and_sent_when_its_worker_died(shop, ledger, clock):
    mailer = InMemoryMailer()
    ledger.claim(shop, "mail:rma1:mail:refunded", at=T0, data={"template": "refund_issued"})
    clock.set(T0 + LEASE + timedelta(seconds=1))

    assert _send(shop, mailer, ledger, clock) == "sent"
    assert _send(shop, mailer, ledger, clock) == "already_sent"
    assert len(mailer.sent) == 1
    assert ledger.get(shop, "mail:rma1:mail:refunded:takeover:1") is None


def test_bad_context_claims_nothing_when_the_template_cannot_render(shop, ledger, clock):
    mailer = InMemoryMailer()
    with pytest.raises(InvalidInput):
        send_once(
            shop=shop,
            key="rma1:mail:declined",
            to="ada@example.test",
            template="return_declined",
            context={"shop_name": "Petite Plume", "rma_number": "K7M2QX9P"},  # no reason
            locale="en",
            mailer=mailer,
            ledger=ledger,
            clock=clock,
        )
    assert ledger.get(shop, "mail:rma1:mail:declined") is None and mailer.sent == []
