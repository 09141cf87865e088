"""The scheduled sweeps, in one place for the Lambda schedule and `make run`'s timer."""

from __future__ import annotations

from datetime import datetime

from app.services import backorders, delays, sla
from app.services.proactive import ProactiveContext


def run_proactive(ctx: ProactiveContext, now: datetime) -> dict[str, dict[str, object]]:
    """Backorder notices, delayed-order compensation and the merchants' digests due by `now`.

    Each reads only its due items from GSI2; each is safe to run twice or concurrently.
    """
    return {
        "backorders": backorders.sweep(ctx, now).as_dict(),
        "delays": delays.sweep(ctx, now).as_dict(),
        "digests": sla.sweep_digests(ctx, now).as_dict(),
    }
