"""Lambda entry point for the webhook queue (SQS): one delivery per record.

A record's body is either Hemline's reference to a delivery that ingress stored
(`{"shop", "key"}`, the delivery's dedupe key) or, when Shopify delivers through Amazon EventBridge,
the whole EventBridge event that the partner bus's rule sent to this queue
(recorded once, then processed in place). Reports partial batch failures, so
only the records that failed are retried (and dead-lettered after the queue's
maxReceiveCount). The event source needs
`FunctionResponseTypes: [ReportBatchItemFailures]`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from app.container import get_container
from app.observability import log_context, logger, trace_lambda_handler
from app.services import webhooks

processor = BatchProcessor(event_type=EventType.SQS)

# The queue's maxReceiveCount (infra/template.yaml): the last try parks a failure.
MAX_RECEIVES = 5


def _decode(body: str) -> dict[str, Any] | None:
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def _process_record(record: SQSRecord) -> str:
    with log_context(sqs_message_id=record.message_id):
        message = _decode(record.body)
        final = int(record.attributes.approximate_receive_count or "1") >= MAX_RECEIVES
        c = get_container()
        # A retryable failure raises and the record goes back to the queue.
        if message is not None and webhooks.is_eventbridge_event(message):
            return webhooks.receive_eventbridge(
                message,
                deps=c.handler_deps(),
                metrics=c.metrics,
                dedupe_ttl=timedelta(days=c.settings.webhook_dedupe_ttl_days),
                final_attempt=final,
            )
        if (
            message is not None
            and isinstance(message.get("shop"), str)
            and isinstance(message.get("key"), str)
        ):
            return c.process_webhook(message["shop"], message["key"], final_attempt=final)
        # Neither shape: no retry can make sense of it. Its body is not logged (it
        # may hold customer data), only that it was dropped.
        logger.error("queued message not understood; dropped")
        c.metrics.count("WebhooksRejected", reason="malformed")
        return "invalid"


@logger.inject_lambda_context(clear_state=True)
@trace_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=_process_record, processor=processor, context=context
    )
