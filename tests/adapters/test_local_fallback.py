"""Without Java, the local stack falls back to moto's server, says so, and still creates the table."""

import socket

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


def test_a_free_port_is_outside_the_range_outgoing_connections_take():
    # An outgoing connection can be handed a port from the kernel's ephemeral range between
    # the pick and the server's bind ("address already in use"): picks stay below it.
    low = dynamodb_local._ephemeral_low()
    ports = {dynamodb_local.free_port() for _ in range(20)}
    assert all(dynamodb_local._FIRST_FIXED_PORT <= p < low for p in ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports.pop()))  # and it can be bound
