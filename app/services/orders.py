"""Topic handlers that keep Hemline's copy of an order current.

Out-of-order delivery is the norm: fulfillments and refunds are stored under
their order's key even before the order itself arrives, and reading the order
joins them, so nothing that came early is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from app.adapters.dynamo.codec import epoch_ms
from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.dynamo.store import CREATED, DynamoStore
from app.clock import Clock
from app.domain.orders import OrderSnapshot, parse_fulfillment, parse_order, parse_refund
from app.domain.shops import Shop
from app.errors import InvalidInput
from app.observability import logger
from app.services.ports import HandlerDeps
from app.services.returns import reconcile_external_refund

# Due work written with a new order: its hooks (delivery promise, backorder check). Done
# inline right away; the sweep runs them only when the worker died before they finished.
ORDER_HOOKS = "order_hooks"
ORDER_HOOKS_GRACE = timedelta(minutes=10)


def order_hooks_due(clock: Clock) -> tuple[str, datetime]:
    """The due work `save_order(due_on_creation=...)` writes with a new order."""
    return ORDER_HOOKS, clock.now() + ORDER_HOOKS_GRACE


def run_order_hooks(
    store: DynamoStore,
    on_order: Callable[[Shop, OrderSnapshot], object],
    shop: Shop,
    order: OrderSnapshot,
) -> None:
    """Run a new order's hooks, then drop the due work that stood in for them."""
    on_order(shop, order)
    store.delete_due(shop.domain, ORDER_HOOKS, str(order.id))


def apply_order(deps: HandlerDeps, shop: str, payload: dict[str, Any]) -> None:
    """orders/create, orders/updated: store the snapshot unless a newer one is stored.

    The webhook body lacks what final-sale rules need (compare-at price,
    product type and tags), so the order is read once from the Admin API and
    that richer snapshot is stored; a shop that cannot be asked keeps the body's.
    """
    order = parse_order(payload)
    store = deps.store
    stored = store.order_version(shop, order.id)
    if stored is not None and stored >= epoch_ms(order.updated_at):
        # What is stored is as new as this event or newer (an earlier event's Admin read
        # already saw this change): no news, and no Admin read spent on it.
        logger.info("older order snapshot ignored", extra={"shop": shop, "order_id": order.id})
        return
    fresh = deps.order_source(shop, order.id) if deps.order_source else None
    if fresh is not None:
        # The Admin API's order is richer, but only the webhook says the customer's language.
        locale = order.customer_locale
        order, fulfillments, refunds = fresh
        order = replace(order, customer_locale=order.customer_locale or locale)
        for f in fulfillments:
            store.save_fulfillment(shop, f)
        for r in refunds:
            store.save_refund(shop, r)
    known = store.get_shop(shop)
    month = known.month_of(order.created_at) if known else None
    hooked = deps.on_order is not None and known is not None and known.is_installed
    saved = store.save_order(
        shop,
        order,
        stats_month=month,
        # Written with the order: if this worker dies before the hooks ran, a retry of the
        # webhook finds the order already stored, and the sweep runs them instead.
        due_on_creation=order_hooks_due(deps.clock) if hooked else None,
    )
    if saved:
        logger.info(
            "order stored",
            extra={"shop": shop, "order_id": order.id, "enriched": fresh is not None},
        )
        if saved == CREATED and hooked:
            run_order_hooks(store, deps.on_order, known, order)  # type: ignore[arg-type]
    else:
        logger.info("older order snapshot ignored", extra={"shop": shop, "order_id": order.id})


def apply_fulfillment(deps: HandlerDeps, shop: str, payload: dict[str, Any]) -> None:
    """fulfillments/create, fulfillments/update: shipped and delivered times, tracking.

    A new shipment may carry a return's exchange items; the customer hears of
    it once (the hook's email is sent once per RMA, so redeliveries are safe).
    """
    fulfillment = parse_fulfillment(payload)
    stored = deps.store.save_fulfillment(shop, fulfillment)
    logger.info(
        "fulfillment stored" if stored else "older fulfillment update ignored",
        extra={"shop": shop, "order_id": fulfillment.order_id, "fulfillment_id": fulfillment.id},
    )
    if stored and deps.on_shipment is not None:
        deps.on_shipment(shop, fulfillment)


def apply_refund(deps: HandlerDeps, shop: str, payload: dict[str, Any]) -> None:
    """refunds/create: record refunded lines and money against the order, once; settle its RMA."""
    store = deps.store
    refund = parse_refund(payload)
    stored = store.save_refund(shop, refund)
    if stored:
        settled = reconcile_external_refund(store, DynamoLedger(store), deps.clock, shop, refund)
        for rma in settled:
            # The customer hears of the refund once, whoever settled the return first.
            if deps.on_return_refunded is not None:
                deps.on_return_refunded(shop, rma)
    logger.info(
        "refund recorded" if stored else "refund already recorded",
        extra={"shop": shop, "order_id": refund.order_id, "refund_id": refund.id},
    )


def apply_inventory_level(deps: HandlerDeps, shop: str, payload: dict[str, Any]) -> None:
    """inventory_levels/update: stock moved; orders waiting on that item are checked again."""
    item_id = payload.get("inventory_item_id")
    if not isinstance(item_id, int) or isinstance(item_id, bool) or item_id <= 0:
        raise InvalidInput("must be a positive whole number", "inventory_item_id")
    if deps.on_inventory is not None:
        deps.on_inventory(shop, item_id)
