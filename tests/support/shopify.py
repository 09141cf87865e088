"""Shopify's real sample payloads (../shared/shopify/webhooks), loaded and signed as Shopify would."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from app.security import webhook_hmac

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("HEMLINE_SHOPIFY_REFERENCE", ROOT.parent / "shared" / "shopify"))
WEBHOOKS = REFERENCE / "webhooks"

if not WEBHOOKS.is_dir():  # pragma: no cover - a broken checkout
    raise RuntimeError(
        f"Shopify reference payloads not found at {WEBHOOKS}: the tests need ../shared/shopify beside the "
        "repository (or HEMLINE_SHOPIFY_REFERENCE pointing at it)"
    )


def payload_bytes(topic: str, version: str = "2026-04") -> bytes:
    """The raw bytes of Shopify's sample for `topic` (e.g. 'orders/create')."""
    return (WEBHOOKS / f"{topic.replace('/', '_')}__shopify-docs-{version}.json").read_bytes()


def signed_headers(
    topic: str,
    body: bytes,
    *,
    shop: str,
    secret: str,
    webhook_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, str]:
    """Headers of a delivery as Shopify sends it, with a fresh delivery id unless given.

    A delivery belongs to one event, so a given delivery id (a retry of it) carries the
    same event id every time unless the test names another."""
    webhook_id = webhook_id or str(uuid.uuid4())
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": event_id or f"event-of-{webhook_id}",
        "X-Shopify-Triggered-At": "2026-11-23T10:00:00.000000000Z",
        "X-Shopify-Hmac-Sha256": webhook_hmac(secret, body),
    }
