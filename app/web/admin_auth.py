"""Authentication of the embedded admin: Shopify session tokens on every request.

App Bridge sends the token as `Authorization: Bearer <jwt>` on fetches and as
`id_token` in the query when Shopify loads the app. Admin responses may be
framed only by the shop's admin (Content-Security-Policy: frame-ancestors).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, jsonify, request

from app.session_tokens import InvalidSessionToken, SessionToken, verify_session_token

F = TypeVar("F", bound=Callable[..., Any])


def session_token_from_request() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return request.args.get("id_token", "")


def frame_ancestors(shop: str | None) -> str:
    sources = ["https://admin.shopify.com"]
    if shop:
        sources.insert(0, f"https://{shop}")
    return "frame-ancestors " + " ".join(sources) + ";"


def require_session_token(view: F) -> F:
    """Verify the session token before the view reads or stores anything; 401 otherwise.

    The verified shop is `g.shop`, the token `g.session`. A valid token for a
    shop that has no offline token yet installs it through token exchange.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        c = current_app.extensions["hemline"]
        try:
            session: SessionToken = verify_session_token(
                session_token_from_request(),
                api_key=c.settings.shopify_api_key,
                secrets=c.settings.webhook_secrets,
            )
        except InvalidSessionToken as exc:
            response = jsonify(
                {"error": "unauthorized", "message": f"{exc}: sign in again from the Shopify admin"}
            )
            response.status_code = 401
            # Tells App Bridge to fetch a fresh session token and retry.
            response.headers["X-Shopify-Retry-Invalid-Session-Request"] = "1"
            return response
        shop = c.store.get_shop(session.shop)
        if shop is None or not shop.is_installed or c.store.get_tokens(session.shop) is None:
            c.install_with_session_token(session)
        g.shop = session.shop
        g.session = session
        result = current_app.make_response(view(*args, **kwargs))
        result.headers["Content-Security-Policy"] = frame_ancestors(session.shop)
        return result

    return wrapper  # type: ignore[return-value]
