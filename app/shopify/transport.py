"""Sends one GraphQL request over HTTP with the ShopifyAPI package.

ShopifyAPI keeps its active session in class attributes shared by the whole
process (`ShopifyResource.site`, `.headers`), so concurrent threads must not
each activate their own session and then send. This transport activates a
session only under a module lock, builds a `shopify.GraphQL` (which captures
the endpoint and headers), copies those and clears the session before
releasing the lock; the HTTP call itself then runs outside the lock, so
threads for different shops never see each other's token or host.

`shopify.GraphQL.execute` has no timeout and prints error bodies to stdout,
and the client needs the HTTP status and Retry-After, so the request itself
is sent here with urllib (the same library the package uses).

ShopifyAPI (with pyactiveresource and PyYAML) is imported on the first Admin
API call, not with this module: a Lambda that only acknowledges webhooks never
pays for it at cold start.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlsplit

_SESSION_LOCK = threading.Lock()
_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportError(Exception):
    """No HTTP answer. `sent` is False only when the request surely never reached Shopify."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class GraphQLTransport(Protocol):
    """POSTs a GraphQL document to one shop's Admin endpoint."""

    def post(
        self, query: str, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> HttpResponse:
        """The HTTP answer, whatever its status; raises TransportError when there is none."""
        ...


class _GraphQLSender(Protocol):
    def send(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        timeout: float,
    ) -> HttpResponse: ...


@cache
def _detached_graphql_class() -> type[Any]:
    import shopify

    class _DetachedGraphQL(shopify.GraphQL):
        """shopify.GraphQL whose endpoint and headers no longer follow the active session."""

        def __init__(self) -> None:
            super().__init__()
            # The package hands out the thread's live header dict; keep a private copy.
            self.headers = dict(self.headers)

        def send(
            self,
            query: str,
            variables: Mapping[str, Any] | None,
            operation_name: str | None,
            timeout: float,
        ) -> HttpResponse:
            headers = self.merge_headers(
                {"Accept": "application/json", "Content-Type": "application/json"}, self.headers
            )
            payload = {
                "query": query,
                "variables": dict(variables or {}),
                "operationName": operation_name,
            }
            request = urllib.request.Request(  # noqa: S310 - the endpoint is https://<shop> or the configured simulator
                self.endpoint, json.dumps(payload).encode(), headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    return HttpResponse(response.status, dict(response.headers), response.read())
            except urllib.error.HTTPError as exc:
                with exc:
                    return HttpResponse(exc.code, dict(exc.headers or {}), exc.read())
            except urllib.error.URLError as exc:
                refused = isinstance(exc.reason, (ConnectionRefusedError, socket.gaierror))
                raise TransportError(f"{self.endpoint}: {exc.reason}", sent=not refused) from exc
            except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
                raise TransportError(f"{self.endpoint}: {exc!r}", sent=True) from exc

    return _DetachedGraphQL


class ShopifyApiTransport:
    """GraphQLTransport for one shop and token, built on shopify.Session and shopify.GraphQL.

    `base_url` replaces https://<shop> (e.g. the dev-store simulator's
    http://127.0.0.1:PORT/shops/<shop>); the session's protocol and host are
    set on the session instance, never on the shared `shopify.Session` class.
    """

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        api_version: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not _SHOP_DOMAIN.match(shop_domain):
            raise ValueError(f"{shop_domain!r} is not a *.myshopify.com domain")
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.timeout = timeout
        self._access_token = access_token
        self._base_url = base_url

    def post(
        self, query: str, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> HttpResponse:
        return self._graphql().send(query, variables, operation_name, self.timeout)

    def _graphql(self) -> _GraphQLSender:
        import shopify

        detached = _detached_graphql_class()
        session = shopify.Session(self.shop_domain, self.api_version, self._access_token)
        if self._base_url:
            parts = urlsplit(self._base_url)
            session.protocol = parts.scheme
            session.url = parts.netloc + parts.path.rstrip("/")
        with _SESSION_LOCK:
            shopify.ShopifyResource.activate_session(session)
            try:
                return detached()
            finally:
                shopify.ShopifyResource.clear_session()
