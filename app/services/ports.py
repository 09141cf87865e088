"""The ports services depend on, as small Protocols (real adapters and fakes implement them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.clock import Clock

if TYPE_CHECKING:
    from app.adapters.dynamo.store import DynamoStore
    from app.adapters.files import FileStore
    from app.domain.orders import Fulfillment, OrderSnapshot, Refund
    from app.domain.rma import Rma
    from app.domain.shops import Shop

# An order as the Admin API has it now (richer than a webhook body), or None
# when the shop cannot be asked (not installed).
OrderSource = Callable[[str, int], "tuple[OrderSnapshot, list[Fulfillment], list[Refund]] | None"]


class WebhookQueue(Protocol):
    def enqueue(self, shop: str, key: str) -> None:
        """Hand the delivery stored under `key` to the worker; raises UpstreamError if it
        could not be queued."""
        ...


@dataclass(frozen=True)
class HandlerDeps:
    """What webhook topic handlers need."""

    store: DynamoStore
    clock: Clock
    order_source: OrderSource | None = None
    # Called with each newly shipped fulfillment (exchange items going out).
    on_shipment: Callable[[str, Fulfillment], object] | None = None
    # Called with each newly stored order of an installed shop (backorder checks,
    # delivery promises).
    on_order: Callable[[Shop, OrderSnapshot], object] | None = None
    on_return_refunded: Callable[[str, Rma], object] | None = None
    # Called with a stock change of an inventory item (backordered orders waiting on it).
    on_inventory: Callable[[str, int], object] | None = None
    # Labels and photos, which the compliance topics erase with the data they belong to.
    files: FileStore | None = None
