"""Authentication of the embedded admin: Shopify session tokens on every request.

App Bridge sends the token as `Authorization: Bearer <jwt>` on fetches and as
`id_token` in the query when Shopify loads the app. Admin responses may be
framed only by the shop's admin (Content-Security-Policy: frame-ancestors).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, g, jsonify, render_template, request

from app.domain.shops import SHOP_DOMAIN_RE

if TYPE_CHECKING:
    from app.session_tokens import SessionToken

F = TypeVar("F", bound=Callable[..., Any])


def session_token_from_request() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    # Admin page forms carry the token as a hidden field (App Bridge refreshes it on submit).
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        field = request.form.get("id_token", "")
        if field:
            return field
    return request.args.get("id_token", "")


def frame_ancestors(shop: str | None) -> str:
    sources = ["https://admin.shopify.com"]
    if shop:
        sources.insert(0, f"https://{shop}")
    return "frame-ancestors " + " ".join(sources) + ";"


def require_session_token(view: F) -> F:
    """For the JSON API: verify the session token before anything is read; 401 otherwise."""
    return _guard(view, page=False)


def require_session_page(view: F) -> F:
    """For admin pages: as require_session_token, but a missing token gets a sign-in page."""
    return _guard(view, page=True)


def _unauthenticated_page(reason: str) -> Any:
    c = current_app.extensions["hemline"]
    shop = request.args.get("shop", "")
    body = render_template(
        "admin/sign_in.html",
        local=c.settings.is_local,
        shop=shop if SHOP_DOMAIN_RE.match(shop) else "",
        api_key=c.settings.shopify_api_key,
        reason=reason,
    )
    response = current_app.make_response((body, 401))
    response.headers["Content-Security-Policy"] = frame_ancestors(
        shop if SHOP_DOMAIN_RE.match(shop) else None
    )
    return response


def _guard(view: F, *, page: bool) -> F:
    """Verify the session token; the verified shop is `g.shop`, the token `g.session`.

    A valid token for a shop that has no offline token yet installs it through
    token exchange (Shopify-managed install).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported on the first admin request: webhooks and the portal never verify one.
        from app.session_tokens import InvalidSessionToken, verify_session_token

        c = current_app.extensions["hemline"]
        try:
            session: SessionToken = verify_session_token(
                session_token_from_request(),
                api_key=c.settings.shopify_api_key,
                secrets=c.settings.webhook_secrets,
            )
        except InvalidSessionToken as exc:
            if page:
                return _unauthenticated_page(str(exc))
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
