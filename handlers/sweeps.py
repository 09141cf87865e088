"""Lambda entry points for scheduled work (Zappa `events`, EventBridge schedules).

Each is a one-liner over a service; safe to run twice or concurrently, since
every write underneath is conditional or idempotent.
"""

from __future__ import annotations

from typing import Any

from app.container import get_container
from app.observability import logger
from app.services import sync


@logger.inject_lambda_context(clear_state=True)
def reconcile(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Daily: re-create lost webhook subscriptions and catch up orders for every installed shop."""
    c = get_container()
    return sync.reconcile_shops(
        store=c.store,
        setup=c.shop_setup,
        admin_for=c.admin_for,
        clock=c.clock,
        app_url=c.settings.app_url,
    )
