"""The merchant's backorders page: notices sent and each customer's choice, and the
expected restock dates Hemline tells customers (Shopify no longer schedules them)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from app import i18n
from app.errors import InvalidInput, UpstreamError
from app.web.admin import desk_context, field_message
from app.web.admin_auth import require_session_page, session_token_from_request

bp = Blueprint("admin_backorders", __name__, url_prefix="/admin")

DONE = {
    "saved": "Expected restock date saved. New backorder notices for this item show it.",
    "cleared": "Expected restock date cleared. New notices say the ship date is not known yet.",
}


def _render(status: int = 200, errors: dict[str, str] | None = None, form: Any = None) -> Any:
    from app.services import backorders

    ctx = desk_context()
    proactive = current_app.extensions["hemline"].proactive_context()
    shop = ctx["shop"]
    policy = proactive.policy_for(shop)
    return (
        render_template(
            "admin/backorders.html",
            rows=backorders.list_notices(proactive, shop),
            restocks=backorders.list_restock_dates(proactive, shop),
            rules=policy.backorders,
            dispatch_days=policy.fulfillment.dispatch_business_days,
            success=DONE.get(request.args.get("done", "")) if request.method == "GET" else None,
            errors=errors or {},
            form=form or {},
            fmt_date=lambda day: i18n.format_date(day) if day else "",
            money=lambda amount, currency: i18n.format_money(amount, currency),
            **ctx,
        ),
        status,
    )


@bp.get("/backorders")
@require_session_page
def backorders_page() -> Any:
    """Notices sent, what each customer chose, and the restock dates in use."""
    return _render()


@bp.post("/backorders/restock")
@require_session_page
def set_restock() -> Any:
    """Set or clear a variant's expected restock date (every staff role may)."""
    from app.services import backorders

    ctx = current_app.extensions["hemline"].proactive_context()
    shop = desk_context()["shop"]
    form = {k: request.form.get(k, "") for k in ("variant_id", "expected_on")}
    clear = request.form.get("clear") == "1"
    try:
        if not clear and not form["expected_on"].strip():
            raise InvalidInput("enter a date, or clear the date instead", "expected_on")
        saved = backorders.set_restock_date(
            ctx,
            shop,
            variant_id=form["variant_id"],
            expected_on="" if clear else form["expected_on"],
            actor=f"staff:{g.session.user_id or 'unknown'}",
        )
    except InvalidInput as exc:
        return _render(422, {exc.field or "expected_on": field_message(exc)}, form)
    except UpstreamError:
        return _render(
            503,
            {"form": "Shopify could not be reached to check the variant. Try again shortly."},
            form,
        )
    return redirect(
        url_for(
            "admin_backorders.backorders_page",
            done="saved" if saved["expected_on"] else "cleared",
            shop=g.shop,
            id_token=session_token_from_request(),
        ),
        code=303,
    )
