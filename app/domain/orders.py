"""Order snapshots built from Shopify's REST-shaped webhook payloads.

What Hemline keeps of an order is what return windows, fees and refunds need:
line items with prices, the customer's contact, the shipping country, totals,
and the fulfillments and refunds recorded against it. Ids are 64-bit integers
(Python's json keeps them exact); money arrives as strings and stays Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.money import parse_money
from app.errors import InvalidInput


def parse_time(value: object, field_name: str, *, required: bool = False) -> datetime | None:
    """Parse an ISO 8601 time with an offset; a naive time is refused, never guessed."""
    if value is None or value == "":
        if required:
            raise InvalidInput("is required", field_name)
        return None
    if not isinstance(value, str):
        raise InvalidInput("must be an ISO 8601 time string", field_name)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"is not an ISO 8601 time: {value[:40]!r}", field_name) from exc
    if parsed.tzinfo is None:
        raise InvalidInput("must carry a UTC offset", field_name)
    if not 2000 <= parsed.year <= 2100:
        raise InvalidInput(f"is out of range: {value[:40]!r}", field_name)
    return parsed


def parse_id(value: object, field_name: str) -> int:
    """Shopify ids are positive 64-bit integers; floats and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be an integer id", field_name)
    if not 0 < value < 2**63:
        raise InvalidInput("must be a positive 64-bit id", field_name)
    return value


def _opt_id(value: object, field_name: str) -> int | None:
    return None if value is None else parse_id(value, field_name)


def _quantity(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        raise InvalidInput("must be a whole number of items", field_name)
    return value


def _shop_money(obj: dict[str, Any], key: str, field_name: str) -> Decimal | None:
    """Prefer `<key>_set.shop_money.amount` (always a string) over the bare field."""
    money_set = obj.get(f"{key}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        return parse_money(
            money_set["shop_money"].get("amount"), f"{field_name}_set.shop_money.amount"
        )
    bare = obj.get(key)
    if bare is None:
        return None
    return parse_money(bare, field_name)


def _tags(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list):
        return tuple(str(t).strip() for t in value if str(t).strip())
    return ()


@dataclass(frozen=True)
class LineItem:
    id: int
    title: str
    quantity: int
    price: Decimal
    sku: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    variant_title: str | None = None
    total_discount: Decimal = Decimal("0")
    # Not in the webhook body: filled from the Admin API (product and variant).
    compare_at_price: Decimal | None = None
    product_type: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderSnapshot:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    currency: str
    subtotal: Decimal
    total: Decimal
    line_items: tuple[LineItem, ...]
    email: str | None = None
    customer_id: int | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    total_discounts: Decimal = Decimal("0")
    shipping_price: Decimal = Decimal("0")
    shipping_country: str | None = None
    shipping_zip: str | None = None
    shipping_method: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    tags: tuple[str, ...] = ()
    test: bool = False
    # The language the customer shopped in (orders/create's customer_locale), e.g. "zh-CN".
    customer_locale: str | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.id}"

    @property
    def number(self) -> str:
        """The order number a customer types: '#1001' -> '1001'."""
        return self.name.lstrip("#").strip()

    def redacted(self) -> OrderSnapshot:
        """The same order with every personal field erased (compliance redaction)."""
        return replace(self, email=None, customer_id=None, shipping_zip=None)


def _locale(value: object) -> str | None:
    """A BCP 47 tag as Shopify sends it ("en", "zh-CN"); anything else is ignored."""
    if isinstance(value, str) and 0 < len(value) <= 35 and value.replace("-", "").isalnum():
        return value
    return None


def parse_order(payload: dict[str, Any]) -> OrderSnapshot:
    """Build an OrderSnapshot from an orders/* webhook body; raises InvalidInput naming the field."""
    if not isinstance(payload, dict):
        raise InvalidInput("must be a JSON object", "body")
    order_id = parse_id(payload.get("id"), "id")
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("is required", "name")
    currency = payload.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise InvalidInput("must be a 3-letter currency code", "currency")
    raw_items = payload.get("line_items")
    if not isinstance(raw_items, list):
        raise InvalidInput("must be a list", "line_items")
    items = []
    for i, raw in enumerate(raw_items):
        where = f"line_items[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput("must be an object", where)
        price = _shop_money(raw, "price", f"{where}.price")
        if price is None:
            raise InvalidInput("is required", f"{where}.price")
        items.append(
            LineItem(
                id=parse_id(raw.get("id"), f"{where}.id"),
                title=str(raw.get("title") or raw.get("name") or ""),
                quantity=_quantity(raw.get("quantity"), f"{where}.quantity"),
                price=price,
                sku=raw.get("sku") or None,
                variant_id=_opt_id(raw.get("variant_id"), f"{where}.variant_id"),
                product_id=_opt_id(raw.get("product_id"), f"{where}.product_id"),
                variant_title=raw.get("variant_title") or None,
                total_discount=_shop_money(raw, "total_discount", f"{where}.total_discount")
                or Decimal("0"),
            )
        )
    shipping = (
        payload.get("shipping_address") if isinstance(payload.get("shipping_address"), dict) else {}
    )
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    shipping_lines = [s for s in payload.get("shipping_lines") or [] if isinstance(s, dict)]
    created_at = parse_time(payload.get("created_at"), "created_at", required=True)
    assert created_at is not None
    updated_at = parse_time(payload.get("updated_at"), "updated_at") or created_at
    subtotal = _shop_money(payload, "subtotal_price", "subtotal_price")
    total = _shop_money(payload, "total_price", "total_price")
    return OrderSnapshot(
        id=order_id,
        name=name.strip(),
        created_at=created_at,
        updated_at=updated_at,
        currency=currency.upper(),
        subtotal=subtotal if subtotal is not None else Decimal("0"),
        total=total if total is not None else Decimal("0"),
        line_items=tuple(items),
        email=(payload.get("contact_email") or payload.get("email") or customer.get("email"))
        or None,
        customer_id=_opt_id(customer.get("id"), "customer.id"),
        processed_at=parse_time(payload.get("processed_at"), "processed_at"),
        cancelled_at=parse_time(payload.get("cancelled_at"), "cancelled_at"),
        total_discounts=_shop_money(payload, "total_discounts", "total_discounts") or Decimal("0"),
        shipping_price=_shop_money(payload, "total_shipping_price", "total_shipping_price")
        or Decimal("0"),
        shipping_country=(shipping.get("country_code") or None),
        shipping_zip=(shipping.get("zip") or None),
        shipping_method=(shipping_lines[0].get("title") if shipping_lines else None),
        customer_locale=_locale(payload.get("customer_locale")),
        financial_status=payload.get("financial_status"),
        fulfillment_status=payload.get("fulfillment_status"),
        tags=_tags(payload.get("tags")),
        test=bool(payload.get("test")),
    )


@dataclass(frozen=True)
class FulfillmentLine:
    line_item_id: int
    quantity: int


@dataclass(frozen=True)
class Fulfillment:
    id: int
    order_id: int
    status: str
    created_at: datetime
    updated_at: datetime
    shipment_status: str | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    lines: tuple[FulfillmentLine, ...] = ()
    delivered_at: datetime | None = None

    @property
    def shipped_at(self) -> datetime:
        return self.created_at


def parse_fulfillment(payload: dict[str, Any]) -> Fulfillment:
    """Build a Fulfillment from a fulfillments/create or /update body."""
    if not isinstance(payload, dict):
        raise InvalidInput("must be a JSON object", "body")
    created_at = parse_time(payload.get("created_at"), "created_at", required=True)
    assert created_at is not None
    updated_at = parse_time(payload.get("updated_at"), "updated_at") or created_at
    shipment_status = payload.get("shipment_status") or None
    lines = []
    for i, raw in enumerate(payload.get("line_items") or []):
        if not isinstance(raw, dict):
            raise InvalidInput("must be an object", f"line_items[{i}]")
        lines.append(
            FulfillmentLine(
                line_item_id=parse_id(raw.get("id"), f"line_items[{i}].id"),
                quantity=_quantity(raw.get("quantity"), f"line_items[{i}].quantity"),
            )
        )
    return Fulfillment(
        id=parse_id(payload.get("id"), "id"),
        order_id=parse_id(payload.get("order_id"), "order_id"),
        status=str(payload.get("status") or "pending"),
        created_at=created_at,
        updated_at=updated_at,
        shipment_status=shipment_status,
        tracking_company=payload.get("tracking_company") or None,
        tracking_number=payload.get("tracking_number") or None,
        tracking_url=payload.get("tracking_url") or None,
        lines=tuple(lines),
        # Shopify sends no delivery time; the update that first says
        # "delivered" is the best evidence of when it happened.
        delivered_at=updated_at if shipment_status == "delivered" else None,
    )


@dataclass(frozen=True)
class RefundLine:
    line_item_id: int
    quantity: int
    subtotal: Decimal
    total_tax: Decimal
    restock_type: str | None = None


@dataclass(frozen=True)
class Refund:
    id: int
    order_id: int
    created_at: datetime
    lines: tuple[RefundLine, ...]
    amount: Decimal
    return_id: int | None = None
    note: str | None = None


def parse_refund(payload: dict[str, Any]) -> Refund:
    """Build a Refund from a refunds/create body: refunded lines and money actually returned."""
    if not isinstance(payload, dict):
        raise InvalidInput("must be a JSON object", "body")
    created_at = parse_time(payload.get("created_at"), "created_at", required=True)
    assert created_at is not None
    lines = []
    for i, raw in enumerate(payload.get("refund_line_items") or []):
        where = f"refund_line_items[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput("must be an object", where)
        lines.append(
            RefundLine(
                line_item_id=parse_id(raw.get("line_item_id"), f"{where}.line_item_id"),
                quantity=_quantity(raw.get("quantity"), f"{where}.quantity"),
                subtotal=_shop_money(raw, "subtotal", f"{where}.subtotal") or Decimal("0"),
                total_tax=_shop_money(raw, "total_tax", f"{where}.total_tax") or Decimal("0"),
                restock_type=raw.get("restock_type"),
            )
        )
    amount = Decimal("0")
    for i, tx in enumerate(payload.get("transactions") or []):
        if isinstance(tx, dict) and tx.get("kind") == "refund" and tx.get("status") == "success":
            amount += parse_money(tx.get("amount"), f"transactions[{i}].amount")
    ret = payload.get("return")
    return Refund(
        id=parse_id(payload.get("id"), "id"),
        order_id=parse_id(payload.get("order_id"), "order_id"),
        created_at=created_at,
        lines=tuple(lines),
        amount=amount,
        return_id=_opt_id(ret.get("id"), "return.id") if isinstance(ret, dict) else None,
        note=payload.get("note") or None,
    )


@dataclass(frozen=True)
class OrderView:
    """An order with everything recorded against it, as the rest of the app reads it."""

    order: OrderSnapshot
    fulfillments: tuple[Fulfillment, ...] = field(default=())
    refunds: tuple[Refund, ...] = field(default=())

    @property
    def shipped_at(self) -> datetime | None:
        times = [
            f.created_at
            for f in self.fulfillments
            if f.status not in ("cancelled", "error", "failure")
        ]
        return min(times) if times else None

    @property
    def delivered_at(self) -> datetime | None:
        times = [f.delivered_at for f in self.fulfillments if f.delivered_at]
        return max(times) if times else None

    def refunded_quantity(self, line_item_id: int) -> int:
        return sum(
            ln.quantity for r in self.refunds for ln in r.lines if ln.line_item_id == line_item_id
        )

    @property
    def refunded_amount(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal("0"))
