"""The returns desk's shared web code: what /api and the /admin pages both use.

The request's shop, role and actor (from the verified session token in `g`), the
JSON shapes of RMAs and orders, list and search, and the staff actions: one code
path, so an action from a page and one from the API do the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, g, request

from app.container import Container
from app.domain import rma as rmas
from app.domain.orders import OrderView
from app.domain.rma import Rma
from app.domain.shops import Shop
from app.errors import InvalidInput, NotFound

DEFAULT_PAGE = 25
MAX_PAGE = 100
# The staff actions the API offers, in the order the desk shows them.
ACTIONS = ("approve", "decline", "receive", "refund", "credit", "exchange", "replace", "cancel")
# Resolving a received return inspects it first (see returns._resolve), so these are legal
# from "received" as well as from "inspected".
RESOLUTIONS = frozenset({"refund", "credit", "exchange", "replace"})
# What could be an RMA number; anything else is not looked up at all (an over-long key is an
# error in DynamoDB, not a miss).
RMA_NUMBER_RE = re.compile(r"[A-Za-z0-9]{1,20}")


# -- helpers -------------------------------------------------------------------------------


def container() -> Container:
    return current_app.extensions["hemline"]


def current_shop() -> Shop:
    shop = container().store.get_shop(g.shop)
    if shop is None:  # pragma: no cover - the session guard installs the shop first
        raise NotFound("shop not installed")
    return shop


def current_role() -> str:
    from app.services import staff

    c = container()
    return staff.role_of(c.store, g.session, local=c.settings.is_local)


def current_actor() -> str:
    return f"staff:{g.session.user_id or 'unknown'}"


def find_rma(shop: str, number: str) -> Rma | None:
    """The shop's RMA numbered `number` (any case); None when there is none or it cannot be one."""
    if not RMA_NUMBER_RE.fullmatch(number):
        return None
    return container().store.get_rma(shop, number.upper())


def json_body() -> dict[str, Any]:
    """The JSON object body; an absent body is an empty object, anything else not an object is 422."""
    if not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # the JSON decoder gives up on deep nesting with this, not ValueError
        raise InvalidInput("nests too deeply to be read", "body") from None
    if not isinstance(data, dict):
        raise InvalidInput("must be a JSON object", "body")
    return data


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def iso_time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def iso_day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def is_int(value: object) -> bool:
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
        "created_at": iso_time(rma.created_at),
        "updated_at": iso_time(rma.updated_at),
        "requires_review": rma.requires_review,
        "approver_role": rma.approver_role,
        "refund_total": money(rma.refund_total),
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
                "price": money(ln.price),
                "reason": ln.reason,
                "resolution": ln.resolution,
                "condition": ln.condition,
                "refund_amount": money(ln.refund_amount),
                "restocking_fee": money(ln.restocking_fee),
                "label_fee": money(ln.label_fee),
                "exchange_fee": money(ln.exchange_fee),
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
            {"at": iso_time(e.at), "actor": e.actor, "action": e.action, "note": e.note}
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
        "refund_total": money(rma.refund_total),
        "currency": rma.currency,
        "items": sum(ln.quantity for ln in rma.lines),
        "created_at": iso_time(rma.created_at),
        "updated_at": iso_time(rma.updated_at),
    }


def order_json(shop: Shop, view: OrderView, order_rmas: list[Rma], now: datetime) -> dict[str, Any]:
    from app.services.eligibility import order_eligibility

    c = container()
    order = view.order
    reserved = c.store.reserved_quantities(shop.domain, order.id)
    lines = {e.line.id: e for e in order_eligibility(shop, view, now, reserved)}
    return {
        "id": order.id,
        "name": order.name,
        "created_at": iso_time(order.created_at),
        "currency": order.currency,
        "subtotal": money(order.subtotal),
        "total": money(order.total),
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status,
        "shipped_at": iso_time(view.shipped_at),
        "delivered_at": iso_time(view.delivered_at),
        "refunded_amount": money(view.refunded_amount),
        "line_items": [
            {
                "id": li.id,
                "title": li.title,
                "variant_title": li.variant_title,
                "sku": li.sku,
                "quantity": li.quantity,
                "price": money(li.price),
                "returnable_quantity": lines[li.id].returnable_quantity,
                "already_returned": lines[li.id].already_returned,
                "eligible": lines[li.id].eligible,
                "window_ends": iso_day(lines[li.id].window_ends),
                "reasons": list(lines[li.id].reasons),
            }
            for li in order.line_items
        ],
        "rmas": [r.number for r in order_rmas],
    }


# -- returns desk --------------------------------------------------------------------------


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE
    # isdecimal on ASCII only: "²" is a digit to isdigit() but not to int().
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 3) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_PAGE}", "limit")
    return int(raw)


def search_rmas(shop: str, q: str, state: str | None) -> list[Rma]:
    """RMAs whose number is q (any case) or whose order is numbered q ('#1001' or '1001')."""
    store = container().store
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


def parse_receive(rma: Rma, body: dict[str, Any]) -> dict[int, tuple[int, str, bool]]:
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
        if not is_int(line_id) or line_id not in ordered:
            raise InvalidInput("is not an item of this return", f"{where}.line_item_id")
        if line_id in received:
            raise InvalidInput("is listed twice", f"{where}.line_item_id")
        qty = item.get("quantity")
        if not is_int(qty) or not 0 <= qty <= ordered[line_id]:
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


def optional_text(
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


def run_action(action: str, shop: Shop, rma: Rma, body: dict[str, Any]) -> Rma:
    """Validate the action's body and call its one use case."""
    from app.services import returns

    ctx = container().returns_context()
    actor = current_actor()
    if action == "approve":
        return returns.approve_return(ctx, shop, rma.number, actor=actor, actor_role=current_role())
    if action == "decline":
        reason = optional_text(body, "reason", required=True)
        return returns.decline_return(ctx, shop, rma.number, actor=actor, reason=reason or "")
    if action == "receive":
        received = parse_receive(rma, body)
        return returns.receive_return(ctx, shop, rma.number, actor=actor, received=received)
    if action == "cancel":
        note = optional_text(body, "note", required=False)
        return returns.cancel_return(ctx, shop, rma.number, actor=actor, note=note)
    settle: dict[str, Callable[..., Rma]] = {
        "refund": returns.refund_return,
        "credit": returns.credit_return,
        "exchange": returns.exchange_return,
        "replace": returns.replace_return,
    }
    return settle[action](ctx, shop, rma.number, actor=actor)
