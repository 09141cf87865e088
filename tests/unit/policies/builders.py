"""Request builders for the policy tests: memorable defaults, override what a case is about.

The default is the POLICIES.md example: a Petite Plume romper, delivered 2026-03-05
in New York, order subtotal 82.00.
"""

from __future__ import annotations

from typing import Any

from policies import Decision, evaluate, load_preset

NEW_YORK = {"country": "US", "timezone": "America/New_York", "currency": "USD"}
LOS_ANGELES = {"country": "US", "timezone": "America/Los_Angeles", "currency": "USD"}
SHANGHAI = {"country": "CN", "timezone": "Asia/Shanghai", "currency": "CNY"}


def line(
    id: str = "11",
    price: str = "48.00",
    quantity: int = 1,
    tags: list[str] | None = None,
    product_type: str = "Rompers",
    compare_at_price: str | None = None,
    title: str = "Knitted romper",
) -> dict[str, Any]:
    return {
        "id": id,
        "title": title,
        "product_type": product_type,
        "tags": tags or [],
        "price": price,
        "compare_at_price": compare_at_price,
        "quantity": quantity,
    }


def item(
    line_item_id: str = "11",
    reason: str = "changed_mind",
    resolution: str = "refund",
    condition: str | None = "unworn_tags_attached",
    photos: int = 0,
    expedited: bool = False,
    defect: str | None = None,
    quantity: int = 1,
) -> dict[str, Any]:
    return {
        "line_item_id": line_item_id,
        "quantity": quantity,
        "reason": reason,
        "resolution": resolution,
        "condition": condition,
        "photos": photos,
        "expedited": expedited,
        "defect": defect,
    }


def request(
    *items: dict[str, Any],
    lines: list[dict[str, Any]] | None = None,
    shop: dict[str, Any] | None = None,
    subtotal: str = "82.00",
    shipping_country: str | None = "US",
    created_at: str = "2026-03-01T10:00:00-05:00",
    shipped_at: str | None = "2026-03-02T15:00:00-05:00",
    delivered_at: str | None = "2026-03-05T12:00:00-05:00",
    requested_at: str = "2026-03-20T09:00:00-04:00",
) -> dict[str, Any]:
    return {
        "shop": dict(shop or NEW_YORK),
        "order": {
            "name": "#1001",
            "created_at": created_at,
            "subtotal": subtotal,
            "shipping_country": shipping_country,
            "shipped_at": shipped_at,
            "delivered_at": delivered_at,
            "line_items": lines if lines is not None else [line()],
        },
        "items": list(items) if items else [item()],
        "requested_at": requested_at,
    }


def decide(preset: str, data: dict[str, Any]) -> Decision:
    return evaluate(load_preset(preset), data)


def only_item(preset: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON decision of a one-item request."""
    decision = decide(preset, data).to_json_dict()
    assert len(decision["items"]) == 1
    return decision["items"][0]
