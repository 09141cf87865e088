"""What a label request and a bought label look like, whatever the provider."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str | None
    city: str
    province: str | None
    zip: str
    country_code: str
    phone: str | None = None

    def lines(self) -> list[str]:
        """The address as printed on a label, one line each."""
        place = " ".join(p for p in (self.city, self.province, self.zip) if p)
        return [p for p in (self.name, self.line1, self.line2, place, self.country_code) if p]


@dataclass(frozen=True)
class Parcel:
    weight_oz: Decimal
    length_in: Decimal
    width_in: Decimal
    height_in: Decimal


@dataclass(frozen=True)
class LabelRequest:
    """A return label: from the customer (`ship_from`) to the merchant's return address."""

    reference: str  # unique per RMA label; how a retry finds what an earlier attempt bought
    rma_number: str
    ship_from: Address
    ship_to: Address
    parcel: Parcel
    shop: str


@dataclass(frozen=True)
class Label:
    provider: str
    reference: str
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str | None
    pdf: bytes | None  # the label itself, when the provider hands over bytes
    label_url: str | None  # else where to download it
    qr_code_url: str | None
    cost: Decimal
    currency: str
