"""Buy a return label once per RMA, even when the work is retried or runs twice at once.

Label APIs have no idempotency keys, so the purchase is recorded as *started*
in the effect ledger, with the reference it is made under, before the
provider is called. Then:

- first caller: buy, store the PDF at labels/<shop>/<rma id>.pdf, complete;
- the effect is done: return the stored result, no provider call;
- it started less than a lease ago: another worker is on it, wait for its
  result (briefly), else ask to be retried;
- it started longer ago: that worker died somewhere between claim and
  completion. One retrier per lease window takes over, looks the purchase up
  by reference and buys only if the provider certainly has none.

A failure that certainly bought nothing (NothingBought, bad input) releases
the claim so a retry starts afresh; any other failure leaves it started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.adapters.dynamo.ledger import DynamoLedger, EffectRecord
from app.adapters.files import FileStore, label_key
from app.adapters.labels.download import download_label
from app.adapters.labels.ports import LabelProvider, NothingBought
from app.adapters.labels.types import Label, LabelRequest
from app.clock import Clock
from app.errors import InvalidInput, UpstreamError
from app.observability import logger

# Longer than one attempt can take (create, buy, download, store: a few provider
# timeouts). Until then a started purchase is presumed to be in progress.
LEASE = timedelta(minutes=3)
POLL_S = 0.2

Fetcher = Callable[[str], bytes]


def label_effect_key(rma_id: str) -> str:
    return f"{rma_id}:label"


@dataclass(frozen=True)
class StoredLabel:
    """A bought label as the app keeps it: where its PDF is and what it cost."""

    provider: str
    tracking_number: str
    carrier: str
    tracking_url: str | None
    file_key: str
    cost: Decimal
    currency: str
    service: str = ""
    reference: str = ""
    qr_code_url: str | None = None

    def to_result(self) -> dict[str, str]:
        fields = {
            "provider": self.provider,
            "tracking_number": self.tracking_number,
            "carrier": self.carrier,
            "tracking_url": self.tracking_url,
            "file_key": self.file_key,
            "cost": format(self.cost, "f"),
            "currency": self.currency,
            "service": self.service,
            "reference": self.reference,
            "qr_code_url": self.qr_code_url,
        }
        return {k: v for k, v in fields.items() if v is not None}

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> StoredLabel:
        return cls(
            provider=result["provider"],
            tracking_number=result["tracking_number"],
            carrier=result["carrier"],
            tracking_url=result.get("tracking_url"),
            file_key=result["file_key"],
            cost=Decimal(result["cost"]),
            currency=result["currency"],
            service=result.get("service", ""),
            reference=result.get("reference", ""),
            qr_code_url=result.get("qr_code_url"),
        )


@dataclass(frozen=True)
class _Purchase:
    shop: str
    rma_id: str
    key: str
    provider: LabelProvider
    ledger: DynamoLedger
    files: FileStore
    fetch: Fetcher

    def buy(self, req: LabelRequest, *, also_release: str | None = None) -> Label:
        try:
            return self.provider.buy_return_label(req)
        except (NothingBought, InvalidInput):
            # Certainly nothing bought: forget the claim so the retry starts afresh.
            self.ledger.release(self.shop, self.key)
            if also_release:
                self.ledger.release(self.shop, also_release)
            raise

    def store(self, label: Label) -> StoredLabel:
        if label.pdf is not None:
            pdf = label.pdf
        elif label.label_url:
            pdf = self.fetch(label.label_url)
        else:
            raise UpstreamError(f"{label.provider} returned a label without a PDF", retryable=False)
        file_key = label_key(self.shop, self.rma_id)
        self.files.put(file_key, pdf, "application/pdf")
        stored = StoredLabel(
            provider=label.provider,
            tracking_number=label.tracking_number,
            carrier=label.carrier,
            tracking_url=label.tracking_url,
            file_key=file_key,
            cost=label.cost,
            currency=label.currency,
            service=label.service,
            reference=label.reference,
            qr_code_url=label.qr_code_url,
        )
        self.ledger.complete(self.shop, self.key, stored.to_result())
        # complete() keeps the first result; if a slow twin finished first, its label is the one.
        final = self.ledger.get(self.shop, self.key)
        if final is not None and final.status == "done" and final.result:
            stored = StoredLabel.from_result(final.result)
        logger.info(
            "return label stored",
            extra={"shop": self.shop, "rma_id": self.rma_id, "provider": label.provider},
        )
        return stored


def buy_return_label(
    *,
    shop: str,
    rma_id: str,
    request: LabelRequest,
    provider: LabelProvider,
    ledger: DynamoLedger,
    files: FileStore,
    clock: Clock,
    fetch: Fetcher = download_label,
    lease: timedelta = LEASE,
    wait_s: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> StoredLabel:
    """The RMA's return label, bought at most once; raises UpstreamError (retryable while
    another attempt is in progress or the provider failed), NothingBought, InvalidInput."""
    job = _Purchase(shop, rma_id, label_effect_key(rma_id), provider, ledger, files, fetch)
    data = {"provider": provider.name, "reference": request.reference}
    deadline = time.monotonic() + wait_s
    record = ledger.claim(shop, job.key, at=clock.now(), data=data)
    while True:
        if record is None:
            return job.store(job.buy(request))
        if record.status == "done" and record.result:
            return StoredLabel.from_result(record.result)
        _ensure_same_provider(record, provider)
        started_at = datetime.fromisoformat(record.started_at)
        age = clock.now() - started_at
        if age >= lease:
            return _take_over(job, request, record, started_at, age, lease, clock)
        if time.monotonic() >= deadline:
            raise UpstreamError(
                "a label purchase for this return is in progress; try again shortly",
                retryable=True,
            )
        sleep(POLL_S)
        # Released meanwhile (that attempt bought nothing): then we may be first.
        record = ledger.get(shop, job.key) or ledger.claim(shop, job.key, at=clock.now(), data=data)


def _ensure_same_provider(record: EffectRecord, provider: LabelProvider) -> None:
    started_with = record.data.get("provider")
    if started_with != provider.name:
        # Looking the purchase up at another provider would find nothing and buy a second label.
        raise InvalidInput(
            f"a purchase was started with {started_with}; finish it with that provider",
            "provider",
        )


def _take_over(
    job: _Purchase,
    request: LabelRequest,
    record: EffectRecord,
    started_at: datetime,
    age: timedelta,
    lease: timedelta,
    clock: Clock,
) -> StoredLabel:
    """Finish a purchase whose worker stopped: look it up by reference, buy only if absent."""
    # One retrier per lease window; if it dies too, the next window lets another one in.
    takeover = f"{job.key}:takeover:{int(age / lease)}"
    if job.ledger.claim(job.shop, takeover, at=clock.now()) is not None:
        raise UpstreamError(
            "another worker is finishing this label purchase; try again shortly", retryable=True
        )
    reference = str(record.data["reference"])
    try:
        label = job.provider.find_by_reference(reference, since=started_at)
    except Exception:
        # A failed look-up bought nothing: the next retry may take over at once.
        job.ledger.release(job.shop, takeover)
        raise
    if label is None:
        label = job.buy(replace(request, reference=reference), also_release=takeover)
    else:
        logger.info(
            "found the label an earlier attempt bought",
            extra={"shop": job.shop, "rma_id": job.rma_id, "provider": label.provider},
        )
    stored = job.store(label)
    job.ledger.release(job.shop, takeover)
    return stored
