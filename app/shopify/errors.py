"""Errors raised by the Shopify adapter; each says whether retrying later may help.

They map onto the app's taxonomy as UpstreamError(retryable): a handler
retries (or lets the queue retry) a retryable one and parks the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class ShopifyError(Exception):
    """Base class; `retryable` tells the caller whether the same call may succeed later."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class ShopifyAuthError(ShopifyError):
    """401/403: the access token is missing, expired or revoked (refresh it or reinstall)."""


class ShopifyGraphQLError(ShopifyError):
    """Top-level GraphQL `errors` (document rejected, cost too high, unknown version...)."""

    def __init__(
        self, message: str, errors: Sequence[Mapping[str, Any]] = (), *, retryable: bool = False
    ):
        super().__init__(message, retryable=retryable)
        self.errors = [dict(e) for e in errors]

    @property
    def codes(self) -> list[str]:
        return [str((e.get("extensions") or {}).get("code")) for e in self.errors]


@dataclass(frozen=True)
class UserErrorDetail:
    """One entry of a mutation's `userErrors`: the input path, message and code."""

    field: tuple[str, ...]
    message: str
    code: str | None = None


class ShopifyUserError(ShopifyError):
    """The mutation's `userErrors`: Shopify rejected the input and changed nothing."""

    def __init__(self, operation: str, details: Sequence[UserErrorDetail]) -> None:
        summary = "; ".join(f"{'.'.join(d.field) or '(input)'}: {d.message}" for d in details)
        super().__init__(f"{operation} rejected: {summary}", retryable=False)
        self.operation = operation
        self.details = tuple(details)


class ShopifyThrottledError(ShopifyError):
    """Still throttled after waiting the allowed number of times."""

    retryable = True


class ShopifyUnavailableError(ShopifyError):
    """429, 5xx or network failures outlasted the retries; nothing is known to have applied."""

    retryable = True


class ShopifyOutcomeUnknownError(ShopifyError):
    """A non-idempotent mutation failed after it was sent (5xx, timeout, dropped connection).

    It may have applied, so the client did not repeat it: the caller must read
    the state back (e.g. the order's refunds) before deciding what to do.
    """

    retryable = False
