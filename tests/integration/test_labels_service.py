"""Buying a return label once per RMA: the purchase-started protocol on DynamoDB Local,
with the providers' SDKs talking to local stand-ins."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.files import LocalFileStore, label_key
from app.adapters.labels.builtin import BuiltinLabelProvider
from app.adapters.labels.easypost import EasyPostLabelProvider
from app.adapters.labels.memory import InMemoryLabelProvider
from app.adapters.labels.ports import NothingBought
from app.adapters.labels.shippo import ShippoLabelProvider
from app.adapters.labels.types import Address, LabelRequest, Parcel
from app.clock import FixedClock
from app.errors import InvalidInput, UpstreamError
from app.services.labels import LEASE, buy_return_label, label_effect_key
from tests.support.label_standins import (
    EasyPostStandIn,
    ShippoStandIn,
    pdf_content_text,
    pdf_media_boxes,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RMA_ID = "a1b2c3d4e5f60718293a"
CUSTOMER = Address(
    "Ada Lovelace", "12 Ockham Lane", None, "Portland", "OR", "97201", "US", "5035550100"
)
MERCHANT = Address(
    "Petite Plume Returns", "215 Clayton St.", "Suite 2", "San Francisco", "CA", "94117", "US"
)


def _request(shop):
    return LabelRequest(
        reference=f"hm-{RMA_ID}-label",
        rma_number="K7M2QX9P",
        ship_from=CUSTOMER,
        ship_to=MERCHANT,
        parcel=Parcel(Decimal("14.5"), Decimal("10"), Decimal("8"), Decimal("3")),
        shop=shop,
    )


class FlakyFiles:
    """A real local store whose next `fail_puts` puts raise, as a worker dying mid-way would."""

    def __init__(self, inner, fail_puts=0):
        self.inner = inner
        self.fail_puts = fail_puts

    def put(self, key, data, content_type):
        if self.fail_puts:
            self.fail_puts -= 1
            raise UpstreamError("S3 put failed: SlowDown", retryable=True)
        self.inner.put(key, data, content_type)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def ledger(store):
    return DynamoLedger(store)


@pytest.fixture
def files(tmp_path):
    return LocalFileStore(tmp_path / "files", "http://127.0.0.1:8000")


@pytest.fixture
def clock():
    return FixedClock(T0)


@pytest.fixture(params=["easypost", "shippo"])
def paid(request, clock):
    """A paid provider and its stand-in, for the tests both must pass."""
    if request.param == "easypost":
        with EasyPostStandIn(clock=clock) as standin:
            yield EasyPostLabelProvider(standin.api_key, standin.api_base, timeout_s=2), standin
    else:
        with ShippoStandIn(clock=clock) as standin:
            yield ShippoLabelProvider(standin.api_key, standin.url, timeout_s=2), standin


def _buy(shop, provider, ledger, files, clock, **kwargs):
    return buy_return_label(
        shop=shop,
        rma_id=RMA_ID,
        request=_request(shop),
        provider=provider,
        ledger=ledger,
        files=files,
        clock=clock,
        **kwargs,
    )


def test_ten_concurrent_calls_buy_one_label_when_racing_for_one_rma(shop, ledger, files, clock):
    with EasyPostStandIn(clock=clock) as easypost:
        provider = EasyPostLabelProvider(easypost.api_key, easypost.api_base, timeout_s=5)
        barrier = threading.Barrier(10)
        results, errors = [], []

        def worker():
            barrier.wait()
            try:
                results.append(_buy(shop, provider, ledger, files, clock, wait_s=20))
            except Exception as exc:  # collected, so a failure shows which
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

        assert errors == []
        assert easypost.purchases == 1
        assert len(easypost.calls("create_shipment")) == 1
        assert len({r.tracking_number for r in results}) == 1 and len(results) == 10
    assert files.get(label_key(shop, RMA_ID)).startswith(b"%PDF-")
    record = ledger.get(shop, label_effect_key(RMA_ID))
    assert (
        record.status == "done" and record.result["tracking_number"] == results[0].tracking_number
    )


def test_retry_after_a_crash_finds_the_label_by_reference_when_storing_failed(
    shop, ledger, files, clock, paid
):
    provider, standin = paid
    flaky = FlakyFiles(files, fail_puts=1)

    with pytest.raises(UpstreamError):  # bought, then the PDF could not be stored
        _buy(shop, provider, ledger, flaky, clock)
    assert standin.purchases == 1
    assert ledger.get(shop, label_effect_key(RMA_ID)).status == "started"

    # A retry within the lease presumes the first worker is still on it.
    with pytest.raises(UpstreamError, match="in progress") as err:
        _buy(shop, provider, ledger, flaky, clock, wait_s=0.3)
    assert err.value.retryable

    clock.set(T0 + LEASE + timedelta(seconds=1))
    stored = _buy(shop, provider, ledger, flaky, clock)

    assert standin.purchases == 1  # found by reference, never bought twice
    assert len(standin.calls("buy")) == 1
    assert stored.file_key == label_key(shop, RMA_ID)
    assert files.get(stored.file_key).startswith(b"%PDF-")
    assert stored.provider == provider.name and stored.cost > 0
    assert ledger.get(shop, label_effect_key(RMA_ID)).status == "done"


def test_uncertain_purchase_is_found_not_bought_again_when_the_buy_timed_out(
    shop, ledger, files, clock
):
    with EasyPostStandIn(clock=clock) as easypost:
        provider = EasyPostLabelProvider(easypost.api_key, easypost.api_base, timeout_s=0.5)
        easypost.stall("buy", seconds=3)  # EasyPost buys, the answer comes too late

        with pytest.raises(UpstreamError) as err:
            _buy(shop, provider, ledger, files, clock)
        assert err.value.retryable and not isinstance(err.value, NothingBought)
        assert ledger.get(shop, label_effect_key(RMA_ID)).status == "started"

        clock.set(T0 + LEASE * 2)
        stored = _buy(shop, provider, ledger, files, clock)

        assert easypost.purchases == 1
        shipment = next(iter(easypost.shipments.values()))
        assert stored.tracking_number == shipment["tracking_code"]
        lookup = easypost.calls("list_shipments")[0].query
        assert lookup["purchased"] == "True" and "start_datetime" in lookup


def test_done_label_is_returned_without_the_provider_when_asked_again(
    shop, ledger, files, clock, paid
):
    provider, standin = paid
    first = _buy(shop, provider, ledger, files, clock)
    calls = len(standin.requests)

    clock.set(T0 + timedelta(days=3))
    again = _buy(shop, provider, ledger, files, clock)

    assert again == first
    assert len(standin.requests) == calls


def test_refused_purchase_releases_the_claim_when_nothing_was_bought(shop, ledger, files, clock):
    with EasyPostStandIn(clock=clock) as easypost:
        provider = EasyPostLabelProvider(easypost.api_key, easypost.api_base, timeout_s=2)
        easypost.fail(
            "buy",
            status=402,
            body={
                "error": {
                    "code": "PAYMENT.REQUIRED",
                    "message": "Add a payment method.",
                    "errors": [],
                }
            },
        )
        with pytest.raises(NothingBought):
            _buy(shop, provider, ledger, files, clock)
        assert ledger.get(shop, label_effect_key(RMA_ID)) is None

        stored = _buy(shop, provider, ledger, files, clock)  # at once: nothing to wait for
        assert easypost.purchases == 1 and stored.carrier == "USPS"


def test_takeover_is_refused_when_another_worker_already_took_over(shop, ledger, files, clock):
    provider = InMemoryLabelProvider()
    ledger.claim(
        shop, label_effect_key(RMA_ID), at=T0, data={"provider": "memory", "reference": "hm-r"}
    )
    clock.set(T0 + LEASE + timedelta(seconds=5))
    ledger.claim(shop, f"{label_effect_key(RMA_ID)}:takeover:1", at=clock.now())

    with pytest.raises(UpstreamError, match="another worker") as err:
        _buy(shop, provider, ledger, files, clock)
    assert err.value.retryable and provider.purchases == 0


def test_stale_claim_buys_under_the_recorded_reference_when_nothing_was_bought(
    shop, ledger, files, clock
):
    provider = InMemoryLabelProvider()
    ledger.claim(
        shop,
        label_effect_key(RMA_ID),
        at=T0,
        data={"provider": "memory", "reference": "hm-first-try"},
    )
    clock.set(T0 + LEASE)

    stored = _buy(shop, provider, ledger, files, clock)

    assert provider.purchases == 1 and stored.reference == "hm-first-try"
    assert ledger.get(shop, f"{label_effect_key(RMA_ID)}:takeover:1") is None  # tidied up


def test_another_provider_cannot_finish_a_started_purchase_when_retrying(
    shop, ledger, files, clock
):
    ledger.claim(
        shop, label_effect_key(RMA_ID), at=T0, data={"provider": "easypost", "reference": "hm-r"}
    )
    clock.set(T0 + LEASE * 2)
    with pytest.raises(InvalidInput) as err:
        _buy(shop, InMemoryLabelProvider(), ledger, files, clock)
    assert err.value.field == "provider"


def test_waiting_caller_gets_the_label_when_the_first_finishes_meanwhile(
    shop, ledger, files, clock
):
    provider = InMemoryLabelProvider()
    ledger.claim(
        shop, label_effect_key(RMA_ID), at=T0, data={"provider": "memory", "reference": "hm-r"}
    )
    done = {
        "provider": "memory",
        "tracking_number": "9400111",
        "carrier": "USPS",
        "file_key": label_key(shop, RMA_ID),
        "cost": "5.40",
        "currency": "USD",
    }
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            ledger.complete(shop, label_effect_key(RMA_ID), done)

    stored = _buy(shop, provider, ledger, files, clock, sleep=sleep)

    assert stored.tracking_number == "9400111" and stored.cost == Decimal("5.40")
    assert provider.purchases == 0 and len(sleeps) == 2


def test_builtin_label_is_a_4x6_pdf_with_the_rma_number_when_stored(shop, ledger, files, clock):
    stored = _buy(shop, BuiltinLabelProvider(), ledger, files, clock)

    pdf = files.get(stored.file_key)
    assert pdf_media_boxes(pdf) == [(0.0, 0.0, 288.0, 432.0)]
    assert "(K7M2QX9P) Tj" in pdf_content_text(pdf)
    assert files.read(stored.file_key).content_type == "application/pdf"
    assert (stored.provider, stored.cost, stored.file_key) == (
        "builtin",
        Decimal("0.00"),
        f"labels/{shop}/{RMA_ID}.pdf",
    )


def test_failed_lookup_lets_the_next_retry_take_over_when_the_provider_was_down(
    shop, ledger, files, clock
):
    with EasyPostStandIn(clock=clock) as easypost:
        provider = EasyPostLabelProvider(easypost.api_key, easypost.api_base, timeout_s=2)
        ledger.claim(
            shop,
            label_effect_key(RMA_ID),
            at=T0,
            data={"provider": "easypost", "reference": f"hm-{RMA_ID}-label"},
        )
        clock.set(T0 + LEASE + timedelta(seconds=1))
        easypost.fail("list_shipments", status=500)

        with pytest.raises(UpstreamError) as err:
            _buy(shop, provider, ledger, files, clock)
        assert err.value.retryable and easypost.purchases == 0

        stored = _buy(shop, provider, ledger, files, clock)  # same lease window, at once
        assert easypost.purchases == 1 and stored.reference == f"hm-{RMA_ID}-label"
