"""Plain results of Admin API calls: frozen dataclasses with Decimal money and aware datetimes.

Each `from_graphql` reads the node shape selected by the matching document
in graphql/; nothing here knows about HTTP or retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

Node = Mapping[str, Any]


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _nodes(connection: Node | None) -> list[Node]:
    if not connection:
        return []
    if connection.get("nodes") is not None:
        return list(connection["nodes"])
    return [edge["node"] for edge in connection.get("edges") or []]


def _id(node: Node | None) -> str | None:
    return node.get("id") if node else None


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def from_v2(cls, node: Node | None) -> Money | None:
        """From a MoneyV2 {amount, currencyCode}."""
        if not node:
            return None
        return cls(Decimal(str(node["amount"])), node["currencyCode"])

    @classmethod
    def from_bag(cls, node: Node | None) -> Money | None:
        """From a MoneyBag, in shop currency."""
        return cls.from_v2(node.get("shopMoney")) if node else None


def _money(value: Money | None) -> Money:
    if value is None:
        raise ValueError("expected a money amount")
    return value


# -- shop ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopInfo:
    id: str
    name: str
    email: str
    domain: str
    currency: str
    country_code: str | None
    iana_timezone: str

    @classmethod
    def from_graphql(cls, node: Node) -> ShopInfo:
        return cls(
            id=node["id"],
            name=node["name"],
            email=node["email"],
            domain=node["myshopifyDomain"],
            currency=node["currencyCode"],
            country_code=(node.get("shopAddress") or {}).get("countryCodeV2"),
            iana_timezone=node["ianaTimezone"],
        )


# -- orders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    id: str
    name: str
    title: str
    variant_title: str | None
    sku: str | None
    quantity: int
    current_quantity: int
    refundable_quantity: int
    unfulfilled_quantity: int
    unit_price: Money
    discounted_unit_price: Money
    variant_id: str | None
    compare_at_price: Decimal | None
    inventory_item_id: str | None
    product_id: str | None
    product_type: str | None
    product_tags: tuple[str, ...]

    @classmethod
    def from_graphql(cls, node: Node) -> OrderLine:
        variant = node.get("variant") or {}
        product = node.get("product") or {}
        compare_at = variant.get("compareAtPrice")
        return cls(
            id=node["id"],
            name=node["name"],
            title=node["title"],
            variant_title=node.get("variantTitle"),
            sku=node.get("sku"),
            quantity=node["quantity"],
            current_quantity=node["currentQuantity"],
            refundable_quantity=node["refundableQuantity"],
            unfulfilled_quantity=node["unfulfilledQuantity"],
            unit_price=_money(Money.from_bag(node["originalUnitPriceSet"])),
            discounted_unit_price=_money(
                Money.from_bag(node["discountedUnitPriceAfterAllDiscountsSet"])
            ),
            variant_id=variant.get("id"),
            compare_at_price=Decimal(str(compare_at)) if compare_at is not None else None,
            inventory_item_id=_id(variant.get("inventoryItem")),
            product_id=product.get("id"),
            product_type=product.get("productType"),
            product_tags=tuple(product.get("tags") or ()),
        )


@dataclass(frozen=True)
class ShippingLineInfo:
    id: str | None
    title: str
    code: str | None
    is_removed: bool
    original_price: Money
    discounted_price: Money

    @classmethod
    def from_graphql(cls, node: Node) -> ShippingLineInfo:
        return cls(
            id=node.get("id"),
            title=node["title"],
            code=node.get("code"),
            is_removed=bool(node.get("isRemoved")),
            original_price=_money(Money.from_bag(node["originalPriceSet"])),
            discounted_price=_money(
                Money.from_bag(node.get("discountedPriceSet") or node["originalPriceSet"])
            ),
        )


@dataclass(frozen=True)
class FulfillmentLine:
    id: str
    line_item_id: str
    quantity: int


@dataclass(frozen=True)
class FulfillmentInfo:
    id: str
    name: str
    status: str
    display_status: str | None
    created_at: datetime
    in_transit_at: datetime | None
    delivered_at: datetime | None
    estimated_delivery_at: datetime | None
    tracking_company: str | None
    tracking_number: str | None
    tracking_url: str | None
    lines: tuple[FulfillmentLine, ...]

    @classmethod
    def from_graphql(cls, node: Node) -> FulfillmentInfo:
        tracking = (node.get("trackingInfo") or [{}])[0] if node.get("trackingInfo") else {}
        return cls(
            id=node["id"],
            name=node["name"],
            status=node["status"],
            display_status=node.get("displayStatus"),
            created_at=_when(node["createdAt"]),  # type: ignore[arg-type]
            in_transit_at=_when(node.get("inTransitAt")),
            delivered_at=_when(node.get("deliveredAt")),
            estimated_delivery_at=_when(node.get("estimatedDeliveryAt")),
            tracking_company=tracking.get("company"),
            tracking_number=tracking.get("number"),
            tracking_url=tracking.get("url"),
            lines=tuple(
                FulfillmentLine(
                    id=n["id"], line_item_id=n["lineItem"]["id"], quantity=n["quantity"]
                )
                for n in _nodes(node.get("fulfillmentLineItems"))
            ),
        )


@dataclass(frozen=True)
class FulfillmentHoldInfo:
    reason: str
    notes: str | None


@dataclass(frozen=True)
class FulfillmentOrderLine:
    id: str
    line_item_id: str
    total_quantity: int
    remaining_quantity: int


@dataclass(frozen=True)
class FulfillmentOrderInfo:
    id: str
    status: str
    location_id: str | None
    holds: tuple[FulfillmentHoldInfo, ...]
    lines: tuple[FulfillmentOrderLine, ...]

    @classmethod
    def from_graphql(cls, node: Node) -> FulfillmentOrderInfo:
        return cls(
            id=node["id"],
            status=node["status"],
            location_id=_id((node.get("assignedLocation") or {}).get("location")),
            holds=tuple(
                FulfillmentHoldInfo(h["reason"], h.get("reasonNotes"))
                for h in node.get("fulfillmentHolds") or []
            ),
            lines=tuple(
                FulfillmentOrderLine(
                    id=n["id"],
                    line_item_id=n["lineItem"]["id"],
                    total_quantity=n["totalQuantity"],
                    remaining_quantity=n["remainingQuantity"],
                )
                for n in _nodes(node.get("lineItems"))
            ),
        )


@dataclass(frozen=True)
class TransactionInfo:
    id: str
    kind: str
    status: str
    gateway: str | None
    amount: Money

    @classmethod
    def from_graphql(cls, node: Node) -> TransactionInfo:
        return cls(
            id=node["id"],
            kind=node["kind"],
            status=node["status"],
            gateway=node.get("gateway"),
            amount=_money(Money.from_bag(node["amountSet"])),
        )


@dataclass(frozen=True)
class RefundLineSummary:
    line_item_id: str
    quantity: int
    restock_type: str | None
    subtotal: Money


@dataclass(frozen=True)
class RefundSummary:
    id: str
    created_at: datetime | None
    note: str | None
    total: Money
    return_id: str | None
    lines: tuple[RefundLineSummary, ...] = ()


@dataclass(frozen=True)
class ReturnRef:
    id: str
    name: str
    status: str


@dataclass(frozen=True)
class Order:
    id: str
    legacy_id: int
    name: str
    email: str | None
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    closed_at: datetime | None
    currency: str
    tags: tuple[str, ...]
    note: str | None
    test: bool
    financial_status: str | None
    fulfillment_status: str
    return_status: str
    customer_id: str | None
    shipping_country: str | None
    shipping_province: str | None
    shipping_zip: str | None
    subtotal: Money
    total: Money
    total_refunded: Money
    total_shipping: Money
    shipping_lines: tuple[ShippingLineInfo, ...]
    lines: tuple[OrderLine, ...]
    fulfillments: tuple[FulfillmentInfo, ...]
    fulfillment_orders: tuple[FulfillmentOrderInfo, ...]
    transactions: tuple[TransactionInfo, ...]
    refunds: tuple[RefundSummary, ...]
    returns: tuple[ReturnRef, ...]
    # The customer's shipping address (personal data: read for a label, never stored).
    shipping_address: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def from_graphql(cls, node: Node) -> Order:
        address = node.get("shippingAddress") or {}
        return cls(
            id=node["id"],
            legacy_id=int(node["legacyResourceId"]),
            name=node["name"],
            email=node.get("email"),
            created_at=_when(node["createdAt"]),  # type: ignore[arg-type]
            processed_at=_when(node["processedAt"]),  # type: ignore[arg-type]
            updated_at=_when(node["updatedAt"]),  # type: ignore[arg-type]
            cancelled_at=_when(node.get("cancelledAt")),
            closed_at=_when(node.get("closedAt")),
            currency=node["currencyCode"],
            tags=tuple(node.get("tags") or ()),
            note=node.get("note"),
            test=bool(node.get("test")),
            financial_status=node.get("displayFinancialStatus"),
            fulfillment_status=node["displayFulfillmentStatus"],
            return_status=node["returnStatus"],
            customer_id=_id(node.get("customer")),
            shipping_country=address.get("countryCodeV2"),
            shipping_province=address.get("provinceCode"),
            shipping_zip=address.get("zip"),
            shipping_address=dict(address),
            subtotal=_money(Money.from_bag(node["subtotalPriceSet"])),
            total=_money(Money.from_bag(node["totalPriceSet"])),
            total_refunded=_money(Money.from_bag(node["totalRefundedSet"])),
            total_shipping=_money(Money.from_bag(node["totalShippingPriceSet"])),
            shipping_lines=tuple(
                ShippingLineInfo.from_graphql(n) for n in _nodes(node.get("shippingLines"))
            ),
            lines=tuple(OrderLine.from_graphql(n) for n in _nodes(node.get("lineItems"))),
            fulfillments=tuple(
                FulfillmentInfo.from_graphql(n) for n in node.get("fulfillments") or []
            ),
            fulfillment_orders=tuple(
                FulfillmentOrderInfo.from_graphql(n) for n in _nodes(node.get("fulfillmentOrders"))
            ),
            transactions=tuple(
                TransactionInfo.from_graphql(n) for n in node.get("transactions") or []
            ),
            refunds=tuple(
                RefundSummary(
                    id=n["id"],
                    created_at=_when(n.get("createdAt")),
                    note=n.get("note"),
                    total=_money(Money.from_bag(n["totalRefundedSet"])),
                    return_id=_id(n.get("return")),
                    lines=tuple(
                        RefundLineSummary(
                            line_item_id=li["lineItem"]["id"],
                            quantity=li["quantity"],
                            restock_type=li.get("restockType"),
                            subtotal=_money(Money.from_bag(li["subtotalSet"])),
                        )
                        for li in _nodes(n.get("refundLineItems"))
                    ),
                )
                for n in node.get("refunds") or []
            ),
            returns=tuple(
                ReturnRef(n["id"], n["name"], n["status"]) for n in _nodes(node.get("returns"))
            ),
        )


@dataclass(frozen=True)
class OrderHeader:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    financial_status: str | None
    fulfillment_status: str


@dataclass(frozen=True)
class OrdersPage:
    orders: tuple[OrderHeader, ...]
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_graphql(cls, node: Node) -> OrdersPage:
        info = node.get("pageInfo") or {}
        return cls(
            orders=tuple(
                OrderHeader(
                    id=n["id"],
                    name=n["name"],
                    created_at=_when(n["createdAt"]),  # type: ignore[arg-type]
                    updated_at=_when(n["updatedAt"]),  # type: ignore[arg-type]
                    financial_status=n.get("displayFinancialStatus"),
                    fulfillment_status=n["displayFulfillmentStatus"],
                )
                for n in _nodes(node)
            ),
            has_next_page=bool(info.get("hasNextPage")),
            end_cursor=info.get("endCursor"),
        )


# -- inventory -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantOption:
    """One variant of a product that a customer may pick for an exchange."""

    id: str
    title: str
    available: bool
    price: Decimal

    @property
    def numeric_id(self) -> int:
        return int(self.id.rsplit("/", 1)[-1])

    @classmethod
    def from_graphql(cls, node: Node) -> VariantOption:
        quantity = node.get("inventoryQuantity")
        return cls(
            id=node["id"],
            title=node["title"],
            available=bool(node.get("availableForSale")) and (quantity is None or quantity > 0),
            price=Decimal(str(node["price"])),
        )


@dataclass(frozen=True)
class InventoryLevelInfo:
    location_id: str
    location_name: str
    available: int
    incoming: int


@dataclass(frozen=True)
class VariantInventory:
    variant_id: str
    sku: str | None
    inventory_item_id: str
    tracked: bool
    levels: tuple[InventoryLevelInfo, ...]

    @property
    def available(self) -> int:
        return sum(level.available for level in self.levels)

    @property
    def incoming(self) -> int:
        return sum(level.incoming for level in self.levels)

    @classmethod
    def from_graphql(cls, node: Node) -> VariantInventory:
        item = node["inventoryItem"]
        levels = []
        for level in _nodes(item.get("inventoryLevels")):
            quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
            levels.append(
                InventoryLevelInfo(
                    location_id=level["location"]["id"],
                    location_name=level["location"]["name"],
                    available=quantities.get("available", 0),
                    incoming=quantities.get("incoming", 0),
                )
            )
        return cls(
            variant_id=node["id"],
            sku=node.get("sku"),
            inventory_item_id=item["id"],
            tracked=bool(item.get("tracked")),
            levels=tuple(levels),
        )


# -- returns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnReason:
    id: str
    handle: str
    name: str
    deleted: bool


@dataclass(frozen=True)
class ReturnLineInfo:
    id: str
    fulfillment_line_item_id: str
    line_item_id: str
    quantity: int
    processed_quantity: int
    refundable_quantity: int
    reason_handle: str | None
    reason_note: str
    customer_note: str | None


@dataclass(frozen=True)
class ReverseDeliveryInfo:
    id: str
    carrier_name: str | None
    tracking_number: str | None
    tracking_url: str | None
    label_url: str | None

    @classmethod
    def from_graphql(cls, node: Node) -> ReverseDeliveryInfo:
        deliverable = node.get("deliverable") or {}
        tracking = deliverable.get("tracking") or {}
        label = deliverable.get("label") or {}
        return cls(
            id=node["id"],
            carrier_name=tracking.get("carrierName"),
            tracking_number=tracking.get("number"),
            tracking_url=tracking.get("url"),
            label_url=label.get("publicFileUrl"),
        )


@dataclass(frozen=True)
class ReverseFulfillmentOrderLine:
    id: str
    fulfillment_line_item_id: str | None
    total_quantity: int


@dataclass(frozen=True)
class ReverseFulfillmentOrderInfo:
    id: str
    status: str
    lines: tuple[ReverseFulfillmentOrderLine, ...]
    deliveries: tuple[ReverseDeliveryInfo, ...]


@dataclass(frozen=True)
class RefundRef:
    id: str
    total: Money


@dataclass(frozen=True)
class ExchangeLineInfo:
    """A new item of an exchange; `line_item_ids` are its order lines once it is processed."""

    id: str
    variant_id: str | None
    quantity: int
    processed_quantity: int
    unprocessed_quantity: int
    line_item_ids: tuple[str, ...] = ()

    @classmethod
    def from_graphql(cls, node: Node) -> ExchangeLineInfo:
        processed = node.get("processedQuantity", 0)
        return cls(
            id=node["id"],
            variant_id=node.get("variantId"),
            quantity=node["quantity"],
            processed_quantity=processed,
            unprocessed_quantity=node.get("unprocessedQuantity", node["quantity"] - processed),
            line_item_ids=tuple(li["id"] for li in node.get("lineItems") or ()),
        )


@dataclass(frozen=True)
class ReturnInfo:
    id: str
    name: str
    status: str
    order_id: str
    created_at: datetime
    approved_at: datetime | None
    closed_at: datetime | None
    decline_reason: str | None
    decline_note: str | None
    lines: tuple[ReturnLineInfo, ...]
    reverse_fulfillment_orders: tuple[ReverseFulfillmentOrderInfo, ...]
    refunds: tuple[RefundRef, ...]
    exchange_lines: tuple[ExchangeLineInfo, ...] = ()

    @classmethod
    def from_graphql(cls, node: Node) -> ReturnInfo:
        decline = node.get("decline") or {}
        lines = []
        for n in _nodes(node.get("returnLineItems")):
            fli = n.get("fulfillmentLineItem") or {}
            lines.append(
                ReturnLineInfo(
                    id=n["id"],
                    fulfillment_line_item_id=fli.get("id"),
                    line_item_id=_id(fli.get("lineItem")),  # type: ignore[arg-type]
                    quantity=n["quantity"],
                    processed_quantity=n.get("processedQuantity", 0),
                    refundable_quantity=n.get("refundableQuantity", 0),
                    reason_handle=(n.get("returnReasonDefinition") or {}).get("handle"),
                    reason_note=n.get("returnReasonNote") or "",
                    customer_note=n.get("customerNote"),
                )
            )
        rfos = tuple(
            ReverseFulfillmentOrderInfo(
                id=r["id"],
                status=r["status"],
                lines=tuple(
                    ReverseFulfillmentOrderLine(
                        id=li["id"],
                        fulfillment_line_item_id=_id(li.get("fulfillmentLineItem")),
                        total_quantity=li["totalQuantity"],
                    )
                    for li in _nodes(r.get("lineItems"))
                ),
                deliveries=tuple(
                    ReverseDeliveryInfo.from_graphql(d) for d in _nodes(r.get("reverseDeliveries"))
                ),
            )
            for r in _nodes(node.get("reverseFulfillmentOrders"))
        )
        return cls(
            id=node["id"],
            name=node["name"],
            status=node["status"],
            order_id=node["order"]["id"],
            created_at=_when(node["createdAt"]),  # type: ignore[arg-type]
            approved_at=_when(node.get("requestApprovedAt")),
            closed_at=_when(node.get("closedAt")),
            decline_reason=decline.get("reason"),
            decline_note=decline.get("note"),
            lines=tuple(lines),
            reverse_fulfillment_orders=rfos,
            refunds=tuple(
                RefundRef(r["id"], _money(Money.from_bag(r["totalRefundedSet"])))
                for r in _nodes(node.get("refunds"))
            ),
            exchange_lines=tuple(
                ExchangeLineInfo.from_graphql(n) for n in _nodes(node.get("exchangeLineItems"))
            ),
        )


# -- refunds, credit, gift cards, discounts --------------------------------------------------


@dataclass(frozen=True)
class RefundLineInfo:
    line_item_id: str
    quantity: int
    restock_type: str
    subtotal: Money


@dataclass(frozen=True)
class RefundInfo:
    id: str
    created_at: datetime | None
    note: str | None
    total: Money
    lines: tuple[RefundLineInfo, ...]
    transactions: tuple[TransactionInfo, ...]

    @classmethod
    def from_graphql(cls, node: Node) -> RefundInfo:
        return cls(
            id=node["id"],
            created_at=_when(node.get("createdAt")),
            note=node.get("note"),
            total=_money(Money.from_bag(node["totalRefundedSet"])),
            lines=tuple(
                RefundLineInfo(
                    line_item_id=n["lineItem"]["id"],
                    quantity=n["quantity"],
                    restock_type=n["restockType"],
                    subtotal=_money(Money.from_bag(n["subtotalSet"])),
                )
                for n in _nodes(node.get("refundLineItems"))
            ),
            transactions=tuple(
                TransactionInfo.from_graphql(n) for n in _nodes(node.get("transactions"))
            ),
        )


@dataclass(frozen=True)
class StoreCreditTransactionInfo:
    id: str
    account_id: str
    amount: Money
    balance_after: Money
    account_balance: Money
    created_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def from_graphql(cls, node: Node) -> StoreCreditTransactionInfo:
        return cls(
            id=node["id"],
            account_id=node["account"]["id"],
            amount=_money(Money.from_v2(node["amount"])),
            balance_after=_money(Money.from_v2(node["balanceAfterTransaction"])),
            account_balance=_money(Money.from_v2(node["account"]["balance"])),
            created_at=_when(node.get("createdAt")),
            expires_at=_when(node.get("expiresAt")),
        )


@dataclass(frozen=True)
class GiftCardInfo:
    id: str
    code: str | None
    last_characters: str
    initial_value: Money
    balance: Money
    expires_on: date | None
    customer_id: str | None

    @classmethod
    def from_graphql(cls, node: Node, code: str | None) -> GiftCardInfo:
        return cls(
            id=node["id"],
            code=code,
            last_characters=node["lastCharacters"],
            initial_value=_money(Money.from_v2(node["initialValue"])),
            balance=_money(Money.from_v2(node["balance"])),
            expires_on=date.fromisoformat(node["expiresOn"]) if node.get("expiresOn") else None,
            customer_id=_id(node.get("customer")),
        )


@dataclass(frozen=True)
class DiscountCodeInfo:
    id: str
    code: str
    title: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    usage_limit: int | None

    @classmethod
    def from_graphql(cls, node: Node) -> DiscountCodeInfo:
        discount = node["codeDiscount"]
        codes = _nodes(discount.get("codes"))
        return cls(
            id=node["id"],
            code=codes[0]["code"] if codes else "",
            title=discount["title"],
            status=discount["status"],
            starts_at=_when(discount.get("startsAt")),
            ends_at=_when(discount.get("endsAt")),
            usage_limit=discount.get("usageLimit"),
        )


# -- order edits, webhooks -------------------------------------------------------------------


@dataclass(frozen=True)
class CalculatedShippingLine:
    id: str
    title: str
    price: Money
    staged_status: str


@dataclass(frozen=True)
class OrderEditInfo:
    calculated_order_id: str
    session_id: str | None
    shipping_lines: tuple[CalculatedShippingLine, ...]

    @classmethod
    def from_graphql(cls, calculated: Node, session: Node | None) -> OrderEditInfo:
        return cls(
            calculated_order_id=calculated["id"],
            session_id=_id(session),
            shipping_lines=tuple(
                CalculatedShippingLine(
                    id=n["id"],
                    title=n["title"],
                    price=_money(Money.from_bag(n["price"])),
                    staged_status=n["stagedStatus"],
                )
                for n in calculated.get("shippingLines") or []
            ),
        )


@dataclass(frozen=True)
class WebhookSubscriptionInfo:
    id: str
    topic: str
    uri: str
    format: str
    created_at: datetime | None

    @classmethod
    def from_graphql(cls, node: Node) -> WebhookSubscriptionInfo:
        return cls(
            id=node["id"],
            topic=node["topic"],
            uri=node["uri"],
            format=node["format"],
            created_at=_when(node.get("createdAt")),
        )


# -- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLineRequest:
    """A fulfilled line to return; `note` is the customer's note (request) or reason note (create)."""

    fulfillment_line_item_id: str
    quantity: int
    reason_definition_id: str | None = None
    note: str | None = None
    restocking_fee_percent: float | None = None


@dataclass(frozen=True)
class ExchangeLineRequest:
    """A new item for an exchange or replacement: a variant GID and how many.

    `discount_percent` (0-100) lowers its price, e.g. to what the customer paid
    for the returned item, so that the exchange costs them nothing extra.
    """

    variant_id: str
    quantity: int
    discount_percent: Decimal | None = None
    discount_description: str | None = None


@dataclass(frozen=True)
class RefundLineRequest:
    line_item_id: str
    quantity: int
    restock_type: str = "NO_RESTOCK"
    location_id: str | None = None


@dataclass(frozen=True)
class RefundTransactionRequest:
    """Money back against a sale/capture transaction (`parent_id`) through its gateway."""

    parent_id: str
    amount: Decimal
    gateway: str


@dataclass(frozen=True)
class Disposition:
    reverse_fulfillment_order_line_item_id: str
    quantity: int
    disposition_type: str = "RESTOCKED"
    location_id: str | None = None


@dataclass(frozen=True)
class ProcessLineRequest:
    return_line_item_id: str
    quantity: int
    dispositions: tuple[Disposition, ...] = ()
