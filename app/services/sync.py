"""Repairs for lost webhooks: subscription reconciliation and order catch-up.

Shopify deletes a subscription after repeated failed deliveries, and any
delivery can be lost. Daily, for every installed shop: re-create missing
subscriptions, then fetch the orders updated since the last catch-up and
store them exactly as webhooks would (the same idempotent, newest-wins writes),
so a lost delivery is repaired within a day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.adapters.dynamo.store import CREATED, DynamoStore
from app.adapters.shopify_admin import admin_order_to_snapshot
from app.clock import Clock
from app.domain.orders import OrderSnapshot
from app.domain.shops import Shop
from app.errors import HemlineError
from app.observability import logger
from app.services.install import ShopSetup
from app.services.orders import order_hooks_due, run_order_hooks
from app.services.webhooks import API_SUBSCRIBED_TOPICS
from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyError

FIRST_IMPORT = timedelta(days=90)  # the longest return window in the presets
OVERLAP = timedelta(minutes=10)  # Shopify's updated_at and our clock may disagree a little


@dataclass(frozen=True)
class CatchUpResult:
    orders_seen: int
    orders_written: int


OnOrder = Callable[[Shop, OrderSnapshot], object]


def catch_up_orders(
    shop: str,
    *,
    store: DynamoStore,
    admin: AdminClient,
    clock: Clock,
    page_size: int = 50,
    on_order: OnOrder | None = None,
) -> CatchUpResult:
    """Store every order updated since the watermark (or the last 90 days the first time)."""
    started = clock.now()
    known = store.get_shop(shop)
    mark = store.get_catchup_watermark(shop)
    since = datetime.fromisoformat(mark) - OVERLAP if mark else started - FIRST_IMPORT
    seen = written = 0
    after = None
    while True:
        page = admin.orders_updated_since(since, first=page_size, after=after)
        for header in page.orders:
            order = admin.get_order(header.id)
            if order is None:
                continue
            seen += 1
            snapshot, fulfillments, refunds = admin_order_to_snapshot(order)
            month = known.month_of(snapshot.created_at) if known else None
            hooked = on_order is not None and known is not None
            saved = store.save_order(
                shop,
                snapshot,
                stats_month=month,
                due_on_creation=order_hooks_due(clock) if hooked else None,
            )
            written += bool(saved)
            for f in fulfillments:
                store.save_fulfillment(shop, f)
            for r in refunds:
                store.save_refund(shop, r)
            if saved == CREATED and on_order is not None and known is not None:
                # An order the webhooks missed gets what orders/create would have given it,
                # once its shipments and refunds are stored too.
                run_order_hooks(store, on_order, known, snapshot)
        if not page.has_next_page:
            break
        after = page.end_cursor
    store.set_catchup_watermark(shop, started.astimezone(UTC).isoformat())
    logger.info(
        "orders caught up", extra={"shop": shop, "orders_seen": seen, "orders_written": written}
    )
    return CatchUpResult(seen, written)


def reconcile_shops(
    *,
    store: DynamoStore,
    setup: ShopSetup,
    admin_for: Callable[[str], AdminClient],
    clock: Clock,
    app_url: str,
    on_order: OnOrder | None = None,
    on_shop: Callable[[str], object] | None = None,
) -> dict[str, str]:
    """For every installed shop: re-create lost subscriptions, then catch up orders.

    A failing shop is logged and skipped so one merchant cannot stop the others;
    returns the outcome per shop.
    """
    outcomes = {}
    for shop in store.list_shop_domains("installed"):
        try:
            created = setup.ensure_webhook_subscriptions(
                shop, f"{app_url}/webhooks", API_SUBSCRIBED_TOPICS
            )
            result = catch_up_orders(
                shop, store=store, admin=admin_for(shop), clock=clock, on_order=on_order
            )
            if on_shop is not None:
                on_shop(shop)
            outcomes[shop] = (
                f"ok: {len(created)} subscriptions re-created, {result.orders_written} orders updated"
            )
        except (HemlineError, ShopifyError) as exc:
            logger.warning(
                "reconciliation failed for shop", extra={"shop": shop, "error": type(exc).__name__}
            )
            outcomes[shop] = f"failed: {type(exc).__name__}"
    return outcomes
