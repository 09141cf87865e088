"""Return labels bought through Shippo (the `shippo` SDK, pointed at `server_url`).

A return is a shipment with `extra.is_return` (Shippo swaps the outbound
addresses itself, so the merchant is `address_from`), our reference in
`extra.reference_1` and in `metadata`, and a QR code requested for label-free
drop-off. The purchase is a transaction carrying the reference as its
`metadata`; Shippo has no idempotency keys, so a retry lists transactions and
matches it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
import shippo
from shippo.models import components, errors, operations

from app.adapters.labels.ports import NothingBought
from app.adapters.labels.types import Address, Label, LabelRequest
from app.errors import InvalidInput, UpstreamError

DEFAULT_CARRIERS = ("USPS", "UPS", "FedEx")
API_VERSION = "2018-02-08"
RETRYABLE_STATUSES = {408, 409, 425, 429}
# Look-ups go back this long before our claim: the provider's clock is not ours.
CLOCK_SKEW = timedelta(hours=1)
_SDK_FAILURES = (errors.SDKError, requests.RequestException, AttributeError)
PENDING = {components.TransactionStatusEnum.QUEUED, components.TransactionStatusEnum.WAITING}


class _TimeoutSession(requests.Session):
    """The SDK sends without a timeout; a hung connection must end as a retryable error."""

    def __init__(self, timeout_s: float):
        super().__init__()
        self._timeout_s = timeout_s

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout_s)
        return super().send(request, **kwargs)


def _error(
    exc: Exception, *, before_purchase: bool = False, purchasing: bool = False
) -> UpstreamError:
    """5xx, timeouts and lost connections retry; other 4xx are refusals (NothingBought when
    buying or before it: a refused purchase bought nothing)."""
    if isinstance(exc, errors.SDKError):
        status = exc.status_code
        retryable = status >= 500 or status in RETRYABLE_STATUSES
        message = f"Shippo {status}: {(exc.body or exc.message)[:300]}"
    elif isinstance(exc, AttributeError):
        # The SDK raises AttributeError for an answer it cannot unmarshal.
        retryable, message = False, f"Shippo answered in a shape the SDK cannot read: {exc}"[:300]
    else:
        retryable, message = True, f"Shippo unreachable: {type(exc).__name__}"
    if before_purchase or (purchasing and not retryable):
        return NothingBought(message, retryable=retryable)
    return UpstreamError(message, retryable=retryable)


def _address(a: Address) -> components.AddressCreateRequest:
    return components.AddressCreateRequest(
        name=a.name,
        street1=a.line1,
        street2=a.line2 or None,
        city=a.city,
        state=a.province or None,
        zip=a.zip,
        country=a.country_code,
        phone=a.phone or None,
    )


class ShippoLabelProvider:
    """Buys the cheapest rate among `carriers` for a scan-based return; PDF 4x6 plus a QR code."""

    name = "shippo"

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        carriers: Iterable[str] = DEFAULT_CARRIERS,
        timeout_s: float = 30,
        max_pages: int = 20,
        page_size: int = 100,
        poll_s: float = 1.0,
        polls: int = 10,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._sdk = shippo.Shippo(
            api_key_header=api_key,
            shippo_api_version=API_VERSION,
            server_url=base_url,
            client=_TimeoutSession(timeout_s),
        )
        self._carriers = tuple(carriers)
        self._max_pages = max_pages
        self._page_size = page_size
        self._poll_s = poll_s
        self._polls = polls
        self._sleep = sleep

    def buy_return_label(self, req: LabelRequest) -> Label:
        if len(req.reference) > 100:  # Shippo's metadata holds 100 characters
            raise InvalidInput("must be at most 100 characters for Shippo", "reference")
        parcel = req.parcel
        try:
            shipment = self._sdk.shipments.create(
                components.ShipmentCreateRequest(
                    address_from=_address(req.ship_to),
                    address_to=_address(req.ship_from),
                    parcels=[
                        components.ParcelCreateRequest(
                            mass_unit=components.WeightUnitEnum.OZ,
                            weight=str(parcel.weight_oz),
                            distance_unit=components.DistanceUnitEnum.IN,
                            length=str(parcel.length_in),
                            width=str(parcel.width_in),
                            height=str(parcel.height_in),
                        )
                    ],
                    extra=components.ShipmentExtra(
                        is_return=True, reference_1=req.reference, qr_code_requested=True
                    ),
                    metadata=req.reference,
                    async_=False,
                )
            )
        except _SDK_FAILURES as exc:
            raise _error(exc, before_purchase=True) from exc
        rate = self._cheapest(shipment)
        try:
            tx = self._sdk.transactions.create(
                components.TransactionCreateRequest(
                    rate=rate.object_id,
                    async_=False,
                    label_file_type=components.LabelFileTypeEnum.PDF_4X6,
                    metadata=req.reference,
                )
            )
        except _SDK_FAILURES as exc:
            raise _error(exc, purchasing=True) from exc
        try:
            tx = self._settle(tx)
        except _SDK_FAILURES as exc:
            raise _error(exc) from exc
        if tx.status != components.TransactionStatusEnum.SUCCESS:
            # Shippo answers 201 with status ERROR when the carrier refused: nothing bought.
            texts = "; ".join(m.text or "" for m in tx.messages or []) or str(tx.status)
            raise NothingBought(f"Shippo could not buy the label: {texts}", retryable=False)
        return self._label(tx, rate.provider, rate.servicelevel.name, rate.amount, rate.currency)

    def _cheapest(self, shipment: components.Shipment) -> components.Rate:
        allowed = {c.lower() for c in self._carriers}
        rates = [r for r in shipment.rates or [] if r.provider.lower() in allowed]
        if not rates:
            problems = "; ".join(m.text or "" for m in shipment.messages or [])
            raise NothingBought(
                f"Shippo offered no rate from {', '.join(self._carriers)}"
                + (f" ({problems})" if problems else ""),
                retryable=False,
            )
        return min(rates, key=lambda r: (Decimal(r.amount), r.provider, r.servicelevel.name or ""))

    def _settle(self, tx: components.Transaction) -> components.Transaction:
        """Wait out a purchase Shippo queued instead of finishing (async is only a request)."""
        for _ in range(self._polls):
            if tx.status not in PENDING:
                return tx
            self._sleep(self._poll_s)
            tx = self._sdk.transactions.get(str(tx.object_id))
        if tx.status in PENDING:
            raise UpstreamError("Shippo: the label purchase is still queued", retryable=True)
        return tx

    def _label(
        self,
        tx: components.Transaction,
        carrier: str | None,
        service: str | None,
        amount: str | None,
        currency: str | None,
    ) -> Label:
        return Label(
            provider=self.name,
            reference=str(tx.metadata),
            carrier=str(carrier),
            service=str(service),
            tracking_number=str(tx.tracking_number),
            tracking_url=tx.tracking_url_provider,
            pdf=None,
            label_url=tx.label_url,
            qr_code_url=tx.qr_code_url,
            cost=Decimal(str(amount)),
            currency=str(currency),
        )

    def _label_of(self, tx: components.Transaction) -> Label:
        rate = tx.rate
        if isinstance(rate, components.CoreRate):
            return self._label(
                tx, rate.provider, rate.servicelevel_name, rate.amount, rate.currency
            )
        full = self._sdk.rates.get(str(rate))
        return self._label(tx, full.provider, full.servicelevel.name, full.amount, full.currency)

    def find_by_reference(self, reference: str, *, since: datetime | None = None) -> Label | None:
        """The successful purchase made under `reference`, newest first (back to `since`).

        Raises UpstreamError rather than answer None from a partial look: None
        means "certainly not bought", and the caller will buy.
        """
        floor = since - CLOCK_SKEW if since is not None else None
        try:
            for page in range(1, self._max_pages + 1):
                listing = self._sdk.transactions.list(
                    operations.ListTransactionsRequest(page=page, results=self._page_size)
                )
                results = listing.results or []
                for tx in results:
                    if tx.metadata == reference:
                        tx = self._settle(tx)
                        if tx.status == components.TransactionStatusEnum.SUCCESS:
                            return self._label_of(tx)
                if not listing.next or not results:
                    return None
                oldest = results[-1].object_created
                if floor is not None and oldest is not None and oldest < floor:
                    return None  # listed newest first: the rest is older than the claim
        except _SDK_FAILURES as exc:
            raise _error(exc) from exc
        raise UpstreamError(
            f"Shippo: no transaction {reference} in the newest {self._max_pages} pages; "
            "check the dashboard before buying again",
            retryable=False,
        )
