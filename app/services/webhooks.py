"""Webhook ingress and processing: verify, dedupe, store, queue; then apply by topic.

Ingress answers Shopify fast: it authenticates the delivery, records it once
(a conditional write on its delivery id and event id, expiring by TTL) and
queues a reference to it. Processing happens on the worker (SQS in AWS, a
thread pool locally), where every topic handler is idempotent, so a delivery
processed twice has the effect of one.

Shopify can also deliver to Amazon EventBridge: a partner event bus whose rule
sends the whole event to the same SQS queue, where `receive_eventbridge`
records it with the same checks and dedupe and processes it at once. Such an
event carries no HMAC we can check (Shopify signs bytes we do not receive, and
its docs say EventBridge deliveries need no HMAC verification): AWS vouches for
the partner event source, and the trust boundary is the rule that admits only
that source (infra/template.yaml) plus who may send to the queue (the queue
policy admits that rule alone; IAM must keep everyone but the app from it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from app.adapters.dynamo.keys import webhook_key
from app.adapters.dynamo.store import DuplicateWebhook, DynamoStore
from app.clock import Clock
from app.domain.shops import ensure_shop_domain
from app.errors import InvalidInput, UpstreamError
from app.observability import Metrics, log_context, logger
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


def _with_files(
    fn: Callable[..., None],
) -> Handler:
    """A compliance handler that erases files as well as table items."""
    return lambda deps, shop, body: fn(deps.store, deps.clock, shop, body, files=deps.files)


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
    "customers/redact": _with_files(compliance.redact_customer),
    "shop/redact": _with_files(compliance.redact_shop),
}

# Compliance topics are subscribed only through shopify.app.toml (Shopify
# accepts them from nowhere else); every other handled topic is subscribed per
# shop through the Admin API at install and by the daily reconciliation.
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
API_SUBSCRIBED_TOPICS = tuple(sorted(set(TOPIC_HANDLERS) - COMPLIANCE_TOPICS))


@dataclass(frozen=True)
class Delivery:
    """One delivery as Shopify sent it: the headers we use and the body (raw, over HTTPS)."""

    topic: str | None
    shop: str | None
    webhook_id: str | None
    event_id: str | None
    api_version: str | None
    triggered_at: str | None
    hmac: str | None
    body: bytes


@dataclass(frozen=True)
class Checked:
    """The ids of a delivery that passed validation."""

    shop: str
    topic: str
    webhook_id: str
    event_id: str | None

    @property
    def key(self) -> str:
        """What the delivery is recorded and deduplicated by (keys.webhook_key)."""
        return webhook_key(self.webhook_id, self.topic, self.event_id)


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
        checked = check_delivery(delivery)
    except InvalidInput as exc:
        logger.info(
            "webhook refused",
            extra={"shop": delivery.shop if delivery.shop else None, "error": str(exc)},
        )
        metrics.count("WebhooksRejected", reason="invalid")
        return Receipt(400, "invalid", str(exc))

    shop, topic, webhook_id = checked.shop, checked.topic, checked.webhook_id
    log = {"shop": shop, "topic": topic, "webhook_id": webhook_id}
    if topic not in TOPIC_HANDLERS:
        logger.info("webhook topic not handled; acknowledged", extra=log)
        metrics.count("WebhooksIgnored", topic=topic)
        return Receipt(200, "ignored", f"topic {topic} is not handled")

    try:
        fresh = record_delivery(delivery, checked, store=store, clock=clock, dedupe_ttl=dedupe_ttl)
    except UpstreamError as exc:
        logger.warning("webhook not stored; Shopify will retry", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="store")
        return Receipt(503, "unavailable", "storage is unavailable; retry later")
    if not fresh:
        logger.info("duplicate webhook acknowledged", extra=log)
        metrics.count("WebhooksDuplicate", topic=topic)
        return Receipt(200, "duplicate")

    try:
        queue.enqueue(shop, checked.key)
    except UpstreamError as exc:
        # Undo the record so that Shopify's retry is processed rather than deduped away.
        try:
            store.release_webhook(shop, checked.key)
        except UpstreamError:
            logger.error("webhook neither queued nor released", extra=log)
        logger.warning("webhook not queued; Shopify will retry", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="queue")
        return Receipt(503, "unavailable", "queue is unavailable; retry later")

    logger.info("webhook accepted", extra=log)
    metrics.count("WebhooksReceived", topic=topic)
    return Receipt(200, "accepted")


def check_delivery(delivery: Delivery) -> Checked:
    """Validate a delivery's shop, topic, ids and body, whichever way it came; raises InvalidInput."""
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
    return Checked(shop, topic, webhook_id, event_id)


def record_delivery(
    delivery: Delivery,
    checked: Checked,
    *,
    store: DynamoStore,
    clock: Clock,
    dedupe_ttl: timedelta,
) -> bool:
    """Record a checked delivery once; False when its dedupe key was seen already.

    Raises UpstreamError when the store is unavailable.
    """
    now = clock.now()
    try:
        store.record_webhook(
            shop=checked.shop,
            key=checked.key,
            webhook_id=checked.webhook_id,
            event_id=checked.event_id,
            topic=checked.topic,
            body=delivery.body,
            api_version=delivery.api_version,
            triggered_at=delivery.triggered_at,
            received_at=now,
            expires_at=int((now + dedupe_ttl).timestamp()),
        )
    except DuplicateWebhook:
        return False
    return True


# Shopify's EventBridge deliveries ("Amazon EventBridge webhook delivery",
# https://shopify.dev/docs/apps/webhooks/configuration/eventbridge): events from the
# partner event source aws.partner/shopify.com/<app id>/<source name>, with
#   {"version": "0", "id": ..., "detail-type": "shopifyWebhook", "source": ...,
#    "account": ..., "time": ..., "region": ..., "resources": [],
#    "detail": {"payload": {<the topic's JSON body>},
#               "metadata": {"Content-Type": ..., "X-Shopify-Topic": ...,
#                            "X-Shopify-Shop-Domain": ..., "X-Shopify-Webhook-Id": ...,
#                            "X-Shopify-Event-Id": ..., "X-Shopify-API-Version": ...,
#                            "X-Shopify-Triggered-At": ..., "X-Shopify-Hmac-SHA256": ...}}}
# The metadata are the HTTPS delivery's headers; Shopify says to treat header names
# case-insensitively (https://shopify.dev/docs/apps/build/webhooks/delivery-structure),
# so they are matched that way here too. Topic, shop and webhook id are required, the
# rest optional, as over HTTPS. "HMAC verification applies to HTTPS deliveries only"
# (https://shopify.dev/docs/apps/build/events/verify-deliveries): the HMAC in the
# metadata is over bytes that were re-serialised on the way, so it is not checked.
EVENTBRIDGE_DETAIL_TYPE = "shopifyWebhook"
EVENTBRIDGE_SOURCE_PREFIX = "aws.partner/shopify.com/"


def is_eventbridge_event(message: Mapping[str, Any]) -> bool:
    """Whether a queued message is an EventBridge event (else Hemline's own reference)."""
    return "detail-type" in message and "detail" in message


def delivery_from_eventbridge(event: Mapping[str, Any]) -> Delivery:
    """The delivery inside a Shopify EventBridge event; raises InvalidInput when malformed."""
    if event.get("detail-type") != EVENTBRIDGE_DETAIL_TYPE:
        raise InvalidInput(f"must be {EVENTBRIDGE_DETAIL_TYPE}", "detail-type")
    source = event.get("source")
    if not isinstance(source, str) or not source.startswith(EVENTBRIDGE_SOURCE_PREFIX):
        raise InvalidInput("is not a Shopify partner event source", "source")
    detail = event.get("detail")
    metadata = detail.get("metadata") if isinstance(detail, dict) else None
    payload = detail.get("payload") if isinstance(detail, dict) else None
    if not isinstance(metadata, dict):
        raise InvalidInput("must be an object", "detail.metadata")
    if not isinstance(payload, dict):
        raise InvalidInput("must be a JSON object", "detail.payload")
    _check_depth(payload)
    headers = {str(k).lower(): v for k, v in metadata.items() if isinstance(v, str)}
    # Stored as the HTTPS body would be, so one parser and one processor serve both.
    # Numbers came through json.loads as float and go back out as their shortest
    # repr, the digits Shopify sent; money is in strings anyway.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Delivery(
        topic=headers.get("x-shopify-topic"),
        shop=headers.get("x-shopify-shop-domain"),
        webhook_id=headers.get("x-shopify-webhook-id"),
        event_id=headers.get("x-shopify-event-id"),
        api_version=headers.get("x-shopify-api-version"),
        triggered_at=headers.get("x-shopify-triggered-at"),
        hmac=None,
        body=body,
    )


def receive_eventbridge(
    event: Mapping[str, Any],
    *,
    deps: HandlerDeps,
    metrics: Metrics,
    dedupe_ttl: timedelta,
    final_attempt: bool = False,
) -> str:
    """Record a Shopify EventBridge delivery once, as ingress does, and process it now.

    Returns invalid (malformed: dropped, retrying cannot help), ignored (a topic not
    handled), duplicate, or what process_webhook returns. Raises UpstreamError
    (retryable) when the store is unavailable or processing should be retried.
    """
    try:
        delivery = delivery_from_eventbridge(event)
        checked = check_delivery(delivery)
    except InvalidInput as exc:
        logger.warning(
            "EventBridge webhook refused; dropped",
            extra={"eventbridge_id": str(event.get("id")), "error": str(exc)},
        )
        metrics.count("WebhooksRejected", reason="invalid")
        return "invalid"

    log = {"shop": checked.shop, "topic": checked.topic, "webhook_id": checked.webhook_id}
    if checked.topic not in TOPIC_HANDLERS:
        logger.info("webhook topic not handled; acknowledged", extra=log)
        metrics.count("WebhooksIgnored", topic=checked.topic)
        return "ignored"
    try:
        fresh = record_delivery(
            delivery, checked, store=deps.store, clock=deps.clock, dedupe_ttl=dedupe_ttl
        )
    except UpstreamError as exc:
        logger.warning("webhook not stored; SQS will retry", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="store")
        raise
    if fresh:
        logger.info("webhook accepted", extra={**log, "delivery": "eventbridge"})
        metrics.count("WebhooksReceived", topic=checked.topic)
    else:
        logger.info("duplicate webhook", extra={**log, "delivery": "eventbridge"})
        metrics.count("WebhooksDuplicate", topic=checked.topic)
    # Processed even when a duplicate: this may be SQS retrying this very event after
    # its processing failed, and processing a processed delivery does nothing.
    outcome = process_webhook(
        checked.shop, checked.key, deps=deps, metrics=metrics, final_attempt=final_attempt
    )
    if not fresh and outcome == "already-processed":
        return "duplicate"
    return outcome


def process_webhook(
    shop: str,
    key: str,
    *,
    deps: HandlerDeps,
    metrics: Metrics,
    final_attempt: bool = False,
) -> str:
    """Apply the delivery stored under `key` by its topic; idempotent. Raises
    UpstreamError(retryable) to be retried.

    Returns what happened: processed, already-processed, missing, or failed
    (permanently bad input, parked and not retried).
    """
    with log_context(shop=shop, webhook_key=key):
        return _process(shop, key, deps=deps, metrics=metrics, final_attempt=final_attempt)


def _process(
    shop: str, key: str, *, deps: HandlerDeps, metrics: Metrics, final_attempt: bool
) -> str:
    store, clock = deps.store, deps.clock
    record = store.get_webhook(shop, key)
    if record is None:
        return "missing"  # expired, or erased by shop/redact
    if record.status == "processed" or record.body is None:
        return "already-processed"
    log = {"shop": shop, "topic": record.topic, "webhook_id": record.webhook_id}
    handler = TOPIC_HANDLERS.get(record.topic)
    try:
        if handler is None:
            raise InvalidInput(f"topic {record.topic} is not handled", "topic")
        with log_context(webhook_id=record.webhook_id):
            handler(deps, shop, parse_body(record.body))
    except InvalidInput as exc:
        store.mark_webhook_failed(shop, key, str(exc), final=True)
        logger.error("webhook payload rejected; parked", extra={**log, "error": str(exc)})
        metrics.count("WebhooksFailed", stage="process", topic=record.topic)
        return "failed"
    except UpstreamError as exc:
        store_error = str(exc)
        try:
            store.mark_webhook_failed(shop, key, store_error, final=final_attempt)
        except UpstreamError:
            pass
        logger.warning("webhook processing failed; will retry", extra={**log, "error": store_error})
        raise
    store.mark_webhook_processed(shop, key, clock.now())
    metrics.count("WebhooksProcessed", topic=record.topic)
    return "processed"
