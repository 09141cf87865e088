"""Return labels bought through EasyPost (the `easypost` SDK's client).

EasyPost takes the outbound addresses and swaps them itself for `is_return`,
so the merchant goes in `from_address` and the customer in `to_address`. The
shipment carries our `reference`; EasyPost has no idempotency keys, so a retry
lists recent purchased shipments and matches that reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import easypost
from easypost.constant import API_BASE, API_VERSION
from easypost.errors import EasyPostError

from app.adapters.labels.ports import NothingBought
from app.adapters.labels.types import Address, Label, LabelRequest
from app.errors import UpstreamError

DEFAULT_CARRIERS = ("USPS", "UPS", "FedEx")
# Status codes that say "try again later", whatever else they say.
RETRYABLE_STATUSES = {408, 409, 425, 429}
# Look-ups start this long before our claim: the provider's clock is not ours.
CLOCK_SKEW = timedelta(hours=1)
# The purchase call refused because the shipment already has postage: it *was* bought.
POSTAGE_EXISTS = "SHIPMENT.POSTAGE.EXISTS"


def _status(exc: EasyPostError) -> int | None:
    return getattr(exc, "http_status", None)


def _error(
    exc: EasyPostError, *, before_purchase: bool = False, purchasing: bool = False
) -> UpstreamError:
    """Map an SDK error: 5xx, timeouts and lost connections retry; other 4xx are refusals.

    NothingBought when the failure came before the purchase call, or the purchase
    call was refused; a purchase call that timed out or failed with 5xx may have bought.
    """
    status = _status(exc)
    retryable = status is None or status >= 500 or status in RETRYABLE_STATUSES
    message = f"EasyPost {status or 'unreachable'}: {exc.message or type(exc).__name__}"
    refused = status is not None and 400 <= status < 500 and not retryable
    if before_purchase or (purchasing and refused and getattr(exc, "code", None) != POSTAGE_EXISTS):
        return NothingBought(message, retryable=retryable)
    return UpstreamError(message, retryable=retryable)


def _address(a: Address) -> dict[str, Any]:
    return {
        "name": a.name,
        "street1": a.line1,
        "street2": a.line2 or None,
        "city": a.city,
        "state": a.province or None,
        "zip": a.zip,
        "country": a.country_code,
        "phone": a.phone or None,
    }


class EasyPostLabelProvider:
    """Buys the cheapest rate among `carriers` for a return shipment; the label is a PDF URL."""

    name = "easypost"

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        carriers: Iterable[str] = DEFAULT_CARRIERS,
        timeout_s: float = 30,
        max_pages: int = 20,
        page_size: int = 100,
    ):
        # base_url is the versioned API root, e.g. https://api.easypost.com/v2.
        self._client = easypost.EasyPostClient(
            api_key,
            api_base=(base_url or f"{API_BASE}/{API_VERSION}").rstrip("/"),
            timeout=timeout_s,  # the SDK says int; requests takes seconds as a float
        )
        self._carriers = tuple(carriers)
        self._max_pages = max_pages
        self._page_size = page_size

    def buy_return_label(self, req: LabelRequest) -> Label:
        try:
            shipment = self._client.shipment.create(
                is_return=True,
                reference=req.reference,
                to_address=_address(req.ship_from),
                from_address=_address(req.ship_to),
                parcel={
                    "weight": float(req.parcel.weight_oz),
                    "length": float(req.parcel.length_in),
                    "width": float(req.parcel.width_in),
                    "height": float(req.parcel.height_in),
                },
                options={"label_format": "PDF", "print_custom_1": f"RMA {req.rma_number}"},
            )
        except EasyPostError as exc:
            raise _error(exc, before_purchase=True) from exc
        rate = self._cheapest(shipment)
        try:
            bought = self._client.shipment.buy(shipment.id, rate={"id": rate.id})
        except EasyPostError as exc:
            raise _error(exc, purchasing=True) from exc
        return self._label(bought)

    def _cheapest(self, shipment: Any) -> Any:
        allowed = {c.lower() for c in self._carriers}
        rates = [r for r in shipment.get("rates") or [] if str(r.carrier).lower() in allowed]
        if not rates:
            problems = "; ".join(str(m.get("message")) for m in shipment.get("messages") or [])
            raise NothingBought(
                f"EasyPost offered no rate from {', '.join(self._carriers)}"
                + (f" ({problems})" if problems else ""),
                retryable=False,
            )
        # Exact money, and a stable choice between equal prices.
        return min(rates, key=lambda r: (Decimal(str(r.rate)), str(r.carrier), str(r.service)))

    def _label(self, shipment: Any) -> Label:
        rate = shipment.selected_rate
        postage = shipment.postage_label
        label_url = postage.get("label_pdf_url")
        if not label_url:
            # Converting an existing label is free; it is not a second purchase.
            try:
                converted = self._client.shipment.label(shipment.id, file_format="PDF")
            except EasyPostError as exc:
                raise _error(exc) from exc
            label_url = converted.postage_label.get("label_pdf_url")
        tracker = shipment.get("tracker")
        return Label(
            provider=self.name,
            reference=str(shipment.get("reference")),
            carrier=str(rate.carrier),
            service=str(rate.service),
            tracking_number=str(shipment.tracking_code),
            tracking_url=tracker.get("public_url") if tracker else None,
            pdf=None,
            label_url=label_url,
            qr_code_url=None,
            cost=Decimal(str(rate.rate)),
            currency=str(rate.currency),
        )

    def find_by_reference(self, reference: str, *, since: datetime | None = None) -> Label | None:
        """The purchased shipment with this reference (created after `since`, if given).

        Raises UpstreamError rather than answer None from a partial look: None
        means "certainly not bought", and the caller will buy.
        """
        params: dict[str, Any] = {"page_size": self._page_size, "purchased": True}
        if since is not None:
            params["start_datetime"] = (since - CLOCK_SKEW).isoformat()
        try:
            page = self._client.shipment.all(**params)
            for _ in range(self._max_pages):
                for shipment in page.get("shipments") or []:
                    if shipment.get("reference") == reference and shipment.get("postage_label"):
                        return self._label(shipment)
                if not page.get("has_more"):
                    return None
                page = self._client.shipment.get_next_page(
                    page, page_size=self._page_size, optional_params=params
                )
        except EasyPostError as exc:
            raise _error(exc) from exc
        raise UpstreamError(
            f"EasyPost: no shipment {reference} in the newest {self._max_pages} pages; "
            "check the dashboard before buying again",
            retryable=False,
        )
