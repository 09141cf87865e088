"""The merchant's embedded admin pages (the returns desk grows here)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

import policies
from app.domain import rma as rmas
from app.domain.rma import Rma
from app.domain.shops import ensure_shop_domain
from app.errors import Conflict, InvalidInput, NotAllowed, UpstreamError
from app.i18n_portal import PORTAL, label
from app.web.admin_auth import require_session_page, session_token_from_request
from app.web.desk import (
    ACTIONS,
    current_role,
    current_shop,
    find_rma,
    parse_limit,
    rma_json,
    rma_summary,
    run_action,
    search_rmas,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
DEV_TOKEN_TTL_S = 8 * 3600


@bp.get("")
@require_session_page
def home() -> Any:
    """The shop, what needs attention now (past the policy's deadlines) and the policy."""
    from app.services import sla

    # Through eligibility, which imports it: see app/web/admin_policy.py.
    from app.services.eligibility import policy_settings

    c = current_app.extensions["hemline"]
    ctx = desk_context()
    policy = policy_settings.policy_for(ctx["shop"])
    return render_template(
        "admin/home.html",
        policy_text=policies.explain(policy),
        overdue=sla.overdue(c.store, ctx["shop"], policy, c.clock.now()),
        **ctx,
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
    import jwt  # local sign-in only

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


# -- the returns desk ----------------------------------------------------------------------

# The queue's tabs, in the order a return moves through them.
QUEUE_TABS = (
    "requested",
    "approved",
    "label_issued",
    "in_transit",
    "received",
    "refunded",
    "credited",
    "exchanged",
    "declined",
    "cancelled",
)
# What a returned item can arrive as (the portal's condition codes).
CONDITIONS = tuple(k.split(".", 1)[1] for k in PORTAL["en"] if k.startswith("condition."))
# The success banner after each action (`?done=<key>`).
DONE = {
    "approved": "Return approved. The customer was emailed their label.",
    "declined": "Return declined. The customer was told why.",
    "received": "Items marked as received.",
    "refunded": "Refund issued.",
    "credited": "Store credit issued.",
    "exchanged": "Exchange sent.",
    "replaced": "Replacement sent.",
    "cancelled": "Return cancelled.",
}
PAST = {
    "approve": "approved",
    "decline": "declined",
    "receive": "received",
    "refund": "refunded",
    "credit": "credited",
    "exchange": "exchanged",
    "replace": "replaced",
    "cancel": "cancelled",
}
BADGE_TONE = {
    "requested": "attention",
    "approved": "info",
    "label_issued": "info",
    "in_transit": "info",
    "received": "info",
    "inspected": "info",
    "refunded": "success",
    "credited": "success",
    "exchanged": "success",
    "replaced": "success",
    "closed": "success",
    "declined": "critical",
    "cancelled": "",
}


def desk_context() -> dict[str, Any]:
    """What every desk page needs: the shop, the token to carry forward, the role."""
    c = current_app.extensions["hemline"]
    shop = current_shop()
    return {
        "shop": shop,
        "token": session_token_from_request(),
        "role": current_role(),
        "local": c.settings.is_local,
        "api_key": c.settings.shopify_api_key,
        "state_label": lambda code: label("en", "state", code),
        "badge_tone": lambda code: BADGE_TONE.get(code, ""),
        "shop_time": lambda iso: _shop_time(iso, shop.timezone),
    }


def _shop_time(iso: str | None, timezone: str) -> str:
    if not iso:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    at = datetime.fromisoformat(iso).astimezone(zone)
    return f"{at:%b} {at.day}, {at:%Y} {at:%H:%M} {at.tzname()}"


def field_message(exc: Exception) -> str:
    """An InvalidInput's message without the field name in front of it."""
    text = str(exc)
    field = getattr(exc, "field", None)
    if field and text.startswith(f"{field}: "):
        return text[len(field) + 2 :]
    return text


@bp.get("/returns")
@require_session_page
def returns_queue() -> Any:
    """The queue: one page of returns in a state, or the returns a search names."""
    ctx = desk_context()
    store = current_app.extensions["hemline"].store
    state_arg = request.args.get("state") or None
    q = (request.args.get("q") or "").strip()
    error = None
    summaries: list[dict[str, Any]] = []
    next_cursor = None
    state = state_arg
    status = 200
    try:
        if state_arg is not None and state_arg not in rmas.STATES:
            raise InvalidInput(f"must be one of {', '.join(rmas.STATES)}", "state")
        limit = parse_limit(request.args.get("limit"))
        if q:
            if len(q) > 64:
                raise InvalidInput("is too long", "q")
            summaries = [rma_summary(r) for r in search_rmas(g.shop, q, state_arg)[:limit]]
        else:
            state = state_arg or "requested"
            page, next_cursor = store.list_rmas(
                g.shop, state, limit=limit, cursor=request.args.get("cursor") or None
            )
            summaries = [rma_summary(r) for r in page]
    except InvalidInput as exc:
        messages = {
            "state": "That list does not exist.",
            "q": "Search for an RMA or order number (at most 64 characters).",
            "cursor": "That page link has expired. Start again from the first page.",
        }
        error = messages.get(exc.field or "", field_message(exc))
        status = 422
    return (
        render_template(
            "admin/returns.html",
            tabs=QUEUE_TABS,
            state=state,
            q=q,
            rmas=summaries,
            next_cursor=next_cursor,
            error=error,
            counts=store.rma_counts(g.shop),
            **ctx,
        ),
        status,
    )


def _render_detail(
    rma: Rma,
    *,
    status: int = 200,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    confirm: dict[str, Any] | None = None,
) -> Any:
    ctx = desk_context()
    data = rma_json(rma, ctx["role"])
    done = request.args.get("done", "")
    files = current_app.extensions["hemline"].files
    photos = [
        {"title": ln.title, "url": files.url(key, expires_s=3600)}
        for ln in rma.lines
        for key in ln.photos
    ]
    return (
        render_template(
            "admin/return_detail.html",
            rma=data,
            success=DONE.get(done) if request.method == "GET" else None,
            banner=banner,
            errors=errors or {},
            form=form or {},
            confirm=confirm,
            photos=photos,
            label_of=lambda kind, code: label("en", kind, code) if code else "",
            conditions=CONDITIONS,
            **ctx,
        ),
        status,
    )


def _confirmation(rma: Rma, action: str) -> dict[str, Any] | None:
    """What the merchant is asked before an action that moves money or tells the customer."""
    shop = current_shop()
    money = f"{rma.refund_total:.2f} {rma.currency}"
    reason = (request.form.get("reason") or "").strip()
    questions = {
        "approve": f"Approve return {rma.number}? Hemline opens it in Shopify"
        + (", buys the prepaid label" if rma.prepaid_label else "")
        + " and emails the customer.",
        "decline": f"Decline return {rma.number}? The customer is emailed your reason: “{reason}”.",
        "refund": f"Refund {money} to the customer's original payment method? A refund cannot be undone.",
        "credit": f"Issue {money} of store credit"
        + (
            f" plus your {shop.store_credit_bonus_percent.normalize():f}% bonus"
            if shop.store_credit_bonus_percent
            else ""
        )
        + "? Store credit cannot be taken back.",
        "exchange": "Send the exchange? Shopify adds the new items to the order for you to ship.",
        "replace": "Send the replacement? Shopify adds the same items to the order for you to ship.",
        "cancel": f"Cancel return {rma.number}? Its items can be returned again.",
    }
    if action not in questions or (action == "decline" and not reason):
        return None  # nothing to confirm (or the form is incomplete: validation says why)
    fields = {k: v for k, v in request.form.items() if k not in ("id_token", "confirmed")}
    return {"action": action, "question": questions[action], "fields": fields}


def _get_rma_or_404(number: str) -> Rma | None:
    return find_rma(g.shop, number)


def _not_found(number: str) -> Any:
    ctx = desk_context()
    return render_template("admin/not_found.html", number=number, **ctx), 404


@bp.get("/returns/<number>")
@require_session_page
def return_detail(number: str) -> Any:
    rma = _get_rma_or_404(number)
    if rma is None:
        return _not_found(number)
    return _render_detail(rma)


def _form_int(raw: str | None) -> Any:
    """A whole number typed in a form; anything else stays text for the API's validation."""
    raw = (raw or "").strip()
    digits = raw.removeprefix("-")
    # ASCII decimals of bounded length only: int() refuses "²" and over 4300 digits.
    if digits.isascii() and digits.isdecimal() and len(digits) <= 20:
        return int(raw)
    return raw


def _form_body(rma: Rma, action: str) -> dict[str, Any]:
    """The API body of an action, read from the page's form fields."""
    form = request.form
    if action == "decline":
        return {"reason": form.get("reason", "")}
    if action == "cancel":
        return {"note": form.get("note") or None}
    if action == "receive":
        return {
            "items": [
                {
                    "line_item_id": ln.line_item_id,
                    "quantity": _form_int(form.get(f"quantity-{ln.line_item_id}")),
                    "condition": form.get(f"condition-{ln.line_item_id}", ""),
                    "restock": form.get(f"restock-{ln.line_item_id}") == "on",
                }
                for ln in rma.lines
            ]
        }
    return {}


@bp.post(f"/returns/<number>/<any({', '.join(ACTIONS)}):action>")
@require_session_page
def act_on_return(number: str, action: str) -> Any:
    """One staff action from the detail page's form, by the API's own code path."""
    rma = _get_rma_or_404(number)
    if rma is None:
        return _not_found(number)
    allowed = rma_json(rma, current_role())["allowed_actions"]
    if request.form.get("confirmed") != "yes" and action in allowed:
        # Only what this user may do now is confirmed; anything else is refused below.
        confirm = _confirmation(rma, action)
        if confirm is not None:
            return _render_detail(rma, confirm=confirm, form=dict(request.form))
    body = _form_body(rma, action)
    try:
        updated = run_action(action, current_shop(), rma, body)
    except InvalidInput as exc:
        field = exc.field or action
        return _render_detail(
            rma, status=422, errors={field: field_message(exc)}, form=dict(request.form)
        )
    except NotAllowed as exc:
        return _render_detail(rma, status=403, banner=f"You can't do that: {exc}.")
    except Conflict:
        fresh = _get_rma_or_404(number) or rma
        return _render_detail(
            fresh, status=409, banner="This return changed meanwhile. Check it and try again."
        )
    except UpstreamError:
        return _render_detail(
            rma,
            status=503,
            banner="A service Hemline depends on is unavailable. Try again shortly.",
        )
    return redirect(
        url_for(
            "admin.return_detail",
            number=updated.number,
            done=PAST[action],
            shop=g.shop,
            id_token=session_token_from_request(),
        ),
        code=303,
    )
