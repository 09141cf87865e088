"""Webhook ingress and processing: verify, dedupe, store, queue; then apply by topic.

Ingress answers Shopify fast: it authenticates the delivery, records it once
(a conditional write on its delivery id and event id, expiring by TTL) and
queues a reference to it. Processing happens on the worker (SQS in AWS, a
thread pool locally), where every topic handler is idempotent, so a delivery
processed twice has the effect of one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from app.adapters.dynamo.store import DuplicateWebhook, DynamoStore
from app.clock import Clock
from app.domain.shops import ensure_shop_domain
from app.errors import InvalidInput, UpstreamError
from app.observability import Metrics, logger
from app.security import verify_webhook_hmac
from app.services import compliance, orders, shops
from app.services.ports import HandlerDeps, WebhookQueue

MAX_NESTING = 64
_WEBHOOK_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TOPIC_RE = re.compile(r"^[a-z_]+/[a-z_]+$")

Handler = Callable[[HandlerDeps, str, dict[str, Any]], None]


def _with_store(fn: Callable[[DynamoStore, str, dict[str, Any]], None]) -> Handler:
    return lambda deps, shop, body: fn(deps.store, shop, body)


def _with_store_and_clock(fn: Callable[[DynamoStore, Clock, str, dict[str, Any]], None]) -> Handler:
    return lambda deps, shop, body: fn(deps.store, deps.clock, shop, body)


# The closed registry of topics Hemline acts on; anything else is acknowledged and ignored.
TOPIC_HANDLERS: Mapping[str, Handler] = {
    "orders/create": orders.apply_order,
    "orders/updated": orders.apply_order,
    "fulfillments/create": orders.apply_fulfillment,
    "fulfillments/update": orders.apply_fulfillment,
    "refunds/create": orders.apply_refund,
    "inventory_levels/update": orders.apply_inventory_level,
    "app/uninstalled": _with_store_and_clock(shops.uninstall_shop),
    "customers/data_request": _with_store_and_clock(compliance.export_customer_data),
    "customers/redact": _with_store_and_clock(compliance.redact_customer),
    "shop/redact": _with_store_and_clock(compliance.redact_shop),
}

# Compliance topics are subscribed only through shopify.app.toml (Shopify
# accepts them from nowhere else); every other handled topic is subscribed per
# shop through the Admin API at install and by the daily reconciliation.
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
API_SUBSCRIBED_TOPICS = tuple(sorted(set(TOPIC_HANDLERS) - COMPLIANCE_TOPICS))


@dataclass(frozen=True)
class Delivery:
    """One HTTP delivery as Shopify sent it: headers we use and the raw body."""

    topic: str | None
    shop: str | None
    webhook_id: str | None
    event_id: str | None
    api_version: str | None
    triggered_at: str | None
    hmac: str | None
    body: bytes


@dataclass(frozen=True)
class Receipt:
    """What to answer Shopify: an HTTP status and a short machine-readable outcome."""

    status: int
    outcome: str
    detail: str | None = None


def _check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_NESTING:
        raise InvalidInput(f"nests deeper than {MAX_NESTING} levels", "body")
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


def parse_body(body: bytes) -> dict[str, Any]:
    """Parse a webhook body: UTF-8 JSON object, exact decimals, bounded nesting."""
    try:
        text = body.decode("utf-8")
        parsed = json.loads(text, parse_float=Decimal)
    except UnicodeDecodeError as exc:
        raise InvalidInput("is not valid UTF-8", "body") from exc
    except (ValueError, RecursionError) as exc:
        # ValueError covers malformed JSON and integers too long to convert.
        raise InvalidInput("is not valid JSON", "body") from exc
    if not isinstance(parsed, dict):
        raise InvalidInput("must be a JSON object", "body")
    _check_depth(parsed)
    return parsed


def receive_webhook(
    delivery: Delivery,
    *,
    secrets: tuple[str, ...],
    store: DynamoStore,
    queue: WebhookQueue,
    clock: Clock,
    metrics: Metrics,
    dedupe_ttl: timedelta,
) -> Receipt:
    """Authenticate, validate, record once and queue one delivery. Never raises for bad input."""
    if not verify_webhook_hmac(delivery.body, delivery.hmac, secrets):
        # Nothing about an unauthenticated request is stored or logged but the fact.
        logger.warning("webhook rejected: HMAC missing or wrong")
        metrics.count("WebhooksRejected", reason="hmac")
        return Receipt(401, "unauthorized", "X-Shopify-Hmac-Sha256 does not match the body")
    try:
        shop = ensure_shop_domain(delivery.shop, "X-Shopify-Shop-Domain")
        topic = (delivery.topic or "").strip()
        if not _TOPIC_RE.match(topic):
            raise InvalidInput("must name a webhook topic like orders/create", "X-Shopify-Topic")
        webhook_id = (delivery.webhook_id or "").strip()
        if not _WEBHOOK_ID_RE.match(webhook_id):
            raise InvalidInput("is required", "X-Shopify-Webhook-Id")
        event_id = (delivery.event_id or "").strip() or None
        if event_id and not _WEBHOOK_ID_RE.match(event_id):
            raise InvalidInput("is malformed", "X-Shopify-Event-Id")
        parse_body(delivery.body)
    except InvalidInput as exc:
        logger.info(
            "webhook refused",
            extra={"shop": delivery.shop if delivery.shop else None, "error": str(exc)},
        )
        metrics.count("WebhooksRejected", reason="invalid")
        return Receipt(400, "invalid", str(exc))

    log = {"shop": shop, "topic": topic, "webhook_id": webhook_id}
    if topic not in TOPIC_HANDLERS:
        logger.info("webhook topic not handled; acknowledged", extra=log)
        metrics.count("WebhooksIgnored", topic=topic)
        return Receipt(200, "ignored", f"topic {topic} is not handled")

    now = clock.now()
    try:
        store.record_webhook(
            shop=shop,
            webhook_id=webhook_id,
            event_id=event_id,
            topic=topic,
            body=delivery.body,
            api_version=delivery.api_version,
            triggered_at=delivery.triggered_at,
            received_at=now,
            expires_at=int((now + dedupe_ttl).timestamp()),
        )
    except DuplicateWebhook:
        logger.info("duplicate webhook acknowledged", extra=log)
        metrics.count("WebhooksDuplicate", topic=topic)
        return Receipt(200, "duplicate")
    except UpstreamError as exc:
        logger.warning("webhook not stored; Shopify will retry", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="store")
        return Receipt(503, "unavailable", "storage is unavailable; retry later")

    try:
        queue.enqueue(shop, webhook_id)
    except UpstreamError as exc:
        # Undo the record so that Shopify's retry is processed rather than deduped away.
        try:
            store.release_webhook(shop, webhook_id, topic, event_id)
        except UpstreamError:
            logger.error("webhook neither queued nor released", extra=log)
        logger.warning("webhook not queued; Shopify will retry", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="queue")
        return Receipt(503, "unavailable", "queue is unavailable; retry later")

    logger.info("webhook accepted", extra=log)
    metrics.count("WebhooksReceived", topic=topic)
    return Receipt(200, "accepted")


def process_webhook(
    shop: str,
    webhook_id: str,
    *,
    deps: HandlerDeps,
    metrics: Metrics,
    final_attempt: bool = False,
) -> str:
    """Apply a stored delivery by its topic; idempotent. Raises UpstreamError(retryable) to be retried.

    Returns what happened: processed, already-processed, missing, or failed
    (permanently bad input, parked and not retried).
    """
    store, clock = deps.store, deps.clock
    record = store.get_webhook(shop, webhook_id)
    if record is None:
        return "missing"  # expired, or erased by shop/redact
    if record.status == "processed" or record.body is None:
        return "already-processed"
    log = {"shop": shop, "topic": record.topic, "webhook_id": webhook_id}
    handler = TOPIC_HANDLERS.get(record.topic)
    try:
        if handler is None:
            raise InvalidInput(f"topic {record.topic} is not handled", "topic")
        handler(deps, shop, parse_body(record.body))
    except InvalidInput as exc:
        store.mark_webhook_failed(shop, webhook_id, str(exc), final=True)
        logger.error("webhook payload rejected; parked", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="process", topic=record.topic)
        return "failed"
    except UpstreamError as exc:
        store_error = str(exc)
        try:
            store.mark_webhook_failed(shop, webhook_id, store_error, final=final_attempt)
        except UpstreamError:
            pass
        logger.warning("webhook processing failed; will retry", extra={**log, "error": store_error})
        raise
    store.mark_webhook_processed(shop, webhook_id, clock.now())
    metrics.count("WebhooksProcessed", topic=record.topic)
    return "processed"
