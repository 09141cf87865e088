"""The scheduled sweeps, in one place for the Lambda schedule and `make run`'s timer."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.domain.shops import Shop
from app.errors import HemlineError
from app.observability import logger
from app.services import backorders, delays, sla
from app.services.orders import ORDER_HOOKS
from app.services.proactive import ProactiveContext, SweepResult, run_due

if TYPE_CHECKING:
    from app.services.returns import ReturnsContext


def run_proactive(
    ctx: ProactiveContext, returns: ReturnsContext, now: datetime
) -> dict[str, dict[str, object]]:
    """New orders' hooks left undone, backorder notices, delayed-order compensation, RMA
    emails the mail sender failed on and the merchants' digests due by `now`.

    Each reads only its due items from GSI2; each is safe to run twice or concurrently.
    """
    from app.services import return_effects

    return {
        "order_hooks": sweep_order_hooks(ctx, now).as_dict(),
        "backorders": backorders.sweep(ctx, now).as_dict(),
        "delays": delays.sweep(ctx, now).as_dict(),
        "rma_emails": return_effects.send_due_emails(returns, now).as_dict(),
        "digests": sla.sweep_digests(ctx, now).as_dict(),
    }


def order_hooks(
    ctx: ProactiveContext, shop: Shop, order_id: int, locale: str | None = None
) -> None:
    """A new order: promise its delivery date (delay check) and look for backordered items.

    A failed backorder check schedules its own retry as due work and does not raise; a
    failure to schedule the delivery promise raises (the order's hooks stay due).
    """
    view = ctx.store.get_order(shop.domain, order_id)
    if view is None:
        return
    delays.schedule(ctx, shop, view)
    try:
        backorders.check_order(ctx, shop, order_id, locale=locale or view.order.customer_locale)
    except HemlineError as exc:
        logger.warning(
            "backorder check deferred to the sweep",
            extra={"shop": shop.domain, "order_id": order_id, "error": str(exc)},
        )


def sweep_order_hooks(ctx: ProactiveContext, now: datetime) -> SweepResult:
    """Run the hooks of orders whose worker died between storing them and running them."""

    def handle(work: Any, shop: Shop) -> bool:
        order_hooks(ctx, shop, int(work.ref))
        return True

    return run_due(ctx.store, ORDER_HOOKS, now, handle, metrics=ctx.metrics)
