"""Lambda entry point for queued webhooks (SQS): one stored delivery per record.

Reports partial batch failures, so only the records that failed are retried
(and dead-lettered after the queue's maxReceiveCount). The event source needs
`FunctionResponseTypes: [ReportBatchItemFailures]`.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from app.container import get_container
from app.observability import logger

processor = BatchProcessor(event_type=EventType.SQS)


def _process_record(record: SQSRecord) -> str:
    message = json.loads(record.body)
    receive_count = int(record.attributes.approximate_receive_count or "1")
    # A retryable failure raises and the record goes back to the queue.
    return get_container().process_webhook(
        message["shop"], message["webhook_id"], final_attempt=receive_count >= 5
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=_process_record, processor=processor, context=context
    )
