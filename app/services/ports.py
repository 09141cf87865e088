"""The ports services depend on, as small Protocols (real adapters and fakes implement them)."""

from __future__ import annotations

from typing import Protocol


class WebhookQueue(Protocol):
    def enqueue(self, shop: str, webhook_id: str) -> None:
        """Hand a stored delivery to the worker; raises UpstreamError if it could not be queued."""
        ...
