"""handlers.queue: the SQS Lambda entry point processing stored deliveries from DynamoDB Local."""

import json
from datetime import UTC, datetime, timedelta

import pytest

import app.container as container_module
from app.domain.orders import parse_order
from handlers import queue as queue_handler
from tests.support.lambda_context import LambdaContext
from tests.support.shopify import payload_bytes


def _sqs_event(*refs):
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"rh{i}",
                "body": json.dumps({"shop": shop, "key": wid}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hemline-prod-webhooks",
                "awsRegion": "us-east-1",
            }
            for i, (shop, wid) in enumerate(refs)
        ]
    }


@pytest.fixture
def lambda_container(container, monkeypatch):
    monkeypatch.setattr(container_module, "get_container", lambda: container)
    monkeypatch.setattr(queue_handler, "get_container", lambda: container)
    return container


def _record(store, shop, webhook_id, topic, body):
    now = datetime.now(UTC)
    store.record_webhook(
        shop=shop,
        key=webhook_id,  # no event id: the delivery id is the key
        webhook_id=webhook_id,
        event_id=None,
        topic=topic,
        body=body,
        api_version="2026-04",
        triggered_at=None,
        received_at=now,
        expires_at=int((now + timedelta(days=7)).timestamp()),
    )


def test_sqs_batch_processes_each_stored_delivery(lambda_container, shop):
    store = lambda_container.store
    _record(store, shop, "q-1", "orders/create", payload_bytes("orders/create"))
    _record(store, shop, "q-2", "fulfillments/create", payload_bytes("fulfillments/create"))
    result = queue_handler.handler(_sqs_event((shop, "q-1"), (shop, "q-2")), LambdaContext())
    assert result == {"batchItemFailures": []}
    view = store.get_order(shop, 820982911946154508)
    assert view is not None and len(view.fulfillments) == 1
    assert store.get_webhook(shop, "q-1").status == "processed"


def test_redelivered_sqs_message_has_no_second_effect(lambda_container, shop):
    store = lambda_container.store
    _record(store, shop, "q-1", "refunds/create", payload_bytes("refunds/create"))
    queue_handler.handler(_sqs_event((shop, "q-1")), LambdaContext())
    queue_handler.handler(_sqs_event((shop, "q-1")), LambdaContext())
    store.save_order(shop, parse_order(json.loads(payload_bytes("orders/create"))))
    assert len(store.get_order(shop, 820982911946154508).refunds) == 1


def test_store_outage_reports_only_the_failed_record_for_retry(lambda_container, shop, monkeypatch):
    from app.errors import UpstreamError

    store = lambda_container.store
    _record(store, shop, "q-1", "orders/create", payload_bytes("orders/create"))
    real_get = store.get_webhook

    def flaky(s, webhook_id):
        if webhook_id == "q-9":
            raise UpstreamError("DynamoDB unreachable", retryable=True)
        return real_get(s, webhook_id)

    monkeypatch.setattr(store, "get_webhook", flaky)
    result = queue_handler.handler(_sqs_event((shop, "q-1"), (shop, "q-9")), LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert real_get(shop, "q-1").status == "processed"
