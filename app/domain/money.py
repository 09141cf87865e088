"""Money as Decimal in a currency: parsing Shopify's strings, rounding to the cent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.errors import InvalidInput

_MONEY_RE = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")
CENT = Decimal("0.01")


def parse_money(value: object, field: str) -> Decimal:
    """Parse a money amount given as a string (Shopify's form) or a Decimal; never a float."""
    if isinstance(value, Decimal):
        # Checked before formatting: a JSON number like 1e999999999 would be written out
        # digit by digit (a gigabyte) only to fail the pattern below.
        if not value.is_finite() or value.adjusted() > 15 or int(value.as_tuple().exponent) < -6:
            raise InvalidInput(
                f"money must be a decimal string like '12.50', got {value!s:.40}", field
            )
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise InvalidInput(f"money must be a decimal string, got {type(value).__name__}", field)
    if not _MONEY_RE.match(text):
        raise InvalidInput(f"money must be a decimal string like '12.50', got {text[:40]!r}", field)
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidInput("not a decimal amount", field) from exc


def to_cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent, as every fee and refund in Hemline is."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    return format(to_cents(amount), "f")
