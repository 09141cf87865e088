"""Finding a recorded delivery by the id Shopify gave it, as a person debugging would.

The store keys a delivery by its event id when Shopify sends one (keys.webhook_key), so
tests that only know the delivery id look it up among the shop's webhook records."""

from __future__ import annotations

from app.adapters.dynamo.store import DynamoStore, WebhookRecord


def recorded(store: DynamoStore, shop: str, webhook_id: str) -> WebhookRecord | None:
    """The delivery `webhook_id` of `shop` as stored, or None."""
    res = store._db.query(
        TableName=store.table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        FilterExpression="webhook_id = :id",
        ExpressionAttributeValues={
            ":pk": {"S": f"SHOP#{shop}"},
            ":sk": {"S": "WEBHOOK#"},
            ":id": {"S": webhook_id},
        },
        ConsistentRead=True,
    )
    keys = [item["SK"]["S"].removeprefix("WEBHOOK#") for item in res["Items"]]
    assert len(keys) <= 1, f"delivery {webhook_id} recorded {len(keys)} times"
    return store.get_webhook(shop, keys[0]) if keys else None
