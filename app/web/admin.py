"""The merchant's embedded admin pages (the returns desk grows here)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

import policies
from app.domain.shops import ensure_shop_domain
from app.errors import InvalidInput
from app.web.admin_auth import require_session_page

bp = Blueprint("admin", __name__, url_prefix="/admin")
DEV_TOKEN_TTL_S = 8 * 3600


@bp.get("")
@require_session_page
def home() -> Any:
    c = current_app.extensions["hemline"]
    shop = c.store.get_shop(g.shop)
    policy = policies.load_preset(shop.policy_preset)
    return render_template(
        "admin/home.html",
        shop=shop,
        policy_text=policies.explain(policy),
        local=c.settings.is_local,
        api_key=c.settings.shopify_api_key,
    )


@bp.post("/dev-sign-in")
def dev_sign_in() -> Any:
    """Local mode only: mint a session token as App Bridge would, signed with the app's secret."""
    c = current_app.extensions["hemline"]
    if not c.settings.is_local:
        abort(404)
    try:
        shop = ensure_shop_domain(request.form.get("shop"), "shop")
    except InvalidInput:
        abort(400)
    role = request.form.get("role", "owner")
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": f"https://{shop}/admin",
            "dest": f"https://{shop}",
            "aud": c.settings.shopify_api_key,
            "sub": f"local-{role}",
            "exp": now + DEV_TOKEN_TTL_S,
            "nbf": now - 1,
            "iat": now,
            "jti": f"local-{now}",
            "sid": f"local-{role}",
        },
        c.settings.shopify_api_secret,
        algorithm="HS256",
    )
    return redirect(url_for("admin.home", shop=shop, id_token=token))
