"""Without Java, the local stack falls back to moto's server, says so, and still creates the table."""

import boto3

from infra.local import dynamodb_local
from infra.local.tables import ensure_table


def test_falls_back_to_moto_server_when_java_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(dynamodb_local.shutil, "which", lambda name: None)
    handle = dynamodb_local.start(in_memory=True)
    try:
        assert handle.kind == "moto"
        assert "Java was not found" in capsys.readouterr().err
        client = boto3.client(
            "dynamodb",
            endpoint_url=handle.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        assert ensure_table(client, "hemline") is True
        assert ensure_table(client, "hemline") is False  # idempotent
        indexes = client.describe_table(TableName="hemline")["Table"]["GlobalSecondaryIndexes"]
        assert {i["IndexName"] for i in indexes} == {"GSI1", "GSI2", "GSI3"}
    finally:
        handle.stop()
    assert handle.process.poll() is not None
