"""/auth and /auth/callback: installing Hemline through Shopify's OAuth grant."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request

from app.errors import InvalidInput, NotAllowed, UpstreamError
from app.observability import logger

bp = Blueprint("auth", __name__)
STATE_COOKIE = "hemline_oauth_state"


def _error(status: int, title: str, message: str, code: str, shop: str | None = None) -> Any:
    retry = f"/auth?shop={shop}" if shop else None
    return render_template(
        "auth/error.html", title=title, message=message, code=code, retry_url=retry
    ), status


@bp.get("/auth")
def start() -> Any:
    from app.services import install

    c = current_app.extensions["hemline"]
    try:
        begun = install.begin_install(
            request.args.get("shop"),
            store=c.store,
            oauth=c.oauth,
            clock=c.clock,
            scopes=c.settings.shopify_scopes,
            app_url=c.settings.app_url,
        )
    except InvalidInput:
        return _error(
            400,
            "That is not a Shopify store address",
            "Open Hemline from your Shopify admin, or use your store's address ending in .myshopify.com.",
            "invalid-shop",
        )
    response = make_response(redirect(begun.redirect_url))
    # Lax: the callback is a top-level navigation back from Shopify, which carries it.
    response.set_cookie(
        STATE_COOKIE,
        begun.state,
        max_age=int(install.STATE_TTL.total_seconds()),
        httponly=True,
        secure=not c.settings.is_local,
        samesite="Lax",
        path="/auth",
    )
    return response


@bp.get("/auth/callback")
def callback() -> Any:
    from app.services import install

    c = current_app.extensions["hemline"]
    params = {k: v for k, v in request.args.items()}
    shop = params.get("shop") if isinstance(params.get("shop"), str) else None
    try:
        shop = install.complete_install(
            params,
            request.cookies.get(STATE_COOKIE),
            api_secret=c.settings.shopify_api_secret,
            required_scopes=c.settings.shopify_scopes,
            app_url=c.settings.app_url,
            store=c.store,
            oauth=c.oauth,
            tokens=c.tokens,
            setup=c.shop_setup,
            clock=c.clock,
        )
    except InvalidInput as exc:
        logger.warning("install callback refused", extra={"field": exc.field})
        return _error(
            400,
            "This install link can't be used",
            "It was already used, has expired, or didn't come from Shopify. Start the install again from your Shopify admin.",
            f"install-{exc.field}",
            shop if shop and install.is_shop_domain(shop) else None,
        )
    except NotAllowed as exc:
        return _error(
            403,
            "Hemline needs more permissions",
            str(exc) + ". Approve all requested permissions to install.",
            "install-scopes",
            shop,
        )
    except UpstreamError:
        logger.exception("install could not finish", extra={"shop": shop})
        return _error(
            502,
            "Hemline couldn't finish installing",
            "Shopify didn't answer in time while we set up your store. Nothing is half-done: start the install again.",
            "install-upstream",
            shop if shop and install.is_shop_domain(shop) else None,
        )
    response = make_response(redirect(c.admin_landing_url(shop)))
    response.delete_cookie(STATE_COOKIE, path="/auth")
    return response
