"""infra/template.yaml deployed on moto's CloudFormation, and checked against the code that
relies on it: queues, bucket, table and key from the template itself; the EventBridge
route and the alarms naming what the code emits."""

import json
import warnings

import boto3
import pytest
from moto import mock_aws

from app.observability import NAMESPACE, SERVICE
from app.services import backorders, delays, sla, webhooks
from handlers import queue as queue_handler
from infra.local.tables import TEMPLATE, create_table_kwargs, load_template

SOURCE = "aws.partner/shopify.com/1234567/hemline-test"


@pytest.fixture(scope="module")
def template():
    return load_template()


@pytest.fixture
def stack():
    """The template's stack on moto (default parameters: HTTPS delivery only)."""
    with mock_aws(), warnings.catch_warnings():
        # Alarms and the bucket policy are not modelled by moto's CloudFormation.
        warnings.simplefilter("ignore")
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(
            StackName="hemline-test",
            TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": "test"}],
        )
        described = cfn.describe_stacks(StackName="hemline-test")["Stacks"][0]
        assert described["StackStatus"] == "CREATE_COMPLETE"
        yield {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def test_webhook_queue_redrives_to_its_dead_letter_queue_after_the_consumers_last_try(stack):
    sqs = boto3.client("sqs", region_name="us-east-1")
    attrs = sqs.get_queue_attributes(QueueUrl=stack["WebhookQueueUrl"], AttributeNames=["All"])[
        "Attributes"
    ]
    dlq = sqs.get_queue_attributes(
        QueueUrl=stack["WebhookDeadLetterQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq,
        # handlers.queue parks a failure on the try before SQS dead-letters it.
        "maxReceiveCount": queue_handler.MAX_RECEIVES,
    }
    assert attrs["VisibilityTimeout"] == "180" and attrs["SqsManagedSseEnabled"] == "true"
    assert stack["WebhookQueueArn"] == attrs["QueueArn"]


def test_files_bucket_is_encrypted(stack):
    s3 = boto3.client("s3", region_name="us-east-1")
    rules = s3.get_bucket_encryption(Bucket=stack["FilesBucketName"])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_lifecycle_covers_the_prefixes_the_file_store_writes(template):
    """moto ignores the lifecycle, so it is read from the template: one rule per key prefix."""
    from app.adapters.files import label_key, photos_prefix

    bucket = template["Resources"]["FilesBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    prefixes = {
        r["Prefix"]: r["ExpirationInDays"]
        for r in bucket["LifecycleConfiguration"]["Rules"]
        if "Prefix" in r
    }
    assert label_key("a.myshopify.com", "RMA1").startswith("labels/")
    assert photos_prefix("a.myshopify.com", "RMA1").startswith("photos/")
    assert prefixes == {"labels/": 365, "photos/": 400}


def test_table_is_the_one_the_local_stack_creates(stack):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    table = ddb.describe_table(TableName=stack["TableName"])["Table"]
    expected = create_table_kwargs(stack["TableName"])
    assert table["KeySchema"] == expected["KeySchema"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"] for i in expected["GlobalSecondaryIndexes"]
    }


def test_token_key_rotates(stack):
    kms = boto3.client("kms", region_name="us-east-1")
    assert kms.get_key_rotation_status(KeyId=stack["TokenKeyId"])["KeyRotationEnabled"]


def test_eventbridge_resources_exist_only_with_an_event_source(template):
    gated = {
        name for name, r in template["Resources"].items() if r.get("Condition") == "UseEventBridge"
    }
    assert gated == {"ShopifyEventBus", "ShopifyWebhookRule", "WebhookQueuePolicy"}
    assert template["Parameters"]["ShopifyEventSourceName"]["Default"] == ""


def test_partner_bus_rule_sends_shopify_webhooks_to_the_webhook_queue(template):
    res = template["Resources"]
    bus = res["ShopifyEventBus"]["Properties"]
    assert bus == {
        "Name": {"Ref": "ShopifyEventSourceName"},
        "EventSourceName": {"Ref": "ShopifyEventSourceName"},
    }
    rule = res["ShopifyWebhookRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "ShopifyEventBus"}
    # The pattern admits exactly what the consumer recognises as Shopify's.
    assert rule["EventPattern"] == {
        "source": [{"Ref": "ShopifyEventSourceName"}],
        "detail-type": [webhooks.EVENTBRIDGE_DETAIL_TYPE],
    }
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": "WebhookQueue.Arn"}]


def test_source_parameter_accepts_only_shopify_partner_sources(template):
    import re

    allowed = re.compile(template["Parameters"]["ShopifyEventSourceName"]["AllowedPattern"])
    assert allowed.match(SOURCE) and SOURCE.startswith(webhooks.EVENTBRIDGE_SOURCE_PREFIX)
    assert allowed.match("")
    assert not allowed.match("aws.partner/example.com/1/x")


def test_queue_policy_lets_only_the_rule_send(template):
    policy = template["Resources"]["WebhookQueuePolicy"]["Properties"]
    assert {"Ref": "WebhookQueue"} in policy["Queues"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": "ShopifyWebhookRule.Arn"}}
    }


def _alarms(template):
    return {
        name: r["Properties"]
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_dead_letter_alarm_watches_the_dead_letter_queue(template):
    alarm = _alarms(template)["WebhookDeadLettersAlarm"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": "WebhookDeadLetterQueue.QueueName"}}
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_error_rate_alarm_divides_errors_by_invocations_of_the_function(template):
    alarm = _alarms(template)["LambdaErrorRateAlarm"]
    stats = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"Errors", "Invocations"}
    assert all(
        s["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "FunctionName"}}]
        and s["Period"] == 300
        for s in stats.values()
    )
    assert template["Parameters"]["FunctionName"]["Default"] == "hemline-prod"
    assert alarm["Threshold"] == 5


def test_sweep_lag_alarm_reads_what_the_sweeps_emit(template):
    """Every kind of due work the sweeps run, by the name and dimensions run_due emits."""
    alarm = _alarms(template)["SweepLagAlarm"]
    metrics = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert {m["Namespace"] for m in metrics} == {NAMESPACE}
    assert {m["MetricName"] for m in metrics} == {"SweepLagSeconds"}
    kinds = set()
    for m in metrics:
        dims = {d["Name"]: d["Value"] for d in m["Dimensions"]}
        assert dims.keys() == {"service", "kind"} and dims["service"] == SERVICE
        kinds.add(dims["kind"])
    assert kinds == {backorders.KIND, delays.KIND, sla.DIGEST}
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["Threshold"] == 3600


def test_every_alarm_notifies_the_optional_topic(template):
    for name, alarm in _alarms(template).items():
        for actions in ("AlarmActions", "OKActions"):
            assert alarm[actions] == {
                "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
            }, name
