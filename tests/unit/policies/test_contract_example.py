"""The POLICIES.md example request gives exactly the decision shown there."""

from __future__ import annotations

from policies import evaluate, load_preset, parse_request

from .builders import request

CONTRACT_REQUEST = {
    "shop": {"country": "US", "timezone": "America/New_York", "currency": "USD"},
    "order": {
        "name": "#1001",
        "created_at": "2026-03-01T10:00:00-05:00",
        "subtotal": "82.00",
        "shipping_country": "US",
        "shipped_at": "2026-03-02T15:00:00-05:00",
        "delivered_at": "2026-03-05T12:00:00-05:00",
        "line_items": [
            {
                "id": "11",
                "title": "Knitted romper",
                "product_type": "Rompers",
                "tags": [],
                "price": "48.00",
                "compare_at_price": None,
                "quantity": 1,
            }
        ],
    },
    "items": [
        {
            "line_item_id": "11",
            "quantity": 1,
            "reason": "changed_mind",
            "resolution": "refund",
            "condition": "unworn_tags_attached",
            "photos": 0,
            "expedited": False,
            "defect": None,
        }
    ],
    "requested_at": "2026-03-20T09:00:00-04:00",
}

CONTRACT_ITEM_FIELDS = {
    "line_item_id": "11",
    "eligible": True,
    "window_ends": "2026-04-04",
    "restocking_fee": "0.00",
    "label_fee": "0.00",
    "exchange_fee": "0.00",
    "return_shipping_paid_by": "merchant",
    "photos_required": 0,
    "refund_amount": "48.00",
}


def test_example_decision_matches_the_contract_when_evaluated_with_petite_plume():
    decision = evaluate(load_preset("petite-plume"), parse_request(CONTRACT_REQUEST))
    body = decision.to_json_dict()

    (item,) = body["items"]
    assert {key: item[key] for key in CONTRACT_ITEM_FIELDS} == CONTRACT_ITEM_FIELDS
    assert item["reasons"][0] == (
        "Returns for change of mind end 30 days after delivery: 2026-04-04"
    )
    assert body["requires_review"] is False
    assert body["approver_role"] is None
    assert body["refund_total"] == "48.00"
    assert body["refund_due_by_business_days"] == 7


def test_every_contract_field_is_present_when_a_decision_is_serialised():
    body = evaluate(load_preset("petite-plume"), CONTRACT_REQUEST).to_json_dict()

    assert set(body) >= {
        "items",
        "requires_review",
        "approver_role",
        "refund_total",
        "refund_due_by_business_days",
    }
    assert set(body["items"][0]) >= set(CONTRACT_ITEM_FIELDS) | {"reasons"}


def test_builder_default_is_the_contract_example_when_nothing_is_overridden():
    assert request() == CONTRACT_REQUEST
