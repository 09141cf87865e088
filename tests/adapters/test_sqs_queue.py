"""The SQS webhook queue and the Lambda consumer, on moto's SQS."""

import json
import uuid

import boto3
import pytest
from moto import mock_aws

from app.adapters.queues import SqsWebhookQueue
from app.errors import UpstreamError


@pytest.fixture
def sqs():
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def test_enqueue_sends_only_a_reference(sqs):
    url = sqs.create_queue(QueueName="hemline-test-webhooks")["QueueUrl"]
    SqsWebhookQueue(sqs, url).enqueue("a.myshopify.com", "w-1")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"shop": "a.myshopify.com", "key": "w-1"}]


def test_enqueue_to_missing_queue_is_retryable_upstream_error(sqs):
    queue = SqsWebhookQueue(
        sqs, f"https://sqs.us-east-1.amazonaws.com/123456789012/{uuid.uuid4().hex}"
    )
    with pytest.raises(UpstreamError) as err:
        queue.enqueue("a.myshopify.com", "w-1")
    assert err.value.retryable
