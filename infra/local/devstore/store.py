"""Operations on the simulated shops: what Shopify does when an order is placed,
fulfilled, refunded or returned, with Shopify-like validation.

GraphQL mutations and the /_sim control API both call these, so a test that
seeds through the control API sees the same rules as the app's mutations.
Invalid input raises UserErrors (rendered as `userErrors` or as HTTP 422).
Every change emits the webhook topics Shopify would send.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from infra.local.devstore import payloads
from infra.local.devstore import state as s
from infra.local.devstore.clock import Clock

EmitFn = Callable[[s.Shop, str, dict[str, Any]], None]
_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
SHIPMENT_STATUSES = {
    "label_printed",
    "label_purchased",
    "confirmed",
    "in_transit",
    "out_for_delivery",
    "attempted_delivery",
    "delayed",
    "delivered",
    "failure",
}
RESTOCK_TYPES = {"NO_RESTOCK", "CANCEL", "RETURN", "LEGACY_RESTOCK"}


@dataclass
class UserError:
    """One Shopify userError: the input path, a message and (for some payloads) a code."""

    field: list[str] | None
    message: str
    code: str | None = None

    def as_graphql(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "code": self.code}


class UserErrors(Exception):
    """Input Shopify would reject with userErrors; nothing was changed."""

    def __init__(self, errors: Sequence[UserError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


def fail(field_path: Iterable[Any] | None, message: str, code: str | None = None) -> UserErrors:
    path = [str(p) for p in field_path] if field_path is not None else None
    return UserErrors([UserError(path, message, code)])


@dataclass
class RefundLine:
    line_item: s.LineItem
    quantity: int
    restock_type: str = "NO_RESTOCK"
    location: s.Location | None = None


@dataclass
class RefundMoney:
    amount: Decimal
    parent: s.Transaction | None = None
    gateway: str | None = None


@dataclass
class ReturnLine:
    fulfillment_line_item: s.FulfillmentLineItem
    quantity: int
    reason: s.ReturnReasonDefinition | None = None
    reason_note: str = ""
    customer_note: str | None = None
    restocking_fee_percentage: float | None = None


@dataclass
class ExchangeLine:
    """A new item for an exchange (returnCreate's exchangeLineItems)."""

    variant: s.Variant
    quantity: int
    discount_percentage: Decimal | None = None
    discount_description: str | None = None


@dataclass
class ProcessLine:
    return_line_item: s.ReturnLineItem
    quantity: int
    dispositions: list[tuple[s.ReverseFulfillmentOrderLineItem, int, str, s.Location | None]] = (
        field(default_factory=list)
    )


class DevStore:
    """All simulated shops; every read and write happens under `lock`."""

    def __init__(self, clock: Clock, emit: EmitFn | None = None) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.shops: dict[str, s.Shop] = {}
        self._emit = emit or (lambda shop, topic, body: None)

    def set_emitter(self, emit: EmitFn) -> None:
        self._emit = emit

    def emit(self, shop: s.Shop, topic: str, body: dict[str, Any]) -> None:
        self._emit(shop, topic, body)

    def reset(self) -> None:
        with self.lock:
            self.shops.clear()

    # -- shops, catalogue, customers -------------------------------------------------------

    def create_shop(
        self,
        domain: str,
        *,
        name: str | None = None,
        email: str | None = None,
        currency: str = "USD",
        country_code: str = "US",
        iana_timezone: str = "America/New_York",
        locations: Sequence[str] = ("Main warehouse",),
    ) -> s.Shop:
        domain = domain.strip().lower()
        if not _DOMAIN.match(domain):
            raise fail(["domain"], f"{domain!r} is not a *.myshopify.com domain")
        with self.lock:
            if domain in self.shops:
                raise fail(["domain"], f"{domain} already exists", "TAKEN")
            handle = domain.split(".", 1)[0]
            shop = s.Shop(
                id=s.next_id(),
                domain=domain,
                name=name or handle.replace("-", " ").title(),
                email=email or f"owner@{handle}.example",
                currency=currency,
                country_code=country_code,
                iana_timezone=iana_timezone,
                created_at=self.clock.now(),
            )
            for location_name in locations:
                shop.locations.append(
                    shop.add(
                        s.Location(id=s.next_id(), name=location_name, country_code=country_code)
                    )
                )
            self.shops[domain] = shop
            return shop

    def shop(self, domain: str) -> s.Shop:
        shop = self.shops.get(domain.strip().lower())
        if shop is None:
            raise fail(["shop"], f"no shop {domain}", "NOT_FOUND")
        return shop

    def create_product(
        self,
        shop: s.Shop,
        *,
        title: str,
        product_type: str = "",
        vendor: str | None = None,
        tags: Sequence[str] = (),
        variants: Sequence[dict[str, Any]],
    ) -> s.Product:
        if not variants:
            raise fail(["variants"], "A product needs at least one variant", "BLANK")
        with self.lock:
            now = self.clock.now()
            product = shop.add(
                s.Product(
                    id=s.next_id(),
                    title=title,
                    product_type=product_type,
                    vendor=vendor or shop.name,
                    tags=list(tags),
                    created_at=now,
                )
            )
            shop.products.append(product)
            for i, spec in enumerate(variants):
                sku = spec.get("sku") or f"{title[:3].upper()}-{len(shop.products)}-{i + 1}"
                if shop.variant_by_sku(sku) is not None:
                    raise fail(["variants", i, "sku"], f"SKU {sku} is already used", "TAKEN")
                compare_at = spec.get("compare_at_price")
                variant = s.Variant(
                    id=s.next_id(),
                    product=product,
                    title=spec.get("title") or "Default Title",
                    sku=sku,
                    price=s.money(spec.get("price", "0")),
                    compare_at_price=s.money(compare_at) if compare_at not in (None, "") else None,
                    grams=int(spec.get("grams", 200)),
                )
                variant.inventory_item = shop.add(s.InventoryItem(id=s.next_id(), variant=variant))
                product.variants.append(shop.add(variant))
                stock = spec.get("inventory", {})
                if isinstance(stock, int):
                    stock = {shop.primary_location.name: {"available": stock}}
                for location in shop.locations:
                    spec_at = stock.get(location.name, {})
                    if isinstance(spec_at, int):
                        spec_at = {"available": spec_at}
                    self._set_level(
                        shop,
                        variant,
                        location,
                        available=int(spec_at.get("available", 0)),
                        incoming=int(spec_at.get("incoming", 0)),
                    )
            return product

    def set_inventory(
        self,
        shop: s.Shop,
        variant: s.Variant,
        location: s.Location,
        *,
        available: int | None = None,
        incoming: int | None = None,
    ) -> s.InventoryLevel:
        with self.lock:
            level = variant.inventory_item.level_at(location)
            return self._set_level(
                shop,
                variant,
                location,
                available=available if available is not None else _qty(level, "available"),
                incoming=incoming if incoming is not None else _qty(level, "incoming"),
            )

    def _set_level(
        self,
        shop: s.Shop,
        variant: s.Variant,
        location: s.Location,
        *,
        available: int,
        incoming: int,
    ) -> s.InventoryLevel:
        item = variant.inventory_item
        level = item.level_at(location)
        if level is None:
            level = shop.add(
                s.InventoryLevel(
                    id=s.next_id(),
                    item=item,
                    location=location,
                    quantities={},
                    updated_at=self.clock.now(),
                )
            )
            item.inventory_levels.append(level)
        level.quantities.update(
            available=available, incoming=incoming, on_hand=max(available, 0), committed=0
        )
        level.updated_at = self.clock.now()
        return level

    def create_customer(
        self,
        shop: s.Shop,
        *,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        address: dict[str, Any] | None = None,
    ) -> s.Customer:
        if not email or "@" not in email:
            raise fail(["email"], "Email is invalid", "INVALID")
        with self.lock:
            existing = shop.customer_by_email(email)
            if existing is not None:
                return existing
            now = self.clock.now()
            customer = shop.add(
                s.Customer(
                    id=s.next_id(),
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    created_at=now,
                    updated_at=now,
                    default_address=_address(address, first_name, last_name),
                )
            )
            shop.customers.append(customer)
            return customer

    # -- orders and fulfilment -------------------------------------------------------------

    def create_order(
        self,
        shop: s.Shop,
        *,
        lines: Sequence[dict[str, Any]],
        customer: s.Customer | None = None,
        email: str | None = None,
        shipping: dict[str, Any] | None = None,
        shipping_address: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        tags: Sequence[str] = (),
        note: str | None = None,
        hold_out_of_stock: bool = False,
    ) -> s.Order:
        """Place an order; lines are {variant|sku|variant_id, quantity, price?, discount?}."""
        if not lines:
            raise fail(["lines"], "An order needs at least one line", "BLANK")
        with self.lock:
            at = created_at or self.clock.now()
            resolved: list[tuple[s.Variant, int, dict[str, Any]]] = []
            for i, spec in enumerate(lines):
                variant = spec.get("variant") or self._variant_from_spec(shop, spec)
                if variant is None:
                    raise fail(["lines", i], "Unknown variant", "NOT_FOUND")
                quantity = int(spec.get("quantity", 1))
                if quantity < 1:
                    raise fail(["lines", i, "quantity"], "Quantity must be at least 1", "INVALID")
                resolved.append((variant, quantity, spec))
            shop.last_order_number += 1
            order = shop.add(
                s.Order(
                    id=s.next_id(),
                    shop=shop,
                    number=shop.last_order_number,
                    email=email or (customer.email if customer else None),
                    customer=customer,
                    created_at=at,
                    updated_at=at,
                    currency=shop.currency,
                    shipping_address=_address(
                        shipping_address,
                        customer.first_name if customer else None,
                        customer.last_name if customer else None,
                        default_country=shop.country_code,
                    ),
                    tags=list(tags),
                    note=note,
                )
            )
            out_of_stock = hold_out_of_stock
            for variant, quantity, spec in resolved:
                if variant.available < quantity:
                    out_of_stock = True
                line = shop.add(
                    s.LineItem(
                        id=s.next_id(),
                        order=order,
                        variant=variant,
                        title=variant.product.title,
                        variant_title=None if variant.title == "Default Title" else variant.title,
                        sku=variant.sku,
                        vendor=variant.product.vendor,
                        quantity=quantity,
                        unit_price=s.money(spec.get("price", variant.price)),
                        discount_per_unit=s.money(spec.get("discount", "0")),
                        grams=variant.grams,
                    )
                )
                order.line_items.append(line)
                # Committing stock at the shipping location, as Shopify does at checkout.
                level = variant.inventory_item.level_at(shop.primary_location)
                if level is not None:
                    level.quantities["available"] = level.quantities.get("available", 0) - quantity
                    level.quantities["committed"] = level.quantities.get("committed", 0) + quantity
            ship = shipping or {"title": "Standard Shipping", "price": "6.95", "code": "standard"}
            order.shipping_lines.append(
                shop.add(
                    s.ShippingLine(
                        id=s.next_id(),
                        order=order,
                        title=ship.get("title", "Standard Shipping"),
                        price=s.money(ship.get("price", "0")),
                        code=ship.get("code"),
                    )
                )
            )
            fo = shop.add(
                s.FulfillmentOrder(
                    id=s.next_id(),
                    order=order,
                    location=shop.primary_location,
                    status="OPEN",
                    created_at=at,
                    updated_at=at,
                )
            )
            for line in order.line_items:
                fo.line_items.append(
                    shop.add(
                        s.FulfillmentOrderLineItem(
                            id=s.next_id(),
                            line_item=line,
                            total_quantity=line.quantity,
                            remaining_quantity=line.quantity,
                        )
                    )
                )
            order.fulfillment_orders.append(fo)
            order.transactions.append(
                shop.add(
                    s.Transaction(
                        id=s.next_id(),
                        order=order,
                        kind="SALE",
                        gateway="bogus",
                        amount=order.total_price,
                        created_at=at,
                    )
                )
            )
            shop.orders.append(order)
            self.emit(shop, "orders/create", payloads.order(order))
            if out_of_stock:
                self.hold_fulfillment_order(
                    shop, fo, reason="INVENTORY_OUT_OF_STOCK", notes="Waiting for stock", at=at
                )
            return order

    def _variant_from_spec(self, shop: s.Shop, spec: dict[str, Any]) -> s.Variant | None:
        if spec.get("sku"):
            return shop.variant_by_sku(str(spec["sku"]))
        ref = spec.get("variant_id")
        if ref is None:
            return None
        if isinstance(ref, int) or str(ref).isdigit():
            ref = s.gid("ProductVariant", int(ref))
        return shop.find(ref, s.Variant)

    def hold_fulfillment_order(
        self,
        shop: s.Shop,
        fo: s.FulfillmentOrder,
        *,
        reason: str,
        notes: str | None,
        at: datetime | None = None,
    ) -> s.FulfillmentHold:
        with self.lock:
            hold = shop.add(
                s.FulfillmentHold(
                    id=s.next_id(),
                    reason=reason,
                    reason_notes=notes,
                    handle=f"hold-{reason.lower()}",
                )
            )
            fo.fulfillment_holds.append(hold)
            fo.status = "ON_HOLD"
            fo.updated_at = at or self.clock.now()
            fo.order.updated_at = fo.updated_at
            self.emit(
                shop,
                "fulfillment_orders/placed_on_hold",
                payloads.fulfillment_order_placed_on_hold(fo, hold),
            )
            return hold

    def release_holds(self, shop: s.Shop, order: s.Order) -> None:
        with self.lock:
            for fo in order.fulfillment_orders:
                if fo.status == "ON_HOLD":
                    fo.fulfillment_holds.clear()
                    fo.status = "OPEN"
                    fo.updated_at = self.clock.now()

    def fulfil(
        self,
        shop: s.Shop,
        order: s.Order,
        *,
        quantities: dict[s.LineItem, int] | None = None,
        tracking_company: str | None = "USPS",
        tracking_number: str | None = None,
        tracking_url: str | None = None,
        at: datetime | None = None,
    ) -> s.Fulfillment:
        """Ship lines (default: everything unfulfilled); releases holds first."""
        with self.lock:
            at = at or self.clock.now()
            wanted = quantities or {
                li: li.unfulfilled_quantity for li in order.line_items if li.unfulfilled_quantity
            }
            if not wanted:
                raise fail(["lineItems"], "Nothing left to fulfil", "INVALID")
            for i, (li, qty) in enumerate(wanted.items()):
                if li.order is not order:
                    raise fail(["lineItems", i], "Line item is not on this order", "NOT_FOUND")
                if qty < 1 or qty > li.unfulfilled_quantity:
                    raise fail(
                        ["lineItems", i, "quantity"],
                        f"Quantity {qty} is more than the {li.unfulfilled_quantity} unfulfilled",
                        "INVALID",
                    )
            self.release_holds(shop, order)
            number = tracking_number or f"9400{secrets.randbelow(10**18):018d}"
            fulfillment = shop.add(
                s.Fulfillment(
                    id=s.next_id(),
                    order=order,
                    name=f"{order.name}.{len(order.fulfillments) + 1}",
                    location=shop.primary_location,
                    created_at=at,
                    updated_at=at,
                    tracking_company=tracking_company,
                    tracking_number=number,
                    tracking_url=tracking_url or _tracking_url(tracking_company, number),
                    estimated_delivery_at=at + timedelta(days=5),
                )
            )
            for li, qty in wanted.items():
                fulfillment.fulfillment_line_items.append(
                    shop.add(s.FulfillmentLineItem(id=s.next_id(), line_item=li, quantity=qty))
                )
                stocked_at = shop.primary_location
                for fo in order.fulfillment_orders:
                    for foli in fo.line_items:
                        if foli.line_item is li:
                            take = min(qty, foli.remaining_quantity)
                            foli.remaining_quantity -= take
                            qty -= take
                            stocked_at = fo.location
                level = li.variant.inventory_item.level_at(stocked_at) if li.variant else None
                if level is not None:
                    level.quantities["committed"] = max(
                        0, level.quantities.get("committed", 0) - wanted[li]
                    )
            for fo in order.fulfillment_orders:
                remaining = sum(foli.remaining_quantity for foli in fo.line_items)
                fo.status = "CLOSED" if remaining == 0 else "IN_PROGRESS"
                fo.updated_at = at
            order.fulfillments.append(fulfillment)
            order.updated_at = at
            self.emit(shop, "fulfillments/create", payloads.fulfillment(fulfillment))
            if order.fulfillment_status == "fulfilled":
                self.emit(shop, "orders/fulfilled", payloads.order(order))
            self.emit(shop, "orders/updated", payloads.order(order))
            return fulfillment

    def update_shipment(
        self,
        shop: s.Shop,
        fulfillment: s.Fulfillment,
        status: str,
        *,
        at: datetime | None = None,
        estimated_delivery_at: datetime | None = None,
    ) -> s.Fulfillment:
        """A carrier event: sets REST shipment_status and sends fulfillments/update."""
        if status not in SHIPMENT_STATUSES:
            raise fail(["status"], f"Unknown shipment status {status}", "INCLUSION")
        with self.lock:
            at = at or self.clock.now()
            fulfillment.shipment_status = status
            fulfillment.updated_at = at
            if status in ("in_transit", "out_for_delivery", "delayed", "delivered"):
                fulfillment.in_transit_at = fulfillment.in_transit_at or min(
                    at, fulfillment.created_at + timedelta(days=1)
                )
            if status == "delivered":
                fulfillment.delivered_at = at
                fulfillment.estimated_delivery_at = None
            if estimated_delivery_at is not None:
                fulfillment.estimated_delivery_at = estimated_delivery_at
            fulfillment.order.updated_at = at
            self.emit(shop, "fulfillments/update", payloads.fulfillment(fulfillment))
            return fulfillment

    def deliver(self, shop: s.Shop, order: s.Order, *, at: datetime | None = None) -> s.Fulfillment:
        """Mark the latest undelivered fulfillment delivered."""
        with self.lock:
            pending = [f for f in order.fulfillments if f.delivered_at is None]
            if not pending:
                raise fail(["fulfillments"], "No undelivered fulfillment on this order", "INVALID")
            return self.update_shipment(shop, pending[-1], "delivered", at=at)

    def delay(
        self, shop: s.Shop, order: s.Order, *, days: int = 3, at: datetime | None = None
    ) -> s.Fulfillment | s.FulfillmentHold:
        """Delay a shipped order (carrier 'delayed') or hold an unshipped one."""
        with self.lock:
            at = at or self.clock.now()
            pending = [f for f in order.fulfillments if f.delivered_at is None]
            if pending:
                f = pending[-1]
                base = f.estimated_delivery_at or at
                return self.update_shipment(
                    shop, f, "delayed", at=at, estimated_delivery_at=base + timedelta(days=days)
                )
            open_fos = [fo for fo in order.fulfillment_orders if fo.status in ("OPEN", "ON_HOLD")]
            if not open_fos:
                raise fail(["order"], "Order has nothing left to delay", "INVALID")
            return self.hold_fulfillment_order(
                shop, open_fos[0], reason="OTHER", notes=f"Delayed by {days} days", at=at
            )

    # -- refunds ---------------------------------------------------------------------------

    def refund(
        self,
        shop: s.Shop,
        order: s.Order,
        *,
        lines: Sequence[RefundLine] = (),
        money: Sequence[RefundMoney] | None = None,
        shipping_amount: Decimal | None = None,
        full_shipping: bool = False,
        note: str | None = None,
        allow_over_refunding: bool = False,
        ret: s.Return | None = None,
        restock_inventory: bool = True,
        at: datetime | None = None,
        path: Sequence[str] = (),
    ) -> s.Refund:
        """Refund lines/shipping; money=None refunds their value against the sale."""
        with self.lock:
            at = at or self.clock.now()
            self._check_refund_lines(order, lines, path)
            already_shipping = order.refunded_shipping
            ship = Decimal("0.00")
            if full_shipping:
                ship = order.shipping_total - already_shipping
            elif shipping_amount is not None:
                ship = s.money(shipping_amount)
                if ship < 0 or ship > order.shipping_total - already_shipping:
                    raise fail(
                        [*path, "shipping", "amount"],
                        "Shipping refund amount is more than the refundable shipping",
                        "INVALID",
                    )
            value = sum((ln.line_item.discounted_unit_price * ln.quantity for ln in lines), ship)
            sale = next((t for t in order.transactions if t.kind in ("SALE", "CAPTURE")), None)
            if money is None:
                money = [RefundMoney(amount=value, parent=sale)] if value > 0 else []
            refundable = order.total_received - order.total_refunded
            total = sum((m.amount for m in money), Decimal("0.00"))
            for i, m in enumerate(money):
                if m.amount <= 0:
                    raise fail(
                        [*path, "transactions", i, "amount"], "Amount must be greater than 0"
                    )
                if m.parent is None or m.parent.order is not order:
                    raise fail(
                        [*path, "transactions", i, "parentId"],
                        "Parent transaction does not exist on this order",
                    )
            if total > refundable and not allow_over_refunding:
                raise fail(
                    [*path, "transactions"],
                    f"Refund amount {total} is more than the {refundable} available to refund",
                )
            refund = shop.add(s.Refund(id=s.next_id(), order=order, created_at=at, note=note))
            refund.shipping_amount = ship
            refund.return_ = ret
            for ln in lines:
                location = ln.location or shop.primary_location
                refund.refund_line_items.append(
                    shop.add(
                        s.RefundLineItem(
                            id=s.next_id(),
                            line_item=ln.line_item,
                            quantity=ln.quantity,
                            restock_type=ln.restock_type,
                            location=location if ln.restock_type != "NO_RESTOCK" else None,
                            subtotal=s.money(ln.line_item.discounted_unit_price * ln.quantity),
                        )
                    )
                )
                if (
                    restock_inventory
                    and ln.restock_type in ("RETURN", "CANCEL")
                    and ln.line_item.variant
                ):
                    level = ln.line_item.variant.inventory_item.level_at(location)
                    if level is not None:
                        level.quantities["available"] = (
                            level.quantities.get("available", 0) + ln.quantity
                        )
            for m in money:
                refund.transactions.append(
                    shop.add(
                        s.Transaction(
                            id=s.next_id(),
                            order=order,
                            kind="REFUND",
                            gateway=m.gateway or (m.parent.gateway if m.parent else "bogus"),
                            amount=s.money(m.amount),
                            created_at=at,
                            parent=m.parent,
                        )
                    )
                )
            order.refunds.append(refund)
            order.transactions.extend(refund.transactions)
            order.updated_at = at
            if ret is not None:
                ret.refunds.append(refund)
            self.emit(shop, "refunds/create", payloads.refund(refund))
            self.emit(shop, "orders/updated", payloads.order(order))
            return refund

    def _check_refund_lines(
        self, order: s.Order, lines: Sequence[RefundLine], path: Sequence[str]
    ) -> None:
        asked: dict[s.LineItem, int] = {}
        for i, ln in enumerate(lines):
            where = [*path, "refundLineItems", i]
            if ln.line_item.order is not order:
                raise fail([*where, "lineItemId"], "Line item does not exist on this order")
            if ln.restock_type not in RESTOCK_TYPES:
                raise fail([*where, "restockType"], f"Unknown restock type {ln.restock_type}")
            asked[ln.line_item] = asked.get(ln.line_item, 0) + ln.quantity
            if ln.quantity < 1 or asked[ln.line_item] > ln.line_item.refundable_quantity:
                raise fail(
                    [*where, "quantity"],
                    "Quantity cannot refund more items than were purchased",
                )

    # -- returns ---------------------------------------------------------------------------

    def returnable_quantity(self, fli: s.FulfillmentLineItem, order: s.Order) -> int:
        in_returns = sum(
            rli.quantity
            for r in order.returns
            if r.status not in ("DECLINED", "CANCELED")
            for rli in r.return_line_items
            if rli.fulfillment_line_item is fli
        )
        return max(0, min(fli.quantity, fli.line_item.refundable_quantity) - in_returns)

    def _check_return_lines(
        self, order: s.Order, lines: Sequence[ReturnLine], path: Sequence[str]
    ) -> None:
        if not lines:
            raise fail(
                [*path, "returnLineItems"], "Return must have at least one line item", "BLANK"
            )
        owned = {fli for f in order.fulfillments for fli in f.fulfillment_line_items}
        asked: dict[s.FulfillmentLineItem, int] = {}
        for i, ln in enumerate(lines):
            where = [*path, "returnLineItems", i]
            if ln.fulfillment_line_item not in owned:
                raise fail(
                    [*where, "fulfillmentLineItemId"],
                    "Fulfillment line item does not exist on this order",
                    "NOT_FOUND",
                )
            asked[ln.fulfillment_line_item] = asked.get(ln.fulfillment_line_item, 0) + ln.quantity
            available = self.returnable_quantity(ln.fulfillment_line_item, order)
            if ln.quantity < 1:
                raise fail([*where, "quantity"], "Quantity must be greater than 0", "GREATER_THAN")
            if asked[ln.fulfillment_line_item] > available:
                raise fail(
                    [*where, "quantity"],
                    f"Quantity is not returnable: only {available} can be returned",
                    "INVALID",
                )
            pct = ln.restocking_fee_percentage
            if pct is not None and not 0 <= pct <= 100:
                raise fail([*where, "restockingFee", "percentage"], "Percentage must be 0 to 100")

    def _new_return(
        self,
        shop: s.Shop,
        order: s.Order,
        lines: Sequence[ReturnLine],
        status: str,
        shipping_fee: Decimal | None,
        at: datetime,
    ) -> s.Return:
        ret = shop.add(
            s.Return(
                id=s.next_id(),
                order=order,
                name=f"{order.name}-R{len(order.returns) + 1}",
                status=status,
                created_at=at,
            )
        )
        for ln in lines:
            ret.return_line_items.append(
                shop.add(
                    s.ReturnLineItem(
                        id=s.next_id(),
                        fulfillment_line_item=ln.fulfillment_line_item,
                        quantity=ln.quantity,
                        return_reason_definition=ln.reason,
                        return_reason_note=ln.reason_note or "",
                        customer_note=ln.customer_note,
                        restocking_fee_percentage=ln.restocking_fee_percentage,
                    )
                )
            )
        if shipping_fee is not None and shipping_fee > 0:
            ret.return_shipping_fees.append(
                shop.add(s.ReturnShippingFee(id=s.next_id(), amount=s.money(shipping_fee)))
            )
        order.returns.append(ret)
        order.updated_at = at
        return ret

    def _open_reverse_fulfillment(self, shop: s.Shop, ret: s.Return) -> None:
        rfo = shop.add(s.ReverseFulfillmentOrder(id=s.next_id(), order=ret.order, return_=ret))
        for rli in ret.return_line_items:
            rfo.line_items.append(
                shop.add(
                    s.ReverseFulfillmentOrderLineItem(
                        id=s.next_id(),
                        fulfillment_line_item=rli.fulfillment_line_item,
                        total_quantity=rli.quantity,
                        return_line_item=rli,
                    )
                )
            )
        ret.reverse_fulfillment_orders.append(rfo)

    def request_return(
        self,
        shop: s.Shop,
        order: s.Order,
        lines: Sequence[ReturnLine],
        *,
        shipping_fee: Decimal | None = None,
        path: Sequence[str] = ("input",),
    ) -> s.Return:
        with self.lock:
            self._check_return_lines(order, lines, path)
            ret = self._new_return(shop, order, lines, "REQUESTED", shipping_fee, self.clock.now())
            self.emit(shop, "returns/request", payloads.return_requested_or_approved(ret))
            return ret

    def create_return(
        self,
        shop: s.Shop,
        order: s.Order,
        lines: Sequence[ReturnLine],
        *,
        shipping_fee: Decimal | None = None,
        requested_at: datetime | None = None,
        exchange_lines: Sequence[ExchangeLine] = (),
        path: Sequence[str] = ("returnInput",),
    ) -> s.Return:
        with self.lock:
            self._check_return_lines(order, lines, path)
            self._check_exchange_lines(exchange_lines, path)
            now = self.clock.now()
            ret = self._new_return(shop, order, lines, "OPEN", shipping_fee, requested_at or now)
            ret.request_approved_at = now
            for ex in exchange_lines:
                # Priced now; added to the order only when returnProcess processes it.
                price = ex.variant.price
                off = s.money(price * ex.discount_percentage / 100) if ex.discount_percentage else 0
                ret.exchange_line_items.append(
                    shop.add(
                        s.ExchangeLineItem(
                            id=s.next_id(),
                            variant=ex.variant,
                            quantity=ex.quantity,
                            unit_price=price,
                            discount_per_unit=s.money(off),
                            discount_description=ex.discount_description,
                        )
                    )
                )
            self._open_reverse_fulfillment(shop, ret)
            self.emit(shop, "returns/approve", payloads.return_requested_or_approved(ret))
            return ret

    def _check_exchange_lines(self, lines: Sequence[ExchangeLine], path: Sequence[str]) -> None:
        """Each new item must be wanted at least once and be in stock at one location."""
        asked: dict[s.Variant, int] = {}
        for i, ex in enumerate(lines):
            where = [*path, "exchangeLineItems", i]
            if ex.quantity < 1:
                raise fail([*where, "quantity"], "Quantity must be greater than 0", "GREATER_THAN")
            pct = ex.discount_percentage
            if pct is not None and not 0 <= pct <= 100:
                raise fail(
                    [*where, "appliedDiscount", "value", "percentage"],
                    "Percentage must be 0 to 100",
                    "INVALID",
                )
            asked[ex.variant] = asked.get(ex.variant, 0) + ex.quantity
            if _stock_location(ex.variant, asked[ex.variant]) is None:
                raise fail(
                    [*where, "variantId"],
                    f"{ex.variant.display_name} is out of stock: "
                    f"{asked[ex.variant]} wanted, {ex.variant.available} available",
                    "INVALID",
                )

    def approve_return(self, shop: s.Shop, ret: s.Return) -> s.Return:
        with self.lock:
            if ret.status != "REQUESTED":
                raise fail(
                    ["input", "id"],
                    f"Return is not approvable. Only returns with status REQUESTED can be "
                    f"approved, this one is {ret.status}.",
                    "INVALID_STATE",
                )
            ret.status = "OPEN"
            ret.request_approved_at = self.clock.now()
            ret.order.updated_at = ret.request_approved_at
            self._open_reverse_fulfillment(shop, ret)
            self.emit(shop, "returns/approve", payloads.return_requested_or_approved(ret))
            return ret

    def decline_return(
        self, shop: s.Shop, ret: s.Return, *, reason: str, note: str | None = None
    ) -> s.Return:
        with self.lock:
            if ret.status != "REQUESTED":
                raise fail(
                    ["input", "id"],
                    f"Return is not declinable. Only returns with status REQUESTED can be "
                    f"declined, this one is {ret.status}.",
                    "INVALID_STATE",
                )
            ret.status = "DECLINED"
            ret.decline = {"reason": reason, "note": note}
            ret.order.updated_at = self.clock.now()
            self.emit(shop, "returns/decline", payloads.return_declined(ret))
            return ret

    def close_return(self, shop: s.Shop, ret: s.Return) -> s.Return:
        with self.lock:
            if ret.status != "OPEN":
                raise fail(
                    ["id"],
                    f"Return is not closable: it is {ret.status}, only OPEN returns close.",
                    "INVALID_STATE",
                )
            ret.status = "CLOSED"
            ret.closed_at = self.clock.now()
            for rfo in ret.reverse_fulfillment_orders:
                rfo.status = "CLOSED"
            ret.order.updated_at = ret.closed_at
            self.emit(shop, "returns/close", payloads.return_status_only(ret))
            return ret

    def create_reverse_delivery(
        self,
        shop: s.Shop,
        rfo: s.ReverseFulfillmentOrder,
        lines: Sequence[tuple[s.ReverseFulfillmentOrderLineItem, int]],
        *,
        tracking_number: str | None,
        tracking_url: str | None,
        label_url: str | None,
    ) -> s.ReverseDelivery:
        with self.lock:
            if rfo.status != "OPEN":
                raise fail(
                    ["reverseFulfillmentOrderId"],
                    "Reverse fulfillment order is not open",
                    "INVALID_STATE",
                )
            if not lines:
                raise fail(["reverseDeliveryLineItems"], "Line items can't be blank", "BLANK")
            for i, (rfoli, qty) in enumerate(lines):
                where = ["reverseDeliveryLineItems", str(i)]
                if rfoli not in rfo.line_items:
                    raise fail(
                        [*where, "reverseFulfillmentOrderLineItemId"],
                        "Reverse fulfillment order line item does not exist",
                        "NOT_FOUND",
                    )
                delivered = sum(
                    rdli.quantity
                    for rd in rfo.reverse_deliveries
                    for rdli in rd.reverse_delivery_line_items
                    if rdli.reverse_fulfillment_order_line_item is rfoli
                )
                if qty < 1 or qty > rfoli.total_quantity - delivered:
                    raise fail([*where, "quantity"], "Quantity is invalid", "INVALID")
            rd = shop.add(
                s.ReverseDelivery(
                    id=s.next_id(),
                    reverse_fulfillment_order=rfo,
                    created_at=self.clock.now(),
                    tracking_number=tracking_number,
                    tracking_url=tracking_url,
                    carrier_name=_carrier_from_url(tracking_url),
                    label_url=label_url,
                )
            )
            for rfoli, qty in lines:
                rd.reverse_delivery_line_items.append(
                    shop.add(
                        s.ReverseDeliveryLineItem(
                            id=s.next_id(), reverse_fulfillment_order_line_item=rfoli, quantity=qty
                        )
                    )
                )
            rfo.reverse_deliveries.append(rd)
            self.emit(shop, "reverse_deliveries/attach_deliverable", payloads.reverse_delivery(rd))
            return rd

    def process_return(
        self,
        shop: s.Shop,
        ret: s.Return,
        lines: Sequence[ProcessLine],
        *,
        refund_money: Sequence[RefundMoney] | None,
        refund_shipping: Decimal | None = None,
        full_shipping: bool = False,
        note: str | None = None,
        exchange: Sequence[tuple[s.ExchangeLineItem, int]] = (),
    ) -> s.Return:
        """Process received lines; with refund_money also refunds them (linked to the return).

        Processed exchange items join the order as new lines in a new fulfillment
        order, held (AWAITING_PAYMENT) only when they are worth more than what
        came back, as Shopify does since 2025-07.
        """
        with self.lock:
            if ret.status != "OPEN":
                raise fail(
                    ["input", "returnId"], f"Return is {ret.status}, not OPEN", "INVALID_STATE"
                )
            if not lines and not exchange:
                raise fail(["input", "returnLineItems"], "Nothing to process", "BLANK")
            for i, (eli, qty) in enumerate(exchange):
                where = ["input", "exchangeLineItems", str(i)]
                if eli not in ret.exchange_line_items:
                    raise fail([*where, "id"], "Exchange line item does not exist", "NOT_FOUND")
                if qty < 1 or qty > eli.processable_quantity:
                    raise fail(
                        [*where, "quantity"],
                        f"Quantity exceeds the {eli.processable_quantity} processable",
                        "INVALID",
                    )
            for i, pl in enumerate(lines):
                where = ["input", "returnLineItems", str(i)]
                if pl.return_line_item not in ret.return_line_items:
                    raise fail([*where, "id"], "Return line item does not exist", "NOT_FOUND")
                if pl.quantity < 1 or pl.quantity > pl.return_line_item.processable_quantity:
                    raise fail(
                        [*where, "quantity"],
                        f"Quantity exceeds the {pl.return_line_item.processable_quantity} "
                        "processable",
                        "INVALID",
                    )
                if sum(q for _, q, _, _ in pl.dispositions) > pl.quantity:
                    raise fail([*where, "dispositions"], "Dispositions exceed quantity", "INVALID")
            refund_lines = []
            for pl in lines:
                rli = pl.return_line_item
                rli.processed_quantity += pl.quantity
                restocked = 0
                for rfoli, qty, kind, location in pl.dispositions:
                    rfoli.dispositions.append(
                        shop.add(
                            s.Disposition(
                                id=s.next_id(), quantity=qty, type=kind, location=location
                            )
                        )
                    )
                    if kind == "RESTOCKED" and rli.line_item.variant:
                        restocked += qty
                        where_to = location or shop.primary_location
                        level = rli.line_item.variant.inventory_item.level_at(where_to)
                        if level is not None:
                            level.quantities["available"] = (
                                level.quantities.get("available", 0) + qty
                            )
                refund_lines.append(
                    RefundLine(
                        line_item=rli.line_item,
                        quantity=pl.quantity,
                        restock_type="RETURN" if restocked else "NO_RESTOCK",
                    )
                )
            if refund_money is not None:
                self.refund(
                    shop,
                    ret.order,
                    lines=refund_lines,
                    money=refund_money,
                    shipping_amount=refund_shipping,
                    full_shipping=full_shipping,
                    note=note,
                    ret=ret,
                    # Dispositions above already put restocked units back.
                    restock_inventory=False,
                    path=["input"],
                )
                for pl in lines:
                    pl.return_line_item.refunded_quantity += pl.quantity
            if exchange:
                returned = sum(
                    (
                        pl.return_line_item.line_item.discounted_unit_price * pl.quantity
                        for pl in lines
                    ),
                    Decimal("0.00"),
                )
                refunded = sum((m.amount for m in refund_money or ()), Decimal("0.00"))
                self._add_exchange_items(shop, ret, exchange, credit=returned - refunded)
            ret.order.updated_at = self.clock.now()
            return ret

    def _add_exchange_items(
        self,
        shop: s.Shop,
        ret: s.Return,
        exchange: Sequence[tuple[s.ExchangeLineItem, int]],
        *,
        credit: Decimal,
    ) -> None:
        """Add processed exchange items to the order, one fulfillment order per location."""
        order, at = ret.order, self.clock.now()
        by_location: dict[s.Location, list[s.LineItem]] = {}
        value = Decimal("0.00")
        for eli, qty in exchange:
            variant = eli.variant
            line = shop.add(
                s.LineItem(
                    id=s.next_id(),
                    order=order,
                    variant=variant,
                    title=variant.product.title,
                    variant_title=None if variant.title == "Default Title" else variant.title,
                    sku=variant.sku,
                    vendor=variant.product.vendor,
                    quantity=qty,
                    unit_price=eli.unit_price,
                    discount_per_unit=eli.discount_per_unit,
                    grams=variant.grams,
                    exchange_line_item=eli,
                )
            )
            order.line_items.append(line)
            eli.line_items.append(line)
            eli.processed_quantity += qty
            value += eli.discounted_unit_price * qty
            location = _stock_location(variant, qty) or shop.primary_location
            level = variant.inventory_item.level_at(location)
            if level is not None:
                level.quantities["available"] = level.quantities.get("available", 0) - qty
                level.quantities["committed"] = level.quantities.get("committed", 0) + qty
            by_location.setdefault(location, []).append(line)
        owed = s.money(max(Decimal("0.00"), value - credit))
        ret.exchange_balance_due += owed
        for location, new_lines in by_location.items():
            fo = shop.add(
                s.FulfillmentOrder(
                    id=s.next_id(),
                    order=order,
                    location=location,
                    status="OPEN",
                    created_at=at,
                    updated_at=at,
                )
            )
            for line in new_lines:
                fo.line_items.append(
                    shop.add(
                        s.FulfillmentOrderLineItem(
                            id=s.next_id(),
                            line_item=line,
                            total_quantity=line.quantity,
                            remaining_quantity=line.quantity,
                        )
                    )
                )
            order.fulfillment_orders.append(fo)
            if owed > 0:
                # Only an exchange the buyer still owes money for waits for payment.
                self.hold_fulfillment_order(
                    shop, fo, reason="AWAITING_PAYMENT", notes=f"{owed} owed", at=at
                )
        order.updated_at = at
        self.emit(shop, "orders/updated", payloads.order(order))

    # -- store credit, gift cards, discounts -----------------------------------------------

    def credit_store_credit(
        self,
        shop: s.Shop,
        target: str,
        *,
        amount: Decimal,
        currency: str,
        expires_at: datetime | None = None,
    ) -> s.StoreCreditTransaction:
        with self.lock:
            now = self.clock.now()
            found = shop.find(target, s.Customer, s.StoreCreditAccount)
            kind = (s.parse_gid(target) or ("", 0))[0]
            if found is None:
                code = "ACCOUNT_NOT_FOUND" if kind == "StoreCreditAccount" else "OWNER_NOT_FOUND"
                raise fail(["id"], "Store credit account or owner does not exist", code)
            if amount <= 0:
                raise fail(
                    ["creditInput", "creditAmount", "amount"],
                    "A positive amount must be used to credit a store credit account",
                    "NEGATIVE_OR_ZERO_AMOUNT",
                )
            if expires_at is not None and expires_at <= now:
                raise fail(
                    ["creditInput", "expiresAt"],
                    "The expiry date must be in the future",
                    "EXPIRES_AT_IN_PAST",
                )
            if currency != shop.currency:
                raise fail(
                    ["creditInput", "creditAmount", "currencyCode"],
                    f"The currency {currency} is not enabled on this shop",
                    "UNSUPPORTED_CURRENCY",
                )
            if isinstance(found, s.StoreCreditAccount):
                account = found
                if account.currency != currency:
                    raise fail(
                        ["creditInput", "creditAmount", "currencyCode"],
                        "The currency does not match the account's currency",
                        "MISMATCHING_CURRENCY",
                    )
            else:
                account = next(
                    (a for a in found.store_credit_accounts if a.currency == currency), None
                )
                if account is None:
                    account = shop.add(
                        s.StoreCreditAccount(id=s.next_id(), customer=found, currency=currency)
                    )
                    found.store_credit_accounts.append(account)
            account.balance += s.money(amount)
            txn = shop.add(
                s.StoreCreditTransaction(
                    id=s.next_id(),
                    account=account,
                    amount=s.money(amount),
                    balance_after_transaction=account.balance,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            account.transactions.append(txn)
            return txn

    def create_gift_card(
        self,
        shop: s.Shop,
        *,
        initial_value: Decimal,
        code: str | None = None,
        customer: s.Customer | None = None,
        expires_on: date | None = None,
        note: str | None = None,
    ) -> s.GiftCard:
        with self.lock:
            if initial_value <= 0:
                raise fail(
                    ["input", "initialValue"],
                    "Initial value must be greater than 0",
                    "GREATER_THAN",
                )
            code = code or secrets.token_hex(8).upper()
            if not code.isalnum():
                raise fail(
                    ["input", "code"], "Code can only contain letters and numbers", "INVALID"
                )
            if len(code) < 8:
                raise fail(
                    ["input", "code"], "Code is too short (minimum is 8 characters)", "TOO_SHORT"
                )
            if len(code) > 20:
                raise fail(
                    ["input", "code"], "Code is too long (maximum is 20 characters)", "TOO_LONG"
                )
            if any(g.code.lower() == code.lower() for g in shop.gift_cards):
                raise fail(["input", "code"], "Code has already been taken", "TAKEN")
            card = shop.add(
                s.GiftCard(
                    id=s.next_id(),
                    code=code,
                    initial_value=s.money(initial_value),
                    balance=s.money(initial_value),
                    currency=shop.currency,
                    created_at=self.clock.now(),
                    customer=customer,
                    note=note,
                    expires_on=expires_on,
                )
            )
            shop.gift_cards.append(card)
            return card

    def create_discount_code(
        self,
        shop: s.Shop,
        *,
        code: str,
        title: str | None,
        percentage: float | None,
        starts_at: datetime | None,
        ends_at: datetime | None,
        usage_limit: int | None,
        applies_once_per_customer: bool,
        customer_ids: Sequence[str] = (),
    ) -> s.DiscountCodeNode:
        with self.lock:
            where = ["basicCodeDiscount"]
            if not code or not code.strip():
                raise fail([*where, "code"], "Code can't be blank", "BLANK")
            taken = any(d.code_discount.code.lower() == code.lower() for d in shop.discount_codes)
            if taken:
                raise fail(
                    [*where, "code"], "Code must be unique. Please try a different code.", "TAKEN"
                )
            if percentage is None or not 0 < percentage <= 1:
                raise fail(
                    [*where, "customerGets", "value", "percentage"],
                    "Value must be between 0.0 and 1.0",
                    "VALUE_OUTSIDE_RANGE",
                )
            starts = starts_at or self.clock.now()
            if ends_at is not None and ends_at <= starts:
                raise fail(
                    [*where, "endsAt"],
                    "Ends at needs to be after starts_at",
                    "END_DATE_BEFORE_START_DATE",
                )
            for i, customer_id in enumerate(customer_ids):
                if shop.find(customer_id, s.Customer) is None:
                    raise fail(
                        [*where, "context", "customers", "add", i],
                        "Customer does not exist",
                        "INVALID",
                    )
            node = shop.add(
                s.DiscountCodeNode(
                    id=s.next_id(),
                    code_discount=s.DiscountCodeBasic(
                        title=title or code,
                        code=code,
                        percentage=percentage,
                        starts_at=starts,
                        ends_at=ends_at,
                        usage_limit=usage_limit,
                        applies_once_per_customer=applies_once_per_customer,
                        customer_ids=list(customer_ids),
                        created_at=self.clock.now(),
                    ),
                )
            )
            shop.discount_codes.append(node)
            return node

    # -- order edits, tags, notes ----------------------------------------------------------

    def begin_edit(self, shop: s.Shop, order: s.Order) -> s.OrderEdit:
        with self.lock:
            if order.cancelled_at is not None:
                raise fail(["id"], "Cancelled orders can't be edited")
            return shop.add(s.OrderEdit(id=s.next_id(), session_id=s.next_id(), order=order))

    def find_edit(self, shop: s.Shop, edit_or_session_gid: str) -> s.OrderEdit | None:
        edit = shop.find(edit_or_session_gid, s.OrderEdit)
        if edit is not None:
            return edit
        return next(
            (
                e
                for e in shop.nodes.values()
                if isinstance(e, s.OrderEdit) and e.session_gid == edit_or_session_gid
            ),
            None,
        )

    def update_edit_shipping_line(
        self,
        edit: s.OrderEdit,
        calculated_line_gid: str,
        *,
        title: str | None,
        price: Decimal | None,
    ) -> s.OrderEdit:
        with self.lock:
            if edit.committed:
                raise fail(["id"], "The order edit has already been committed", "INVALID")
            parsed = s.parse_gid(calculated_line_gid)
            line = None
            if parsed and parsed[0] == "CalculatedShippingLine":
                line = next((sl for sl in edit.order.shipping_lines if sl.id == parsed[1]), None)
            if line is None or line.is_removed:
                raise fail(
                    ["shippingLineId"], "Shipping line does not exist on this edit", "INVALID"
                )
            if price is not None and price < 0:
                raise fail(
                    ["shippingLine", "price", "amount"], "Price can't be negative", "INVALID"
                )
            old_title, old_price = edit.staged_shipping.get(line.id, (line.title, line.price))
            edit.staged_shipping[line.id] = (
                title or old_title,
                s.money(price) if price is not None else old_price,
            )
            return edit

    def commit_edit(
        self, shop: s.Shop, edit: s.OrderEdit, *, staff_note: str | None = None
    ) -> s.Order:
        with self.lock:
            if edit.committed:
                raise fail(["id"], "The order edit has already been committed")
            order = edit.order
            for line in order.shipping_lines:
                if line.id in edit.staged_shipping:
                    line.title, line.price = edit.staged_shipping[line.id]
            edit.committed = True
            order.updated_at = self.clock.now()
            self.emit(shop, "orders/updated", payloads.order(order))
            return order

    def add_tags(self, shop: s.Shop, target: str, tags: Sequence[str]) -> s.Entity:
        with self.lock:
            found = shop.find(target, s.Order, s.Customer, s.Product)
            if found is None:
                raise fail(["id"], "Resource does not exist or is not taggable")
            cleaned = [t.strip() for t in tags if t and t.strip()]
            if not cleaned:
                raise fail(["tags"], "Tags can't be blank")
            for tag in cleaned:
                if tag not in found.tags:
                    found.tags.append(tag)
            if isinstance(found, s.Order):
                found.updated_at = self.clock.now()
                self.emit(shop, "orders/updated", payloads.order(found))
            return found

    def update_order(
        self,
        shop: s.Shop,
        order: s.Order,
        *,
        note: str | None = None,
        tags: Sequence[str] | None = None,
        email: str | None = None,
    ) -> s.Order:
        with self.lock:
            if note is not None:
                order.note = note
            if tags is not None:
                order.tags = list(tags)
            if email is not None:
                order.email = email
            order.updated_at = self.clock.now()
            self.emit(shop, "orders/updated", payloads.order(order))
            return order

    # -- webhook subscriptions -------------------------------------------------------------

    def create_subscription(
        self,
        shop: s.Shop,
        *,
        topic: str,
        uri: str,
        format_: str = "JSON",
        filter_: str | None = None,
        include_fields: Sequence[str] = (),
    ) -> s.WebhookSubscription:
        with self.lock:
            if not uri:
                raise fail(["webhookSubscription", "uri"], "Address can't be blank")
            local = uri.startswith(("http://127.0.0.1", "http://localhost"))
            if not (uri.startswith("https://") or local or uri.startswith(("pubsub://", "arn:"))):
                raise fail(
                    ["webhookSubscription", "uri"], "Address protocol http:// is not supported"
                )
            if any(w.topic == topic and w.uri == uri for w in shop.webhook_subscriptions):
                raise fail(
                    ["webhookSubscription", "uri"], "Address for this topic has already been taken"
                )
            sub = shop.add(
                s.WebhookSubscription(
                    id=s.next_id(),
                    topic=topic,
                    uri=uri,
                    created_at=self.clock.now(),
                    format=format_,
                    filter=filter_,
                    include_fields=list(include_fields),
                )
            )
            shop.webhook_subscriptions.append(sub)
            return sub

    def delete_subscription(self, shop: s.Shop, subscription_gid: str) -> str:
        with self.lock:
            sub = shop.find(subscription_gid, s.WebhookSubscription)
            if sub is None or sub not in shop.webhook_subscriptions:
                raise fail(["id"], "Webhook subscription does not exist")
            shop.webhook_subscriptions.remove(sub)
            del shop.nodes[sub.gid]
            return sub.gid


def _stock_location(variant: s.Variant, quantity: int) -> s.Location | None:
    """A location that can ship `quantity` of the variant (the first one listed wins)."""
    item = variant.inventory_item
    if not item.tracked:
        return item.inventory_levels[0].location if item.inventory_levels else None
    for level in item.inventory_levels:
        if level.location.is_active and level.quantities.get("available", 0) >= quantity:
            return level.location
    return None


def _qty(level: s.InventoryLevel | None, name: str) -> int:
    return level.quantities.get(name, 0) if level else 0


def _address(
    spec: dict[str, Any] | None,
    first_name: str | None,
    last_name: str | None,
    *,
    default_country: str = "US",
) -> s.Address:
    spec = dict(spec or {})
    return s.Address(
        first_name=spec.get("first_name", first_name),
        last_name=spec.get("last_name", last_name),
        address1=spec.get("address1", "1 Main Street"),
        address2=spec.get("address2"),
        city=spec.get("city", "New York"),
        province=spec.get(
            "province", "New York" if spec.get("country_code", default_country) == "US" else None
        ),
        province_code=spec.get(
            "province_code", "NY" if spec.get("country_code", default_country) == "US" else None
        ),
        zip=spec.get("zip", "10001"),
        country=spec.get("country"),
        country_code=spec.get("country_code", default_country),
        phone=spec.get("phone"),
        company=spec.get("company"),
    )


def _tracking_url(company: str | None, number: str) -> str:
    if company == "UPS":
        return f"https://www.ups.com/track?tracknum={number}"
    if company == "FedEx":
        return f"https://www.fedex.com/fedextrack/?trknbr={number}"
    return f"https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"


def _carrier_from_url(url: str | None) -> str | None:
    if not url:
        return None
    for host, name in (
        ("ups.com", "UPS"),
        ("usps.com", "USPS"),
        ("fedex.com", "FedEx"),
        ("dhl", "DHL"),
    ):
        if host in url:
            return name
    return None
