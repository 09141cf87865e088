"""Money as Decimal: parsing decimal strings, half-up percentages, display.

Floats never enter: money arrives as strings (JSON) or exact YAML scalars.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

_MONEY_TEXT = re.compile(r"\d+(\.\d{1,2})?")

_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "CNY": "¥"}


def parse_money(value: object) -> Decimal:
    """A non-negative amount with at most two decimals, from a string such as "48.00".

    Raises ValueError with a message fit to follow a field name.
    """
    if not isinstance(value, str) or not _MONEY_TEXT.fullmatch(value):
        raise ValueError(f'money must be a decimal string like "48.00", got {value!r}')
    return Decimal(value).quantize(CENT)


def coerce_money(value: object) -> Decimal:
    """Money in a policy document: a decimal string or an exact YAML number (never a float)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f'money must be a decimal amount like "6.95", got {value!r}')
    if isinstance(value, str):
        return parse_money(value)
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"money must be 0 or more, got {value}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"money has at most two decimals, got {value}")
    return amount.quantize(CENT)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `amount`, rounded half-up to the cent."""
    return (amount * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str | None) -> str:
    """'$6.95' for dollars, '12.00 SEK' where no symbol is known."""
    text = f"{amount.quantize(CENT)}"
    symbol = _SYMBOLS.get(currency or "USD")
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_percent(percent: Decimal) -> str:
    """'10%' rather than '10.00%'."""
    return f"{percent.normalize():f}%"
