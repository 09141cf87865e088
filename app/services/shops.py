"""Shop lifecycle handlers: uninstall (and, with OAuth, install)."""

from __future__ import annotations

from typing import Any

from app.adapters.dynamo.store import DynamoStore
from app.clock import Clock
from app.observability import logger


def uninstall_shop(store: DynamoStore, clock: Clock, shop: str, payload: dict[str, Any]) -> None:
    """app/uninstalled: the body is the shop object; the shop is named only in the header."""
    if store.mark_uninstalled(shop, clock.now()):
        logger.info("shop uninstalled; tokens dropped", extra={"shop": shop})
    else:
        logger.info("uninstall for a shop we do not know", extra={"shop": shop})
