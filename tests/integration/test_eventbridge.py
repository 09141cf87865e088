"""Shopify's EventBridge deliveries, routed by the partner bus's rule to the webhook queue:
handlers.queue records each once (as HTTPS ingress does) and processes it, on DynamoDB Local.

Each event wraps one of Shopify's real sample bodies the way Shopify's EventBridge
integration does: `detail.payload` is the body, `detail.metadata` the HTTPS headers.
"""

import json

import pytest

import app.container as container_module
from app.errors import UpstreamError
from app.services import webhooks
from handlers import queue as queue_handler
from tests.conftest import TEST_SECRET
from tests.support.eventbridge import eventbridge_event
from tests.support.lambda_context import LambdaContext
from tests.support.shopify import payload_bytes, signed_headers
from tests.support.webhooks import recorded

ORDER_ID = 820982911946154508


def sqs_event(*bodies, receive_count="1"):
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"rh{i}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": receive_count},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hemline-prod-webhooks",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


@pytest.fixture
def lambda_container(container, monkeypatch):
    monkeypatch.setattr(container_module, "get_container", lambda: container)
    monkeypatch.setattr(queue_handler, "get_container", lambda: container)
    return container


@pytest.fixture
def order_handler_calls(monkeypatch):
    """How many times the orders/create topic handler really ran."""
    calls = []
    real = webhooks.TOPIC_HANDLERS["orders/create"]

    def counting(deps, shop, body):
        calls.append(shop)
        return real(deps, shop, body)

    monkeypatch.setitem(webhooks.TOPIC_HANDLERS, "orders/create", counting)
    return calls


def emf_metrics(capsys):
    """(metric name, dimensions) of every EMF record printed so far."""
    out = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            record = json.loads(line)
            for m in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                dims = record["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
                out.append((m["Name"], {d: record[d] for d in dims}))
    return out


def test_eventbridge_order_is_stored_and_processed_once_when_delivered_three_times(
    lambda_container, shop, order_handler_calls, capsys
):
    # GIVEN one Shopify delivery that EventBridge (at least once) hands over three times
    event = eventbridge_event("orders/create", shop, webhook_id="eb-1")
    # WHEN each copy reaches the queue consumer
    for _ in range(3):
        result = queue_handler.handler(sqs_event(event), LambdaContext())
        assert result == {"batchItemFailures": []}
    # THEN the order is stored, its delivery recorded as processed, and it was applied once
    store = lambda_container.store
    view = store.get_order(shop, ORDER_ID)
    assert view is not None and view.order.name == "#9999"
    assert recorded(store, shop, "eb-1").status == "processed"
    assert order_handler_calls == [shop]
    names = [name for name, _ in emf_metrics(capsys)]
    assert names.count("WebhooksReceived") == 1
    assert names.count("WebhooksDuplicate") == 2
    assert names.count("WebhooksProcessed") == 1


def test_same_webhook_over_https_after_eventbridge_is_a_duplicate(
    lambda_container, client, drain, shop, order_handler_calls
):
    # (one delivery: the same delivery id and event id however it travels)
    event = eventbridge_event("orders/create", shop, webhook_id="both-1", event_id="ev-both")
    queue_handler.handler(sqs_event(event), LambdaContext())
    body = payload_bytes("orders/create")
    res = client.post(
        "/webhooks",
        data=body,
        headers=signed_headers(
            "orders/create",
            body,
            shop=shop,
            secret=TEST_SECRET,
            webhook_id="both-1",
            event_id="ev-both",
        ),
    )
    drain()
    assert res.status_code == 200 and res.json == {"outcome": "duplicate"}
    assert order_handler_calls == [shop]


def test_eventbridge_after_https_delivery_of_the_same_event_applies_nothing_more(
    lambda_container, client, drain, shop, order_handler_calls
):
    # GIVEN the event arrived over HTTPS first (another subscription: another delivery id)
    body = payload_bytes("orders/create")
    headers = signed_headers(
        "orders/create", body, shop=shop, secret=TEST_SECRET, webhook_id="h-1", event_id="ev-1"
    )
    assert client.post("/webhooks", data=body, headers=headers).json == {"outcome": "accepted"}
    drain()
    # WHEN EventBridge delivers the same event under its own delivery id
    event = eventbridge_event("orders/create", shop, webhook_id="eb-2", event_id="ev-1")
    result = queue_handler.handler(sqs_event(event), LambdaContext())
    # THEN it is acknowledged as a duplicate by its event id
    assert result == {"batchItemFailures": []}
    assert recorded(lambda_container.store, shop, "eb-2") is None
    assert order_handler_calls == [shop]


def test_unknown_topic_is_acknowledged_and_not_stored(lambda_container, shop, capsys):
    event = eventbridge_event(
        "products/update", shop, webhook_id="eb-p", payload=b'{"id": 1, "title": "Smock"}'
    )
    result = queue_handler.handler(sqs_event(event), LambdaContext())
    assert result == {"batchItemFailures": []}
    assert recorded(lambda_container.store, shop, "eb-p") is None
    assert ("WebhooksIgnored", {"service": "hemline", "topic": "products/update"}) in emf_metrics(
        capsys
    )


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: e["detail"]["metadata"].pop("X-Shopify-Shop-Domain"),
        lambda e: e["detail"]["metadata"].update({"X-Shopify-Shop-Domain": "evil.example.com"}),
        lambda e: e["detail"]["metadata"].pop("X-Shopify-Webhook-Id"),
        lambda e: e["detail"]["metadata"].update({"X-Shopify-Topic": "ORDERS CREATE"}),
        lambda e: e["detail"].update({"payload": ["not", "an", "object"]}),
        lambda e: e["detail"].pop("metadata"),
        lambda e: e.update({"source": "aws.partner/someone-else.com/1/x"}),
        lambda e: e.update({"detail-type": "somethingElse"}),
    ],
    ids=[
        "no-shop",
        "not-a-shop-domain",
        "no-webhook-id",
        "bad-topic",
        "payload-not-object",
        "no-metadata",
        "not-shopify",
        "other-detail-type",
    ],
)
def test_malformed_event_is_dropped_without_failing_the_batch(lambda_container, shop, spoil):
    # GIVEN a batch with a malformed event beside a good one
    bad = eventbridge_event("orders/create", shop, webhook_id="eb-bad")
    spoil(bad)
    good = eventbridge_event("orders/create", shop, webhook_id="eb-good")
    # WHEN the consumer takes the batch
    result = queue_handler.handler(sqs_event(bad, good), LambdaContext())
    # THEN nothing is retried: the bad one is dropped, the good one processed
    assert result == {"batchItemFailures": []}
    assert recorded(lambda_container.store, shop, "eb-bad") is None
    assert recorded(lambda_container.store, shop, "eb-good").status == "processed"


def test_message_that_is_neither_shape_is_dropped(lambda_container, shop, capsys):
    result = queue_handler.handler(
        sqs_event("not json", {"hello": "world"}, ["a", "list"]), LambdaContext()
    )
    assert result == {"batchItemFailures": []}
    rejected = [d for n, d in emf_metrics(capsys) if n == "WebhooksRejected"]
    assert rejected == [{"service": "hemline", "reason": "malformed"}] * 3


def test_store_outage_retries_only_that_event_and_the_retry_processes_it(
    lambda_container, shop, monkeypatch, order_handler_calls
):
    store = lambda_container.store
    real_record = store.record_webhook

    def down_for_orders(**kw):
        if kw["topic"] == "orders/create":
            raise UpstreamError("DynamoDB unreachable", retryable=True)
        return real_record(**kw)

    event = eventbridge_event("orders/create", shop, webhook_id="eb-retry")
    other = eventbridge_event("fulfillments/create", shop, webhook_id="eb-other")
    monkeypatch.setattr(store, "record_webhook", down_for_orders)
    result = queue_handler.handler(sqs_event(other, event), LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert recorded(store, shop, "eb-other").status == "processed"

    monkeypatch.setattr(store, "record_webhook", real_record)
    result = queue_handler.handler(sqs_event(event, receive_count="2"), LambdaContext())
    assert result == {"batchItemFailures": []}
    assert recorded(store, shop, "eb-retry").status == "processed"
    assert order_handler_calls == [shop]


def test_event_recorded_but_not_processed_is_processed_by_the_retry(
    lambda_container, shop, monkeypatch, order_handler_calls
):
    # GIVEN the first attempt recorded the event, then failed while applying it
    def flaky(deps, shop_, body):
        raise UpstreamError("Shopify unreachable", retryable=True)

    real = webhooks.TOPIC_HANDLERS["orders/create"]
    monkeypatch.setitem(webhooks.TOPIC_HANDLERS, "orders/create", flaky)
    event = eventbridge_event("orders/create", shop, webhook_id="eb-half")
    other = eventbridge_event("fulfillments/create", shop, webhook_id="eb-other")
    result = queue_handler.handler(sqs_event(other, event), LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert recorded(lambda_container.store, shop, "eb-half").status == "retrying"
    # WHEN SQS delivers it again (now a duplicate of what was recorded)
    monkeypatch.setitem(webhooks.TOPIC_HANDLERS, "orders/create", real)
    result = queue_handler.handler(sqs_event(event, receive_count="2"), LambdaContext())
    # THEN the retry still applies it
    assert result == {"batchItemFailures": []}
    assert recorded(lambda_container.store, shop, "eb-half").status == "processed"
    assert lambda_container.store.get_order(shop, ORDER_ID) is not None


def test_reference_messages_and_events_share_a_batch(lambda_container, client, drain, shop):
    # GIVEN a delivery stored by HTTPS ingress (its reference is what SQS carries)
    body = payload_bytes("fulfillments/create")
    headers = signed_headers(
        "fulfillments/create", body, shop=shop, secret=TEST_SECRET, webhook_id="ref-1"
    )
    store = lambda_container.store
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lambda_container.queue, "enqueue", lambda s, w: None)  # SQS holds it
        assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    assert recorded(store, shop, "ref-1").status == "received"
    event = eventbridge_event("orders/create", shop, webhook_id="eb-3")
    key = "EVENT#fulfillments/create#" + headers["X-Shopify-Event-Id"]
    # WHEN one batch carries the reference and an EventBridge event
    result = queue_handler.handler(sqs_event({"shop": shop, "key": key}, event), LambdaContext())
    # THEN both are processed
    assert result == {"batchItemFailures": []}
    assert recorded(store, shop, "ref-1").status == "processed"
    assert recorded(store, shop, "eb-3").status == "processed"
    assert len(store.get_order(shop, ORDER_ID).fulfillments) == 1


@pytest.mark.parametrize(
    "topic", ["orders/create", "orders/updated", "fulfillments/create", "refunds/create"]
)
def test_eventbridge_payload_reads_exactly_as_the_https_body(topic):
    # As the consumer sees it: the event went through JSON on its way to SQS.
    event = json.loads(json.dumps(eventbridge_event(topic, "a.myshopify.com", webhook_id="x")))
    delivery = webhooks.delivery_from_eventbridge(event)
    assert webhooks.parse_body(delivery.body) == webhooks.parse_body(payload_bytes(topic))
    assert (delivery.topic, delivery.shop, delivery.webhook_id, delivery.hmac) == (
        topic,
        "a.myshopify.com",
        "x",
        None,
    )


def test_metadata_names_are_read_case_insensitively():
    event = eventbridge_event("orders/create", "a.myshopify.com", webhook_id="x", event_id="e")
    event["detail"]["metadata"] = {k.lower(): v for k, v in event["detail"]["metadata"].items()}
    delivery = webhooks.delivery_from_eventbridge(event)
    assert (delivery.topic, delivery.webhook_id, delivery.event_id) == ("orders/create", "x", "e")


def test_processing_logs_carry_the_webhook_id(lambda_container, shop, monkeypatch):
    import io
    import logging

    from app.observability import logger

    real = webhooks.TOPIC_HANDLERS["orders/create"]

    def logging_handler(deps, shop_, body):
        logger.info("applying order")
        return real(deps, shop_, body)

    monkeypatch.setitem(webhooks.TOPIC_HANDLERS, "orders/create", logging_handler)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger("hemline").addHandler(handler)
    try:
        event = eventbridge_event("orders/create", shop, webhook_id="eb-log")
        queue_handler.handler(sqs_event(event), LambdaContext())
    finally:
        logging.getLogger("hemline").removeHandler(handler)
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    inside = [ln for ln in logs if ln.get("message") == "applying order"]
    assert inside and inside[0]["webhook_id"] == "eb-log" and inside[0]["shop"] == shop
    assert all(ln.get("sqs_message_id") == "m0" for ln in logs)
    assert "jon@example.com" not in stream.getvalue()


def test_event_routed_by_the_templates_rule_through_sqs_is_processed(lambda_container, shop):
    """Template -> moto (queue, rule) -> the consumer -> DynamoDB Local: the shapes agree."""
    import warnings

    import boto3
    from moto import mock_aws

    from infra.local.tables import TEMPLATE, load_template
    from tests.support.eventbridge import SOURCE, eventbridge_detail

    template = load_template()
    rule = template["Resources"]["ShopifyWebhookRule"]["Properties"]
    pattern = {**rule["EventPattern"], "source": [SOURCE]}  # the parameter, resolved
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resources moto's CloudFormation does not model
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(
            StackName="hemline-eb",
            TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": "eb"}],
        )
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cfn.describe_stacks(StackName="hemline-eb")["Stacks"][0]["Outputs"]
        }
        # moto cannot accept a partner event source (its bus name has slashes): a custom
        # bus stands in for it, with the template's rule pattern and target.
        events = boto3.client("events", region_name="us-east-1")
        events.create_event_bus(Name="shopify-stand-in")
        events.put_rule(Name="r", EventBusName="shopify-stand-in", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule="r",
            EventBusName="shopify-stand-in",
            Targets=[{"Id": "webhook-queue", "Arn": outputs["WebhookQueueArn"]}],
        )
        detail = eventbridge_detail("orders/create", shop, webhook_id="eb-routed")
        for detail_type in ("shopifyWebhook", "somethingElse"):
            events.put_events(
                Entries=[
                    {
                        "EventBusName": "shopify-stand-in",
                        "Source": SOURCE,
                        "DetailType": detail_type,
                        "Detail": json.dumps(detail),
                    }
                ]
            )
        sqs = boto3.client("sqs", region_name="us-east-1")
        messages = sqs.receive_message(
            QueueUrl=outputs["WebhookQueueUrl"],
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
        ).get("Messages", [])
    assert len(messages) == 1  # the rule let only Shopify's webhook through
    record = {
        "messageId": messages[0]["MessageId"],
        "receiptHandle": messages[0]["ReceiptHandle"],
        "body": messages[0]["Body"],
        "attributes": messages[0]["Attributes"],
        "messageAttributes": {},
        "md5OfBody": messages[0]["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": outputs["WebhookQueueArn"],
        "awsRegion": "us-east-1",
    }
    result = queue_handler.handler({"Records": [record]}, LambdaContext())
    assert result == {"batchItemFailures": []}
    assert recorded(lambda_container.store, shop, "eb-routed").status == "processed"
    assert lambda_container.store.get_order(shop, ORDER_ID) is not None
