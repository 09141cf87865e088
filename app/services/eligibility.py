"""The policy engine applied to a stored order: what a customer may return, and at what cost.

Builds the policy engine's evaluation request from the shop and the order as
Hemline stores it, subtracting what is already refunded or held by open
returns, so the portal, the admin preview and RMA creation decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import policies
from app.domain.orders import LineItem, OrderView
from app.domain.shops import Shop
from app.errors import InvalidInput

# The two modules need each other (the effective policy here, the request builder there):
# imported as a module, so either may be imported first.
from app.services import policy_settings

# What the portal asks about each line before the customer picks a reason:
# the most common discretionary reason, so windows and final-sale rules show.
PREVIEW_REASON = "changed_mind"


@dataclass(frozen=True)
class RequestedLine:
    """One line of a customer's return request."""

    line_item_id: int
    quantity: int
    reason: str
    resolution: str
    condition: str | None = None
    photos: tuple[str, ...] = ()  # file keys of uploaded photos
    expedited: bool = False
    defect: str | None = None
    exchange_variant_id: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class LineEligibility:
    """One order line as the portal shows it."""

    line: LineItem
    returnable_quantity: int
    already_returned: int
    eligible: bool
    window_ends: date | None
    reasons: tuple[str, ...]
    photos_required: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)


def policy_for(shop: Shop) -> policies.Policy:
    """The shop's effective policy: its preset with the merchant's overrides (cached)."""
    return policy_settings.policy_for(shop)


def _line_json(li: LineItem) -> dict[str, Any]:
    return {
        "id": str(li.id),
        "title": li.title,
        "product_type": li.product_type or "",
        "tags": list(li.tags),
        "price": format(li.price, "f"),
        "compare_at_price": format(li.compare_at_price, "f")
        if li.compare_at_price is not None
        else None,
        "quantity": li.quantity,
    }


def evaluation_request(
    shop: Shop, view: OrderView, lines: Sequence[RequestedLine], now: datetime
) -> dict[str, Any]:
    """The policy engine's JSON request for these lines of this order, made now."""
    order = view.order
    return {
        "shop": {"country": shop.country, "timezone": shop.timezone, "currency": order.currency},
        "order": {
            "name": order.name,
            "created_at": order.created_at.isoformat(),
            "subtotal": format(order.subtotal, "f"),
            "shipping_country": order.shipping_country,
            "shipped_at": view.shipped_at.isoformat() if view.shipped_at else None,
            "delivered_at": view.delivered_at.isoformat() if view.delivered_at else None,
            "line_items": [_line_json(li) for li in order.line_items],
        },
        "items": [
            {
                "line_item_id": str(ln.line_item_id),
                "quantity": ln.quantity,
                "reason": ln.reason,
                "resolution": ln.resolution,
                "condition": ln.condition,
                "photos": len(ln.photos),
                "expedited": ln.expedited,
                "defect": ln.defect,
            }
            for ln in lines
        ],
        "requested_at": now.isoformat(),
    }


def decide(
    shop: Shop, view: OrderView, lines: Sequence[RequestedLine], now: datetime
) -> policies.Decision:
    """The policy decision for a request; raises InvalidInput naming the field for a malformed one."""
    return decide_under(policy_for(shop), shop, view, lines, now)


def decide_under(
    policy: policies.Policy,
    shop: Shop,
    view: OrderView,
    lines: Sequence[RequestedLine],
    now: datetime,
) -> policies.Decision:
    """As `decide`, under a given policy (a preview of unsaved settings). Raises InvalidInput."""
    try:
        request = policies.parse_request(evaluation_request(shop, view, lines, now))
    except policies.PolicyError as exc:
        raise InvalidInput(exc.message, exc.field) from exc
    return policies.evaluate(policy, request)


def order_eligibility(
    shop: Shop, view: OrderView, now: datetime, reserved: Mapping[int, int] | None = None
) -> list[LineEligibility]:
    """Each line: how many can still be returned, until when and why (for the portal's list)."""
    reserved = reserved or {}
    out = []
    for li in view.order.line_items:
        taken = max(view.refunded_quantity(li.id), reserved.get(li.id, 0))
        remaining = max(li.quantity - taken, 0)
        if remaining == 0:
            out.append(
                LineEligibility(li, 0, taken, False, None, ("Already returned or refunded",))
            )
            continue
        # Policies differ on the condition they accept (unworn with tags, or unopened):
        # a line is returnable if it is under either.
        for condition in ("unworn_tags_attached", "unopened"):
            probe = RequestedLine(li.id, 1, PREVIEW_REASON, "refund", condition)
            item = decide(shop, view, [probe], now).items[0]
            if item.eligible:
                break
        out.append(
            LineEligibility(
                line=li,
                returnable_quantity=remaining,
                already_returned=taken,
                eligible=item.eligible,
                window_ends=item.window_ends,
                reasons=item.reasons,
                photos_required=item.photos_required,
            )
        )
    return out
