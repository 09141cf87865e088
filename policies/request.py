"""The evaluation request of POLICIES.md, parsed from JSON-shaped data.

Parsing checks everything that would make a request meaningless (unknown codes,
quantities, money, times without offsets) and raises InvalidRequest naming the
field; whether an item may be returned is the evaluator's business, not this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policies.calendar import supported_countries
from policies.exceptions import InvalidRequest
from policies.money import parse_money
from policies.vocabulary import DefectCode, ItemCondition, Reason, Resolution, codes


@dataclass(frozen=True, slots=True)
class Shop:
    country: str
    timezone: ZoneInfo
    currency: str | None


@dataclass(frozen=True, slots=True)
class LineItem:
    id: str
    title: str
    product_type: str
    tags: tuple[str, ...]
    price: Decimal
    compare_at_price: Decimal | None
    quantity: int
    # Case-folded once here: tags and product types match without regard to case.
    tag_set: frozenset[str]
    product_type_key: str

    @property
    def below_compare_at(self) -> bool:
        return self.compare_at_price is not None and self.price < self.compare_at_price


@dataclass(frozen=True, slots=True)
class Order:
    name: str | None
    created_at: datetime
    subtotal: Decimal
    shipping_country: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    line_items: tuple[LineItem, ...]


@dataclass(frozen=True, slots=True)
class RequestedItem:
    line_item_id: str
    quantity: int
    reason: Reason
    resolution: Resolution
    condition: ItemCondition | None
    photos: int
    expedited: bool
    defect: DefectCode | None
    line: LineItem


@dataclass(frozen=True, slots=True)
class EvaluationRequest:
    """A customer's request to return items of one order, made at `requested_at`."""

    shop: Shop
    order: Order
    items: tuple[RequestedItem, ...]
    requested_at: datetime


_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
E = TypeVar("E", bound=StrEnum)


def _fail(path: str, message: str) -> InvalidRequest:
    return InvalidRequest(path, message)


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "must be a JSON object")
    return value


def _required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data or data[key] is None:
        raise _fail(f"{path}.{key}" if path else key, "required")
    return data[key]


def _text(value: Any, path: str, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _fail(path, "must be a non-empty string" if not allow_empty else "must be a string")
    return value


def _identifier(value: Any, path: str) -> str:
    # Shopify ids arrive as strings in the contract but as integers in REST payloads.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, path, allow_empty=False)


def _money(value: Any, path: str) -> Decimal:
    try:
        return parse_money(value)
    except ValueError as exc:
        raise _fail(path, str(exc)) from None


def _time(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise _fail(path, "must be an ISO 8601 time string with an offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(path, f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _fail(
            path, f"time {value!r} has no UTC offset (write e.g. 2026-03-01T10:00:00-05:00)"
        )
    return moment


def _optional_time(data: Mapping[str, Any], key: str, path: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else _time(value, f"{path}.{key}")


def _code(enum: type[E], value: Any, path: str, noun: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise _fail(path, f"unknown {noun} {value!r} (expected one of {codes(enum)})") from None


def _whole(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"must be a whole number, got {value!r}")
    return value


def _country(value: Any, path: str, *, needs_calendar: bool) -> str:
    text = _text(value, path, allow_empty=False).upper()
    if not _COUNTRY.fullmatch(text):
        raise _fail(path, f"must be a two-letter ISO country code, got {value!r}")
    if needs_calendar and text not in supported_countries():
        raise _fail(path, f"unknown country {value!r} (no public holiday calendar for it)")
    return text


def _shop(value: Any) -> Shop:
    data = _mapping(value, "shop")
    country = _country(_required(data, "country", "shop"), "shop.country", needs_calendar=True)
    zone_name = _text(_required(data, "timezone", "shop"), "shop.timezone", allow_empty=False)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("shop.timezone", f"unknown time zone {zone_name!r}") from None
    currency = data.get("currency")
    if currency is not None and (
        not isinstance(currency, str) or not _CURRENCY.fullmatch(currency)
    ):
        raise _fail("shop.currency", f"must be a three-letter currency code, got {currency!r}")
    return Shop(country=country, timezone=zone, currency=currency)


def _line_item(value: Any, path: str) -> LineItem:
    data = _mapping(value, path)
    tags_value = data.get("tags") or []
    if isinstance(tags_value, str):
        # Shopify's REST payloads carry tags as one comma-separated string.
        tags_value = [tag for tag in (t.strip() for t in tags_value.split(",")) if tag]
    if not isinstance(tags_value, list):
        raise _fail(f"{path}.tags", "must be a list of strings")
    tags = tuple(_text(tag, f"{path}.tags[{i}]") for i, tag in enumerate(tags_value))
    product_type = data.get("product_type") or ""
    product_type = _text(product_type, f"{path}.product_type")
    compare_at = data.get("compare_at_price")
    quantity = _whole(_required(data, "quantity", path), f"{path}.quantity")
    if quantity < 1:
        raise _fail(f"{path}.quantity", f"must be 1 or more, got {quantity}")
    title = data.get("title") or ""
    return LineItem(
        id=_identifier(_required(data, "id", path), f"{path}.id"),
        title=_text(title, f"{path}.title"),
        product_type=product_type,
        tags=tags,
        price=_money(_required(data, "price", path), f"{path}.price"),
        compare_at_price=None
        if compare_at is None
        else _money(compare_at, f"{path}.compare_at_price"),
        quantity=quantity,
        tag_set=frozenset(tag.strip().casefold() for tag in tags),
        product_type_key=product_type.strip().casefold(),
    )


def _order(value: Any) -> Order:
    data = _mapping(value, "order")
    lines_value = _required(data, "line_items", "order")
    if not isinstance(lines_value, list) or not lines_value:
        raise _fail("order.line_items", "must be a non-empty list")
    lines = tuple(_line_item(line, f"order.line_items[{i}]") for i, line in enumerate(lines_value))
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.id in seen:
            raise _fail(f"order.line_items[{index}].id", f"duplicate line item id {line.id!r}")
        seen.add(line.id)
    shipping_country = data.get("shipping_country")
    name = data.get("name")
    return Order(
        name=None if name is None else _text(name, "order.name"),
        created_at=_time(_required(data, "created_at", "order"), "order.created_at"),
        subtotal=_money(_required(data, "subtotal", "order"), "order.subtotal"),
        shipping_country=None
        if shipping_country is None
        else _country(shipping_country, "order.shipping_country", needs_calendar=False),
        shipped_at=_optional_time(data, "shipped_at", "order"),
        delivered_at=_optional_time(data, "delivered_at", "order"),
        line_items=lines,
    )


def _requested_item(
    value: Any, path: str, lines: Mapping[str, LineItem], claimed: dict[str, int]
) -> RequestedItem:
    data = _mapping(value, path)
    line_id = _identifier(_required(data, "line_item_id", path), f"{path}.line_item_id")
    line = lines.get(line_id)
    if line is None:
        raise _fail(
            f"{path}.line_item_id",
            f"unknown line item {line_id!r} (the order has {', '.join(sorted(lines))})",
        )
    quantity = _whole(_required(data, "quantity", path), f"{path}.quantity")
    if quantity < 1:
        raise _fail(f"{path}.quantity", f"must be 1 or more, got {quantity}")
    # Several entries may name the same line; together they may not exceed what was bought.
    total = claimed.get(line_id, 0) + quantity
    if total > line.quantity:
        raise _fail(
            f"{path}.quantity",
            f"{total} requested but only {line.quantity} of line item {line_id!r} were bought",
        )
    claimed[line_id] = total
    reason = _code(Reason, _required(data, "reason", path), f"{path}.reason", "reason")
    resolution = _code(
        Resolution, _required(data, "resolution", path), f"{path}.resolution", "resolution"
    )
    condition_value = data.get("condition")
    condition = (
        None
        if condition_value is None
        else _code(ItemCondition, condition_value, f"{path}.condition", "condition")
    )
    photos_value = data.get("photos")
    photos = 0 if photos_value is None else _whole(photos_value, f"{path}.photos")
    if photos < 0:
        raise _fail(f"{path}.photos", f"must be 0 or more, got {photos}")
    expedited = data.get("expedited", False)
    if expedited is None:
        expedited = False
    if not isinstance(expedited, bool):
        raise _fail(f"{path}.expedited", f"must be true or false, got {expedited!r}")
    defect_value = data.get("defect")
    defect = (
        None
        if defect_value is None
        else _code(DefectCode, defect_value, f"{path}.defect", "defect code")
    )
    return RequestedItem(
        line_item_id=line_id,
        quantity=quantity,
        reason=reason,
        resolution=resolution,
        condition=condition,
        photos=photos,
        expedited=expedited,
        defect=defect,
        line=line,
    )


def parse_request(data: Any) -> EvaluationRequest:
    """Turn JSON-shaped data into an EvaluationRequest. Raises InvalidRequest naming the field."""
    root = _mapping(data, "request")
    shop = _shop(_required(root, "shop", ""))
    order = _order(_required(root, "order", ""))
    items_value = _required(root, "items", "")
    if not isinstance(items_value, list) or not items_value:
        raise _fail("items", "must be a non-empty list")
    lines = {line.id: line for line in order.line_items}
    claimed: dict[str, int] = {}
    items = tuple(
        _requested_item(item, f"items[{i}]", lines, claimed) for i, item in enumerate(items_value)
    )
    requested_at = _time(_required(root, "requested_at", ""), "requested_at")
    return EvaluationRequest(shop=shop, order=order, items=items, requested_at=requested_at)
