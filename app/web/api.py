"""The merchant admin's JSON API under /api: returns desk, orders, policy and staff roles.

Every route verifies the Shopify session token first and reads only the token's
shop: another shop's RMA or order is a 404, indistinguishable from one that
does not exist. Views parse and validate, call one service, and render JSON;
money is a decimal string, times are ISO 8601 with their offset.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

import policies
from app.domain import rma as rmas
from app.domain.shops import Shop
from app.errors import InvalidInput, NotFound
from app.web.admin_auth import require_session_token
from app.web.desk import (
    container,
    current_role,
    current_shop,
    find_rma,
    json_body,
    order_json,
    parse_limit,
    rma_json,
    rma_summary,
    run_action,
    search_rmas,
)

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/rmas")
@require_session_token
def list_rmas() -> Any:
    """One page of RMAs in a state (newest update first), or the RMAs a search names."""
    state_arg = request.args.get("state") or None
    if state_arg is not None and state_arg not in rmas.STATES:
        raise InvalidInput(f"must be one of {', '.join(rmas.STATES)}", "state")
    limit = parse_limit(request.args.get("limit"))
    q = (request.args.get("q") or "").strip()
    if q:
        if len(q) > 64:
            raise InvalidInput("is too long", "q")
        hits = search_rmas(g.shop, q, state_arg)
        return {
            "state": state_arg,
            "q": q,
            "rmas": [rma_summary(r) for r in hits[:limit]],
            "next_cursor": None,
        }
    state = state_arg or "requested"
    page, cursor = container().store.list_rmas(
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
    rma = find_rma(g.shop, number)
    if rma is None:
        raise NotFound(f"no return {number}")
    return rma_json(rma, current_role())


@bp.post(
    "/rmas/<number>/<any(approve, decline, receive, refund, credit, exchange, replace, cancel):action>"
)
@require_session_token
def act_on_rma(number: str, action: str) -> Any:
    """Move the RMA by one staff action; returns the updated RMA."""
    rma = find_rma(g.shop, number)
    if rma is None:
        raise NotFound(f"no return {number}")
    body = json_body()
    updated = run_action(action, current_shop(), rma, body)
    return rma_json(updated, current_role())


# -- orders --------------------------------------------------------------------------------


@bp.get("/orders/<int:order_id>")
@require_session_token
def get_order(order_id: int) -> Any:
    c = container()
    view = c.store.get_order(g.shop, order_id)
    if view is None:
        raise NotFound(f"no order {order_id}")
    return order_json(current_shop(), view, c.store.rmas_for_order(g.shop, order_id), c.clock.now())


# -- policy and staff ----------------------------------------------------------------------


def _policy_json(shop: Shop, role: str) -> dict[str, Any]:
    # Through eligibility, which imports it: see app/web/admin_policy.py.
    from app.services.eligibility import policy_settings

    return {
        "preset": shop.policy_preset,
        "overrides": policy_settings.stored_overrides(shop.policy_overrides),
        "explanation": policies.explain(policy_settings.policy_for(shop)),
        "presets": list(policies.preset_names()),
        "fields": [
            f.to_json_dict()
            for f in policy_settings.fields_for(shop.policy_preset, shop.policy_overrides)
        ],
        "can_edit": policy_settings.can_edit_policy(role),
    }


@bp.get("/policy")
@require_session_token
def get_policy() -> Any:
    return _policy_json(current_shop(), current_role())


@bp.put("/policy")
@require_session_token
def put_policy() -> Any:
    """Switch the shop to a preset with the merchant's overrides (owners and managers only)."""
    from app.services.eligibility import policy_settings

    role = current_role()
    body = json_body()
    shop = policy_settings.save_policy(
        container().store, current_shop(), body.get("preset"), body.get("overrides"), by_role=role
    )
    return _policy_json(shop, role)


@bp.post("/policy/preview")
@require_session_token
def preview_policy() -> Any:
    """The policy a preset and overrides would make, tried on a sample order; nothing is saved."""
    from app.services.eligibility import policy_settings

    body = json_body()
    shop = current_shop()
    preset = policy_settings.ensure_preset(body.get("preset", shop.policy_preset))
    raw = body.get("overrides") or {}
    overrides = policy_settings.validate_overrides(preset, raw)
    days = policy_settings.parse_delivered_days_ago(body.get("delivered_days_ago"))
    policy = policy_settings.build_policy(preset, overrides)
    sample = policy_settings.sample_order(shop, container().clock.now(), days)
    return {
        "preset": preset,
        "overrides": overrides,
        "explanation": policies.explain(policy),
        "delivered_days_ago": days,
        "sample": policy_settings.preview(policy, sample).to_json_dict(),
    }


@bp.put("/staff/<user_id>")
@require_session_token
def put_staff_role(user_id: str) -> Any:
    """An owner gives a staff member a role."""
    from app.services import staff

    role = json_body().get("role")
    # set_role refuses a non-owner before it looks at the role, so staff learn nothing more.
    role = role if isinstance(role, str) else ""
    staff.set_role(container().store, g.shop, by_role=current_role(), user_id=user_id, role=role)
    return {"user_id": user_id.strip(), "role": role}
