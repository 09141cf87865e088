"""The label provider port, and the one error refinement a buyer needs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from app.adapters.labels.types import Label, LabelRequest
from app.errors import UpstreamError


class NothingBought(UpstreamError):
    """The provider failed before anything was bought, so the purchase may start afresh.

    Raised for refusals (4xx) and for failures before the purchase call; a
    failure of the purchase call itself (5xx, timeout) stays a plain
    UpstreamError, because the label may or may not have been bought.
    """


class LabelProvider(Protocol):
    name: str

    def buy_return_label(self, req: LabelRequest) -> Label:
        """Buy (or make) a return label under `req.reference`; raises UpstreamError, NothingBought."""
        ...

    def find_by_reference(self, reference: str, *, since: datetime | None = None) -> Label | None:
        """The label bought under `reference` (not before `since`, when given), or None if
        certainly none was; raises UpstreamError when it cannot tell."""
        ...
