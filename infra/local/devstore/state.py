"""In-memory state of the simulated shops: the nouns of Shopify's Admin API.

Attribute names are the snake_case forms of the GraphQL field names, so the
generic resolver can serve most fields without a hand-written resolver. Money
is Decimal in the shop's currency; ids are 64-bit integers above 2**53 so that
a client that parses ids as floats breaks here rather than in production.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

CENT = Decimal("0.01")
# Above 2**53: JavaScript-style float parsing of ids would round these.
_ids = itertools.count(9_007_199_254_741_000, 7)
_ids_lock = threading.Lock()


def next_id() -> int:
    with _ids_lock:
        return next(_ids)


def money(value: Any) -> Decimal:
    """A Decimal rounded half-up to the cent; accepts str, int, Decimal (never float input)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def gid(type_name: str, numeric_id: int) -> str:
    return f"gid://shopify/{type_name}/{numeric_id}"


def parse_gid(value: str) -> tuple[str, int] | None:
    """('Order', 123) from 'gid://shopify/Order/123', or None when it is not a Shopify GID."""
    prefix = "gid://shopify/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    type_name, _, tail = value[len(prefix) :].partition("/")
    tail = tail.split("?", 1)[0]
    if not type_name or not tail.isdigit():
        return None
    return type_name, int(tail)


class Entity:
    """Anything with a Shopify GID."""

    graphql_type: ClassVar[str] = ""
    id: int

    @property
    def gid(self) -> str:
        return gid(self.graphql_type, self.id)


@dataclass(eq=False)
class Location(Entity):
    graphql_type = "Location"
    id: int
    name: str
    country_code: str
    is_active: bool = True


@dataclass(eq=False)
class Product(Entity):
    graphql_type = "Product"
    id: int
    title: str
    product_type: str
    vendor: str
    tags: list[str]
    created_at: datetime
    variants: list[Variant] = field(default_factory=list)

    @property
    def handle(self) -> str:
        return "-".join(self.title.lower().split())


@dataclass(eq=False)
class InventoryLevel(Entity):
    graphql_type = "InventoryLevel"
    id: int
    item: InventoryItem
    location: Location
    quantities: dict[str, int]
    updated_at: datetime

    @property
    def gid(self) -> str:
        # Shopify's inventory level GIDs carry the item as a query string.
        return f"{gid(self.graphql_type, self.id)}?inventory_item_id={self.item.id}"


@dataclass(eq=False)
class InventoryItem(Entity):
    graphql_type = "InventoryItem"
    id: int
    variant: Variant
    tracked: bool = True
    inventory_levels: list[InventoryLevel] = field(default_factory=list)

    @property
    def sku(self) -> str | None:
        return self.variant.sku

    def level_at(self, location: Location) -> InventoryLevel | None:
        return next((lv for lv in self.inventory_levels if lv.location is location), None)


@dataclass(eq=False)
class Variant(Entity):
    graphql_type = "ProductVariant"
    id: int
    product: Product
    title: str
    sku: str
    price: Decimal
    compare_at_price: Decimal | None
    grams: int = 200
    inventory_item: InventoryItem = field(init=False)

    @property
    def display_name(self) -> str:
        return f"{self.product.title} - {self.title}"

    @property
    def available(self) -> int:
        return sum(lv.quantities.get("available", 0) for lv in self.inventory_item.inventory_levels)

    @property
    def inventory_quantity(self) -> int:
        return self.available

    @property
    def available_for_sale(self) -> bool:
        # Inventory policy DENY (Shopify's default): sellable while stock is left.
        return not self.inventory_item.tracked or self.available > 0


@dataclass(eq=False)
class Address:
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None
    company: str | None = None

    @property
    def country_code_v2(self) -> str | None:
        return self.country_code

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(eq=False)
class Customer(Entity):
    graphql_type = "Customer"
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    created_at: datetime
    updated_at: datetime
    default_address: Address | None = None
    store_credit_accounts: list[StoreCreditAccount] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email

    @property
    def default_email_address(self) -> dict[str, Any]:
        return {"emailAddress": self.email}


@dataclass(eq=False)
class LineItem(Entity):
    graphql_type = "LineItem"
    id: int
    order: Order
    variant: Variant | None
    title: str
    variant_title: str | None
    sku: str | None
    vendor: str | None
    quantity: int
    unit_price: Decimal
    discount_per_unit: Decimal = Decimal("0.00")
    requires_shipping: bool = True
    taxable: bool = True
    grams: int = 200
    # Set on a line an exchange added to the order after checkout (returnProcess).
    exchange_line_item: ExchangeLineItem | None = None

    @property
    def product(self) -> Product | None:
        return self.variant.product if self.variant else None

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def is_gift_card(self) -> bool:
        return False

    @property
    def refunded_quantity(self) -> int:
        return sum(
            rli.quantity
            for refund in self.order.refunds
            for rli in refund.refund_line_items
            if rli.line_item is self
        )

    @property
    def fulfilled_quantity(self) -> int:
        return sum(
            fli.quantity
            for f in self.order.fulfillments
            for fli in f.fulfillment_line_items
            if fli.line_item is self
        )

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def refundable_quantity(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def unfulfilled_quantity(self) -> int:
        return max(0, self.current_quantity - self.fulfilled_quantity)

    @property
    def discounted_unit_price(self) -> Decimal:
        return self.unit_price - self.discount_per_unit

    @property
    def original_unit_price_set(self) -> Decimal:
        return self.unit_price

    @property
    def discounted_unit_price_set(self) -> Decimal:
        return self.discounted_unit_price

    @property
    def discounted_unit_price_after_all_discounts_set(self) -> Decimal:
        return self.discounted_unit_price

    @property
    def original_total_set(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def total_discount_set(self) -> Decimal:
        return self.discount_per_unit * self.quantity

    @property
    def discounted_total_set(self) -> Decimal:
        return self.discounted_unit_price * self.quantity


@dataclass(eq=False)
class ShippingLine(Entity):
    graphql_type = "ShippingLine"
    id: int
    order: Order
    title: str
    price: Decimal
    code: str | None = None
    is_removed: bool = False
    source: str = "shopify"
    custom: bool = False

    @property
    def original_price_set(self) -> Decimal:
        return self.price

    @property
    def discounted_price_set(self) -> Decimal:
        return self.price

    @property
    def current_discounted_price_set(self) -> Decimal:
        return self.price


@dataclass(eq=False)
class FulfillmentHold(Entity):
    graphql_type = "FulfillmentHold"
    id: int
    reason: str
    reason_notes: str | None
    handle: str | None = None

    @property
    def display_reason(self) -> str:
        return self.reason.replace("_", " ").capitalize()

    @property
    def held_by_requesting_app(self) -> bool:
        return False


@dataclass(eq=False)
class FulfillmentOrderLineItem(Entity):
    graphql_type = "FulfillmentOrderLineItem"
    id: int
    line_item: LineItem
    total_quantity: int
    remaining_quantity: int

    @property
    def sku(self) -> str | None:
        return self.line_item.sku

    @property
    def product_title(self) -> str:
        return self.line_item.title

    @property
    def variant(self) -> Variant | None:
        return self.line_item.variant


@dataclass(eq=False)
class FulfillmentOrder(Entity):
    graphql_type = "FulfillmentOrder"
    id: int
    order: Order
    location: Location
    status: str
    created_at: datetime
    updated_at: datetime
    line_items: list[FulfillmentOrderLineItem] = field(default_factory=list)
    fulfillment_holds: list[FulfillmentHold] = field(default_factory=list)

    @property
    def assigned_location(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "name": self.location.name,
            "countryCode": self.location.country_code,
        }

    @property
    def order_id(self) -> str:
        return self.order.gid

    @property
    def order_name(self) -> str:
        return self.order.name


@dataclass(eq=False)
class FulfillmentLineItem(Entity):
    graphql_type = "FulfillmentLineItem"
    id: int
    line_item: LineItem
    quantity: int

    @property
    def original_total_set(self) -> Decimal:
        return self.line_item.unit_price * self.quantity

    @property
    def discounted_total_set(self) -> Decimal:
        return self.line_item.discounted_unit_price * self.quantity


@dataclass(eq=False)
class Fulfillment(Entity):
    graphql_type = "Fulfillment"
    id: int
    order: Order
    name: str
    location: Location
    created_at: datetime
    updated_at: datetime
    tracking_company: str | None
    tracking_number: str | None
    tracking_url: str | None
    status: str = "SUCCESS"
    # REST shipment_status (None, in_transit, delayed, delivered, ...).
    shipment_status: str | None = None
    in_transit_at: datetime | None = None
    delivered_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    fulfillment_line_items: list[FulfillmentLineItem] = field(default_factory=list)

    @property
    def display_status(self) -> str:
        return (self.shipment_status or "fulfilled").upper()

    @property
    def tracking_info(self) -> list[dict[str, Any]]:
        if not self.tracking_number:
            return []
        return [
            {
                "company": self.tracking_company,
                "number": self.tracking_number,
                "url": self.tracking_url,
            }
        ]

    @property
    def total_quantity(self) -> int:
        return sum(fli.quantity for fli in self.fulfillment_line_items)

    @property
    def requires_shipping(self) -> bool:
        return True


@dataclass(eq=False)
class Transaction(Entity):
    graphql_type = "OrderTransaction"
    id: int
    order: Order
    kind: str
    gateway: str
    amount: Decimal
    created_at: datetime
    parent: Transaction | None = None
    status: str = "SUCCESS"
    test: bool = True

    @property
    def amount_set(self) -> Decimal:
        return self.amount

    @property
    def processed_at(self) -> datetime:
        return self.created_at

    @property
    def parent_transaction(self) -> Transaction | None:
        return self.parent

    @property
    def currency(self) -> str:
        return self.order.currency


@dataclass(eq=False)
class RefundLineItem(Entity):
    graphql_type = "RefundLineItem"
    id: int
    line_item: LineItem
    quantity: int
    restock_type: str
    location: Location | None
    subtotal: Decimal
    total_tax: Decimal = Decimal("0.00")

    @property
    def restocked(self) -> bool:
        return self.restock_type in ("RETURN", "CANCEL", "LEGACY_RESTOCK")

    @property
    def subtotal_set(self) -> Decimal:
        return self.subtotal

    @property
    def total_tax_set(self) -> Decimal:
        return self.total_tax

    @property
    def price_set(self) -> Decimal:
        return self.line_item.discounted_unit_price


@dataclass(eq=False)
class Refund(Entity):
    graphql_type = "Refund"
    id: int
    order: Order
    created_at: datetime
    note: str | None
    refund_line_items: list[RefundLineItem] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    shipping_amount: Decimal = Decimal("0.00")
    return_: Return | None = None

    @property
    def processed_at(self) -> datetime:
        return self.created_at

    @property
    def updated_at(self) -> datetime:
        return self.created_at

    @property
    def total_refunded_set(self) -> Decimal:
        return sum((t.amount for t in self.transactions), Decimal("0.00"))

    @property
    def currency(self) -> str:
        return self.order.currency


@dataclass(eq=False)
class ReturnReasonDefinition(Entity):
    graphql_type = "ReturnReasonDefinition"
    id: int
    handle: str
    name: str
    deleted: bool = False


@dataclass(eq=False)
class ReturnLineItem(Entity):
    graphql_type = "ReturnLineItem"
    id: int
    fulfillment_line_item: FulfillmentLineItem
    quantity: int
    return_reason_definition: ReturnReasonDefinition | None
    return_reason_note: str = ""
    customer_note: str | None = None
    restocking_fee_percentage: float | None = None
    processed_quantity: int = 0
    refunded_quantity: int = 0

    @property
    def line_item(self) -> LineItem:
        return self.fulfillment_line_item.line_item

    @property
    def processable_quantity(self) -> int:
        return self.quantity - self.processed_quantity

    @property
    def unprocessed_quantity(self) -> int:
        return self.quantity - self.processed_quantity

    @property
    def refundable_quantity(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def with_code_discounted_total_price_set(self) -> Decimal:
        return self.line_item.discounted_unit_price * self.quantity


@dataclass(eq=False)
class Disposition(Entity):
    graphql_type = "ReverseFulfillmentOrderDisposition"
    id: int
    quantity: int
    type: str
    location: Location | None


@dataclass(eq=False)
class ReverseFulfillmentOrderLineItem(Entity):
    graphql_type = "ReverseFulfillmentOrderLineItem"
    id: int
    fulfillment_line_item: FulfillmentLineItem
    total_quantity: int
    return_line_item: ReturnLineItem
    dispositions: list[Disposition] = field(default_factory=list)


@dataclass(eq=False)
class ReverseDeliveryLineItem(Entity):
    graphql_type = "ReverseDeliveryLineItem"
    id: int
    reverse_fulfillment_order_line_item: ReverseFulfillmentOrderLineItem
    quantity: int

    @property
    def dispositions(self) -> list[Disposition]:
        return []


@dataclass(eq=False)
class ReverseDelivery(Entity):
    graphql_type = "ReverseDelivery"
    id: int
    reverse_fulfillment_order: ReverseFulfillmentOrder
    created_at: datetime
    tracking_number: str | None
    tracking_url: str | None
    carrier_name: str | None
    label_url: str | None
    reverse_delivery_line_items: list[ReverseDeliveryLineItem] = field(default_factory=list)

    @property
    def deliverable(self) -> dict[str, Any]:
        tracking = None
        if self.tracking_number or self.tracking_url:
            tracking = {
                "carrierName": self.carrier_name,
                "number": self.tracking_number,
                "url": self.tracking_url,
            }
        label = None
        if self.label_url:
            label = {
                "publicFileUrl": self.label_url,
                "createdAt": self.created_at,
                "updatedAt": self.created_at,
            }
        return {
            "__typename": "ReverseDeliveryShippingDeliverable",
            "tracking": tracking,
            "label": label,
        }


@dataclass(eq=False)
class ReverseFulfillmentOrder(Entity):
    graphql_type = "ReverseFulfillmentOrder"
    id: int
    order: Order
    return_: Return
    status: str = "OPEN"
    line_items: list[ReverseFulfillmentOrderLineItem] = field(default_factory=list)
    reverse_deliveries: list[ReverseDelivery] = field(default_factory=list)


@dataclass(eq=False)
class ReturnShippingFee(Entity):
    graphql_type = "ReturnShippingFee"
    id: int
    amount: Decimal

    @property
    def amount_set(self) -> Decimal:
        return self.amount


@dataclass(eq=False)
class ExchangeLineItem(Entity):
    """A new item of an exchange: priced when the return is created, added to the order
    (`line_items`) only when returnProcess processes it, as Shopify does since 2025-07."""

    graphql_type = "ExchangeLineItem"
    id: int
    variant: Variant
    quantity: int
    unit_price: Decimal
    discount_per_unit: Decimal = Decimal("0.00")
    discount_description: str | None = None
    processed_quantity: int = 0
    line_items: list[LineItem] = field(default_factory=list)

    @property
    def variant_id(self) -> str:
        return self.variant.gid

    @property
    def processable_quantity(self) -> int:
        return self.quantity - self.processed_quantity

    @property
    def unprocessed_quantity(self) -> int:
        return self.quantity - self.processed_quantity

    @property
    def discounted_unit_price(self) -> Decimal:
        return max(Decimal("0.00"), self.unit_price - self.discount_per_unit)


@dataclass(eq=False)
class Return(Entity):
    graphql_type = "Return"
    id: int
    order: Order
    name: str
    status: str
    created_at: datetime
    request_approved_at: datetime | None = None
    closed_at: datetime | None = None
    decline: dict[str, Any] | None = None
    return_line_items: list[ReturnLineItem] = field(default_factory=list)
    return_shipping_fees: list[ReturnShippingFee] = field(default_factory=list)
    reverse_fulfillment_orders: list[ReverseFulfillmentOrder] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    exchange_line_items: list[ExchangeLineItem] = field(default_factory=list)
    # What the buyer still owes for exchange items worth more than what came back.
    exchange_balance_due: Decimal = Decimal("0.00")

    @property
    def total_quantity(self) -> int:
        return sum(rli.quantity for rli in self.return_line_items)


@dataclass(eq=False)
class Order(Entity):
    graphql_type = "Order"
    id: int
    shop: Shop
    number: int
    email: str | None
    customer: Customer | None
    created_at: datetime
    updated_at: datetime
    currency: str
    shipping_address: Address | None
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    test: bool = True
    cancelled_at: datetime | None = None
    closed_at: datetime | None = None
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def processed_at(self) -> datetime:
        return self.created_at

    @property
    def currency_code(self) -> str:
        return self.currency

    @property
    def presentment_currency_code(self) -> str:
        return self.currency

    @property
    def ordered_line_items(self) -> list[LineItem]:
        """The lines bought at checkout; exchanges add lines that the returned items paid for."""
        return [li for li in self.line_items if li.exchange_line_item is None]

    @property
    def subtotal(self) -> Decimal:
        return sum((li.discounted_total_set for li in self.ordered_line_items), Decimal("0.00"))

    @property
    def line_items_total(self) -> Decimal:
        return sum((li.original_total_set for li in self.ordered_line_items), Decimal("0.00"))

    @property
    def total_discounts(self) -> Decimal:
        return sum((li.total_discount_set for li in self.ordered_line_items), Decimal("0.00"))

    @property
    def shipping_total(self) -> Decimal:
        return sum((s.price for s in self.shipping_lines if not s.is_removed), Decimal("0.00"))

    @property
    def total_price(self) -> Decimal:
        return self.subtotal + self.shipping_total

    @property
    def total_refunded(self) -> Decimal:
        return sum((r.total_refunded_set for r in self.refunds), Decimal("0.00"))

    @property
    def total_received(self) -> Decimal:
        return sum(
            (t.amount for t in self.transactions if t.kind in ("SALE", "CAPTURE")),
            Decimal("0.00"),
        )

    @property
    def current_subtotal(self) -> Decimal:
        # Exchange additions are left out: the returned items they replace paid for them.
        return sum(
            (li.discounted_unit_price * li.current_quantity for li in self.ordered_line_items),
            Decimal("0.00"),
        )

    @property
    def subtotal_price_set(self) -> Decimal:
        return self.subtotal

    @property
    def current_subtotal_price_set(self) -> Decimal:
        return self.current_subtotal

    @property
    def total_price_set(self) -> Decimal:
        return self.total_price

    @property
    def current_total_price_set(self) -> Decimal:
        return self.current_subtotal + self.shipping_total - self.refunded_shipping

    @property
    def original_total_price_set(self) -> Decimal:
        return self.total_price

    @property
    def total_refunded_set(self) -> Decimal:
        return self.total_refunded

    @property
    def refunded_shipping(self) -> Decimal:
        return sum((r.shipping_amount for r in self.refunds), Decimal("0.00"))

    @property
    def total_refunded_shipping_set(self) -> Decimal:
        return self.refunded_shipping

    @property
    def total_shipping_price_set(self) -> Decimal:
        return self.shipping_total

    @property
    def current_shipping_price_set(self) -> Decimal:
        return self.shipping_total - self.refunded_shipping

    @property
    def total_discounts_set(self) -> Decimal:
        return self.total_discounts

    @property
    def current_total_discounts_set(self) -> Decimal:
        return self.total_discounts

    @property
    def total_tax_set(self) -> Decimal:
        return Decimal("0.00")

    @property
    def current_total_tax_set(self) -> Decimal:
        return Decimal("0.00")

    @property
    def total_received_set(self) -> Decimal:
        return self.total_received

    @property
    def net_payment_set(self) -> Decimal:
        return self.total_received - self.total_refunded

    @property
    def total_outstanding_set(self) -> Decimal:
        owed_for_exchanges = sum((r.exchange_balance_due for r in self.returns), Decimal("0.00"))
        return max(Decimal("0.00"), self.total_price - self.total_received) + owed_for_exchanges

    @property
    def financial_status(self) -> str:
        """REST-style lower-case financial status."""
        refunded = self.total_refunded
        if refunded <= 0:
            return "paid"
        if refunded >= self.total_received:
            return "refunded"
        return "partially_refunded"

    @property
    def display_financial_status(self) -> str:
        return self.financial_status.upper()

    @property
    def fulfillment_status(self) -> str | None:
        """REST-style: None (unfulfilled), 'partial' or 'fulfilled'."""
        wanted = sum(li.current_quantity for li in self.line_items if li.requires_shipping)
        shipped = sum(li.fulfilled_quantity for li in self.line_items)
        if shipped == 0:
            return None
        return "fulfilled" if shipped >= wanted else "partial"

    @property
    def display_fulfillment_status(self) -> str:
        status = self.fulfillment_status
        if status == "fulfilled":
            return "FULFILLED"
        if status == "partial":
            return "PARTIALLY_FULFILLED"
        if any(fo.status == "ON_HOLD" for fo in self.fulfillment_orders):
            return "ON_HOLD"
        return "UNFULFILLED"

    @property
    def return_status(self) -> str:
        live = [r for r in self.returns if r.status not in ("CANCELED", "DECLINED")]
        if not live:
            return "NO_RETURN"
        if any(r.status == "REQUESTED" for r in live):
            return "RETURN_REQUESTED"
        if any(r.status == "OPEN" for r in live):
            return "IN_PROGRESS"
        return "RETURNED"

    @property
    def fully_paid(self) -> bool:
        return self.total_received >= self.total_price

    @property
    def refundable(self) -> bool:
        return self.total_refunded < self.total_received

    @property
    def shipping_line(self) -> ShippingLine | None:
        return next((s for s in self.shipping_lines if not s.is_removed), None)

    @property
    def subtotal_line_items_quantity(self) -> int:
        return sum(li.quantity for li in self.line_items)

    @property
    def current_subtotal_line_items_quantity(self) -> int:
        return sum(li.current_quantity for li in self.line_items)


@dataclass(eq=False)
class StoreCreditTransaction(Entity):
    graphql_type = "StoreCreditAccountCreditTransaction"
    id: int
    account: StoreCreditAccount
    amount: Decimal
    balance_after_transaction: Decimal
    created_at: datetime
    expires_at: datetime | None

    @property
    def remaining_amount(self) -> Decimal:
        return self.amount

    @property
    def currency(self) -> str:
        return self.account.currency


@dataclass(eq=False)
class StoreCreditAccount(Entity):
    graphql_type = "StoreCreditAccount"
    id: int
    customer: Customer
    currency: str
    balance: Decimal = Decimal("0.00")
    transactions: list[StoreCreditTransaction] = field(default_factory=list)

    @property
    def owner(self) -> Customer:
        return self.customer


@dataclass(eq=False)
class GiftCard(Entity):
    graphql_type = "GiftCard"
    id: int
    code: str
    initial_value: Decimal
    balance: Decimal
    currency: str
    created_at: datetime
    customer: Customer | None = None
    note: str | None = None
    expires_on: date | None = None
    enabled: bool = True

    @property
    def updated_at(self) -> datetime:
        return self.created_at

    @property
    def last_characters(self) -> str:
        return self.code[-4:]

    @property
    def masked_code(self) -> str:
        return f"•••• •••• •••• {self.code[-4:]}"


@dataclass(eq=False)
class DiscountCodeBasic:
    graphql_type: ClassVar[str] = "DiscountCodeBasic"
    title: str
    code: str
    percentage: float
    starts_at: datetime
    ends_at: datetime | None
    usage_limit: int | None
    applies_once_per_customer: bool
    customer_ids: list[str]
    created_at: datetime

    @property
    def updated_at(self) -> datetime:
        return self.created_at

    @property
    def codes(self) -> list[dict[str, Any]]:
        return [{"code": self.code, "asyncUsageCount": 0}]

    @property
    def async_usage_count(self) -> int:
        return 0


@dataclass(eq=False)
class DiscountCodeNode(Entity):
    graphql_type = "DiscountCodeNode"
    id: int
    code_discount: DiscountCodeBasic


@dataclass(eq=False)
class WebhookSubscription(Entity):
    graphql_type = "WebhookSubscription"
    id: int
    topic: str
    uri: str
    created_at: datetime
    format: str = "JSON"
    filter: str | None = None
    include_fields: list[str] = field(default_factory=list)
    metafield_namespaces: list[str] = field(default_factory=list)
    name: str | None = None

    @property
    def updated_at(self) -> datetime:
        return self.created_at

    @property
    def api_version(self) -> dict[str, Any]:
        return {"handle": "2026-04", "displayName": "2026-04", "supported": True}


@dataclass(eq=False)
class OrderEdit(Entity):
    """An open order edit; its GID is the CalculatedOrder's."""

    graphql_type = "CalculatedOrder"
    id: int
    session_id: int
    order: Order
    # shipping line id -> (title, price) staged by orderEditUpdateShippingLine
    staged_shipping: dict[int, tuple[str, Decimal]] = field(default_factory=dict)
    committed: bool = False

    @property
    def session_gid(self) -> str:
        return gid("OrderEditSession", self.session_id)

    @property
    def original_order(self) -> Order:
        return self.order

    @property
    def shipping_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.order.shipping_lines:
            if line.is_removed:
                continue
            title, price = self.staged_shipping.get(line.id, (line.title, line.price))
            lines.append(
                {
                    "id": gid("CalculatedShippingLine", line.id),
                    "title": title,
                    "price": price,
                    "stagedStatus": "NONE",
                }
            )
        return lines


@dataclass
class IdempotencyRecord:
    """What a refundCreate key produced, and the input it was first used with."""

    fingerprint: str
    refund: Refund


@dataclass(eq=False)
class Shop(Entity):
    graphql_type = "Shop"
    id: int
    domain: str
    name: str
    email: str
    currency: str
    country_code: str
    iana_timezone: str
    created_at: datetime
    locations: list[Location] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    gift_cards: list[GiftCard] = field(default_factory=list)
    discount_codes: list[DiscountCodeNode] = field(default_factory=list)
    webhook_subscriptions: list[WebhookSubscription] = field(default_factory=list)
    nodes: dict[str, Entity] = field(default_factory=dict)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    last_order_number: int = 1000
    installed: bool = False

    @property
    def myshopify_domain(self) -> str:
        return self.domain

    @property
    def currency_code(self) -> str:
        return self.currency

    @property
    def contact_email(self) -> str:
        return self.email

    @property
    def shop_address(self) -> dict[str, Any]:
        return {"countryCodeV2": self.country_code, "country": self.country_code}

    @property
    def primary_location(self) -> Location:
        return self.locations[0]

    def add(self, entity: Entity) -> Any:
        """Register an entity so GraphQL can find it by GID; returns it."""
        self.nodes[entity.gid.split("?", 1)[0]] = entity
        return entity

    def find(self, global_id: Any, *types: type[Entity]) -> Any:
        """The entity with this GID if it belongs to this shop and is one of `types`."""
        if not isinstance(global_id, str):
            return None
        entity = self.nodes.get(global_id.split("?", 1)[0]) or REASON_DEFINITIONS_BY_GID.get(
            global_id
        )
        if entity is None or (types and not isinstance(entity, types)):
            return None
        return entity

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((v for p in self.products for v in p.variants if v.sku == sku), None)

    def customer_by_email(self, email: str) -> Customer | None:
        return next((c for c in self.customers if c.email.lower() == email.lower()), None)


# Shopify's return reason library is global (same ids on every shop).
REASON_DEFINITIONS = [
    ReturnReasonDefinition(id=i, handle=handle, name=name)
    for i, (handle, name) in enumerate(
        [
            ("size-too-small", "Size was too small"),
            ("size-too-large", "Size was too large"),
            ("changed-mind", "Changed my mind"),
            ("not-as-described", "Item not as described"),
            ("received-wrong-item", "Received the wrong item"),
            ("damaged-or-defective", "Item is damaged or defective"),
            ("arrived-damaged", "Item arrived damaged"),
            ("style", "Didn't like the style"),
            ("color", "Didn't like the color"),
            ("other", "Other"),
        ],
        start=1,
    )
]
REASON_DEFINITIONS_BY_GID = {d.gid: d for d in REASON_DEFINITIONS}
