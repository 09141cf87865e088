"""Shopify's EventBridge deliveries as tests build them: one of Shopify's sample bodies in
`detail.payload`, the HTTPS delivery's headers in `detail.metadata`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.support.shopify import payload_bytes, signed_headers

SOURCE = "aws.partner/shopify.com/1234567/hemline-test"


def eventbridge_detail(
    topic: str,
    shop: str,
    *,
    webhook_id: str,
    event_id: str | None = None,
    payload: bytes | None = None,
) -> dict[str, Any]:
    """The `detail` of a Shopify EventBridge event for `topic` (Shopify's sample body)."""
    body = payload_bytes(topic) if payload is None else payload
    # Signed with a key Hemline never uses: EventBridge deliveries are not HMAC-checked.
    headers = signed_headers(
        topic, body, shop=shop, secret="not-checked", webhook_id=webhook_id, event_id=event_id
    )
    headers["X-Shopify-Hmac-SHA256"] = headers.pop("X-Shopify-Hmac-Sha256")
    return {"payload": json.loads(body), "metadata": headers}


def eventbridge_event(topic: str, shop: str, **kw: Any) -> dict[str, Any]:
    """The whole event as the partner bus's rule hands it to the SQS queue."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "shopifyWebhook",
        "source": SOURCE,
        "account": "123456789012",
        "time": "2026-11-23T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": eventbridge_detail(topic, shop, **kw),
    }
