"""Lambda entry points for scheduled work (Zappa `events`, EventBridge schedules).

Each is a one-liner over a service; safe to run twice or concurrently, since
every write underneath is conditional or idempotent.
"""

from __future__ import annotations

from typing import Any

from app.container import get_container
from app.observability import logger, trace_lambda_handler
from app.services import sweeps


@logger.inject_lambda_context(clear_state=True)
@trace_lambda_handler
def reconcile(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Daily: re-create lost webhook subscriptions, catch up missed orders, schedule digests."""
    return get_container().reconcile()


@logger.inject_lambda_context(clear_state=True)
@trace_lambda_handler
def proactive(event: dict[str, Any], context: Any) -> dict[str, dict[str, object]]:
    """Every 15 minutes: backorder notices, late-order upgrades and credits, RMA emails to
    send again, daily digests."""
    c = get_container()
    return sweeps.run_proactive(c.proactive_context(), c.returns_context(), c.clock.now())
