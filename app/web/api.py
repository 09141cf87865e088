"""The merchant admin's JSON API under /api: returns desk, orders, policy and staff roles.

Every route verifies the Shopify session token first and reads only the token's
shop: another shop's RMA or order is a 404, indistinguishable from one that
does not exist. Views parse and validate, call one service, and render JSON;
money is a decimal string, times are ISO 8601 with their offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, g, request

import policies
from app.container import Container
from app.domain import rma as rmas
from app.domain.orders import OrderView
from app.domain.rma import Rma
from app.domain.shops import Shop
from app.errors import InvalidInput, NotAllowed, NotFound
from app.services import returns, staff
from app.services.eligibility import order_eligibility
from app.web.admin_auth import require_session_token

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_PAGE = 25
MAX_PAGE = 100
# Roles that may change the shop's return policy.
POLICY_EDITORS = frozenset({"owner", "manager"})
# The staff actions the API offers, in the order the desk shows them.
ACTIONS = ("approve", "decline", "receive", "refund", "credit", "exchange", "replace", "cancel")
# Resolving a received return inspects it first (see returns._resolve), so these are legal
# from "received" as well as from "inspected".
RESOLUTIONS = frozenset({"refund", "credit", "exchange", "replace"})


# -- helpers -------------------------------------------------------------------------------


def _container() -> Container:
    return current_app.extensions["hemline"]


def _shop() -> Shop:
    shop = _container().store.get_shop(g.shop)
    if shop is None:  # pragma: no cover - the session guard installs the shop first
        raise NotFound("shop not installed")
    return shop


def _role() -> str:
    c = _container()
    return staff.role_of(c.store, g.session, local=c.settings.is_local)


def _actor() -> str:
    return f"staff:{g.session.user_id or 'unknown'}"


def _body() -> dict[str, Any]:
    """The JSON object body; an absent body is an empty object, anything else not an object is 422."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("must be a JSON object", "body")
    return data


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- rendering -----------------------------------------------------------------------------


def is_action_legal(rma: Rma, action: str) -> bool:
    """Whether the state machine accepts `action` now (a resolution inspects a received return)."""
    if action in RESOLUTIONS and rma.state == "received":
        return ("inspected", action) in rmas.TRANSITIONS
    return rmas.can(rma, action)


def can_approve(rma: Rma, role: str) -> bool:
    """Whether this role may approve the RMA now (a review may need a higher role)."""
    if not rmas.can(rma, "approve"):
        return False
    if rma.requires_review and rma.approver_role:
        return rmas.role_satisfies(role, rma.approver_role)
    return True


def rma_json(rma: Rma, role: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": rma.number,
        "order_id": rma.order_id,
        "order_name": rma.order_name,
        "currency": rma.currency,
        "state": rma.state,
        "version": rma.version,
        "created_at": _time(rma.created_at),
        "updated_at": _time(rma.updated_at),
        "requires_review": rma.requires_review,
        "approver_role": rma.approver_role,
        "refund_total": _money(rma.refund_total),
        "return_shipping_paid_by": rma.return_shipping_paid_by,
        "prepaid_label": rma.prepaid_label,
        "shopify_return_id": rma.shopify_return_id,
        "label": dict(rma.label) if rma.label else None,
        "decline_reason": rma.decline_reason,
        "customer_email": rma.customer_email,
        "locale": rma.locale,
        "lines": [
            {
                "line_item_id": ln.line_item_id,
                "title": ln.title,
                "sku": ln.sku,
                "quantity": ln.quantity,
                "price": _money(ln.price),
                "reason": ln.reason,
                "resolution": ln.resolution,
                "condition": ln.condition,
                "refund_amount": _money(ln.refund_amount),
                "restocking_fee": _money(ln.restocking_fee),
                "label_fee": _money(ln.label_fee),
                "exchange_fee": _money(ln.exchange_fee),
                "exchange_variant_id": ln.exchange_variant_id,
                "received_quantity": ln.received_quantity,
                "received_condition": ln.received_condition,
                "restock": ln.restock,
                "note": ln.note,
                "photos": len(ln.photos),
            }
            for ln in rma.lines
        ],
        "timeline": [
            {"at": _time(e.at), "actor": e.actor, "action": e.action, "note": e.note}
            for e in rma.timeline
        ],
    }
    if role is not None:
        out["your_role"] = role
        out["can_approve"] = can_approve(rma, role)
        out["allowed_actions"] = [
            a for a in ACTIONS if is_action_legal(rma, a) and (a != "approve" or out["can_approve"])
        ]
    return out


def rma_summary(rma: Rma) -> dict[str, Any]:
    return {
        "number": rma.number,
        "order_id": rma.order_id,
        "order_name": rma.order_name,
        "state": rma.state,
        "requires_review": rma.requires_review,
        "approver_role": rma.approver_role,
        "refund_total": _money(rma.refund_total),
        "currency": rma.currency,
        "items": sum(ln.quantity for ln in rma.lines),
        "created_at": _time(rma.created_at),
        "updated_at": _time(rma.updated_at),
    }


def order_json(shop: Shop, view: OrderView, order_rmas: list[Rma], now: datetime) -> dict[str, Any]:
    c = _container()
    order = view.order
    reserved = c.store.reserved_quantities(shop.domain, order.id)
    lines = {e.line.id: e for e in order_eligibility(shop, view, now, reserved)}
    return {
        "id": order.id,
        "name": order.name,
        "created_at": _time(order.created_at),
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "total": _money(order.total),
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status,
        "shipped_at": _time(view.shipped_at),
        "delivered_at": _time(view.delivered_at),
        "refunded_amount": _money(view.refunded_amount),
        "line_items": [
            {
                "id": li.id,
                "title": li.title,
                "variant_title": li.variant_title,
                "sku": li.sku,
                "quantity": li.quantity,
                "price": _money(li.price),
                "returnable_quantity": lines[li.id].returnable_quantity,
                "already_returned": lines[li.id].already_returned,
                "eligible": lines[li.id].eligible,
                "window_ends": _day(lines[li.id].window_ends),
                "reasons": list(lines[li.id].reasons),
            }
            for li in order.line_items
        ],
        "rmas": [r.number for r in order_rmas],
    }


# -- returns desk --------------------------------------------------------------------------


def _parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_PAGE}", "limit")
    return int(raw)


def _search(shop: str, q: str, state: str | None) -> list[Rma]:
    """RMAs whose number is q (any case) or whose order is numbered q ('#1001' or '1001')."""
    store = _container().store
    found: dict[str, Rma] = {}
    by_number = store.get_rma(shop, q.upper())
    if by_number is not None:
        found[by_number.number] = by_number
    view = store.find_order_by_number(shop, q)
    if view is not None:
        for r in store.rmas_for_order(shop, view.order.id):
            found.setdefault(r.number, r)
    hits = [r for r in found.values() if state is None or r.state == state]
    return sorted(hits, key=lambda r: r.updated_at, reverse=True)


@bp.get("/rmas")
@require_session_token
def list_rmas() -> Any:
    """One page of RMAs in a state (newest update first), or the RMAs a search names."""
    state_arg = request.args.get("state") or None
    if state_arg is not None and state_arg not in rmas.STATES:
        raise InvalidInput(f"must be one of {', '.join(rmas.STATES)}", "state")
    limit = _parse_limit(request.args.get("limit"))
    q = (request.args.get("q") or "").strip()
    if q:
        if len(q) > 64:
            raise InvalidInput("is too long", "q")
        hits = _search(g.shop, q, state_arg)
        return {
            "state": state_arg,
            "q": q,
            "rmas": [rma_summary(r) for r in hits[:limit]],
            "next_cursor": None,
        }
    state = state_arg or "requested"
    page, cursor = _container().store.list_rmas(
        g.shop, state, limit=limit, cursor=request.args.get("cursor") or None
    )
    return {
        "state": state,
        "q": None,
        "rmas": [rma_summary(r) for r in page],
        "next_cursor": cursor,
    }


@bp.get("/rmas/<number>")
@require_session_token
def get_rma(number: str) -> Any:
    rma = _container().store.get_rma(g.shop, number.upper())
    if rma is None:
        raise NotFound(f"no return {number}")
    return rma_json(rma, _role())


def _parse_receive(rma: Rma, body: dict[str, Any]) -> dict[int, tuple[int, str, bool]]:
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise InvalidInput("list what arrived, one entry per returned item", "items")
    ordered = {ln.line_item_id: ln.quantity for ln in rma.lines}
    received: dict[int, tuple[int, str, bool]] = {}
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput("must be an object", where)
        line_id = item.get("line_item_id")
        if not _is_int(line_id) or line_id not in ordered:
            raise InvalidInput("is not an item of this return", f"{where}.line_item_id")
        if line_id in received:
            raise InvalidInput("is listed twice", f"{where}.line_item_id")
        qty = item.get("quantity")
        if not _is_int(qty) or not 0 <= qty <= ordered[line_id]:
            raise InvalidInput(
                f"must be a whole number from 0 to {ordered[line_id]}", f"{where}.quantity"
            )
        condition = item.get("condition")
        if not isinstance(condition, str) or not condition.strip() or len(condition) > 64:
            raise InvalidInput("describe the condition it arrived in", f"{where}.condition")
        restock = item.get("restock", False)
        if not isinstance(restock, bool):
            raise InvalidInput("must be true or false", f"{where}.restock")
        received[line_id] = (qty, condition.strip(), restock)
    return received


def _optional_text(
    body: dict[str, Any], field: str, *, required: bool, limit: int = 1000
) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput("is required" if required else "must be text", field)
    if len(value) > limit:
        raise InvalidInput(f"must be at most {limit} characters", field)
    return value.strip() or None


def _run_action(action: str, shop: Shop, rma: Rma, body: dict[str, Any]) -> Rma:
    """Validate the action's body and call its one use case."""
    ctx = _container().returns_context()
    actor = _actor()
    if action == "approve":
        return returns.approve_return(ctx, shop, rma.number, actor=actor, actor_role=_role())
    if action == "decline":
        reason = _optional_text(body, "reason", required=True)
        return returns.decline_return(ctx, shop, rma.number, actor=actor, reason=reason or "")
    if action == "receive":
        received = _parse_receive(rma, body)
        return returns.receive_return(ctx, shop, rma.number, actor=actor, received=received)
    if action == "cancel":
        note = _optional_text(body, "note", required=False)
        return returns.cancel_return(ctx, shop, rma.number, actor=actor, note=note)
    settle: dict[str, Callable[..., Rma]] = {
        "refund": returns.refund_return,
        "credit": returns.credit_return,
        "exchange": returns.exchange_return,
        "replace": returns.replace_return,
    }
    return settle[action](ctx, shop, rma.number, actor=actor)


@bp.post(
    "/rmas/<number>/<any(approve, decline, receive, refund, credit, exchange, replace, cancel):action>"
)
@require_session_token
def act_on_rma(number: str, action: str) -> Any:
    """Move the RMA by one staff action; returns the updated RMA."""
    rma = _container().store.get_rma(g.shop, number.upper())
    if rma is None:
        raise NotFound(f"no return {number}")
    body = _body()
    updated = _run_action(action, _shop(), rma, body)
    return rma_json(updated, _role())


# -- orders --------------------------------------------------------------------------------


@bp.get("/orders/<int:order_id>")
@require_session_token
def get_order(order_id: int) -> Any:
    c = _container()
    view = c.store.get_order(g.shop, order_id)
    if view is None:
        raise NotFound(f"no order {order_id}")
    return order_json(_shop(), view, c.store.rmas_for_order(g.shop, order_id), c.clock.now())


# -- policy and staff ----------------------------------------------------------------------


def _policy_json(shop: Shop, role: str) -> dict[str, Any]:
    return {
        "preset": shop.policy_preset,
        "explanation": policies.explain(policies.load_preset(shop.policy_preset)),
        "presets": list(policies.preset_names()),
        "can_edit": role in POLICY_EDITORS,
    }


@bp.get("/policy")
@require_session_token
def get_policy() -> Any:
    return _policy_json(_shop(), _role())


@bp.put("/policy")
@require_session_token
def put_policy() -> Any:
    """Switch the shop to another preset policy (owners and managers only)."""
    role = _role()
    if role not in POLICY_EDITORS:
        raise NotAllowed("only an owner or a manager can change the return policy")
    preset = _body().get("preset")
    if not isinstance(preset, str) or preset not in policies.preset_names():
        raise InvalidInput(f"must be one of {', '.join(policies.preset_names())}", "preset")
    shop = replace(_shop(), policy_preset=preset)
    _container().store.put_shop(shop)
    return _policy_json(shop, role)


@bp.put("/staff/<user_id>")
@require_session_token
def put_staff_role(user_id: str) -> Any:
    """An owner gives a staff member a role."""
    role = _body().get("role")
    # set_role refuses a non-owner before it looks at the role, so staff learn nothing more.
    role = role if isinstance(role, str) else ""
    staff.set_role(_container().store, g.shop, by_role=_role(), user_id=user_id, role=role)
    return {"user_id": user_id.strip(), "role": role}
