"""A merchant's shop as Hemline knows it: install state and the facts policies need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import InvalidInput

SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def ensure_shop_domain(value: object, field: str = "shop") -> str:
    """Return the shop's myshopify domain, lower-cased; raise InvalidInput for anything else."""
    if not isinstance(value, str):
        raise InvalidInput("must be a *.myshopify.com domain", field)
    domain = value.strip().lower()
    if len(domain) > 255 or not SHOP_DOMAIN_RE.match(domain):
        raise InvalidInput("must be a *.myshopify.com domain", field)
    return domain


@dataclass(frozen=True)
class Shop:
    domain: str
    status: str  # "installed" | "uninstalled"
    installed_at: datetime | None = None
    uninstalled_at: datetime | None = None
    name: str | None = None
    country: str = "US"
    timezone: str = "America/New_York"
    currency: str = "USD"
    policy_preset: str = "petite-plume"
    # Where returns go (name, line1, line2, city, province, zip, country_code, phone).
    return_address: Mapping[str, str] | None = None
    label_provider: str = "builtin"
    sender_email: str | None = None
    # Extra store credit, in percent of the credited amount, to favour credit over refunds.
    store_credit_bonus_percent: Decimal = Decimal("0")
    # The merchant's changes to the preset: dotted policy path -> value (see app/services/policy_settings.py).
    policy_overrides: Mapping[str, Any] | None = None
    # The label provider's API key, encrypted with the token cipher (shop as context).
    label_api_key_encrypted: bytes | None = None
    # Where the daily digest of overdue returns and refunds goes.
    support_email: str | None = None

    @property
    def is_installed(self) -> bool:
        return self.status == "installed"

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone (UTC when Shopify's name for it is unknown here)."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def month_of(self, at: datetime) -> str:
        """`YYYY-MM` of an instant in the shop's time zone (analytics are kept per month)."""
        return at.astimezone(self.zone).strftime("%Y-%m")


@dataclass(frozen=True)
class ShopProfile:
    """What Shopify says about the shop: the facts policies need."""

    name: str
    country: str
    timezone: str
    currency: str
