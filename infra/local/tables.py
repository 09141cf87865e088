"""Create the app's DynamoDB table from infra/template.yaml, the one source of truth.

Used by `make run`, the test suite and the benchmarks against DynamoDB Local
(or moto's server). Reads the template's `AWS::DynamoDB::Table` resource and
turns its properties into CreateTable and UpdateTimeToLive calls.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Safe loader that keeps CloudFormation's short-form tags (!Ref, !Sub...) as plain data."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def table_definition(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Properties of the template's single DynamoDB table."""
    template = template or load_template()
    tables = [
        r["Properties"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::DynamoDB::Table"
    ]
    if len(tables) != 1:
        raise ValueError(
            f"expected exactly one AWS::DynamoDB::Table in the template, found {len(tables)}"
        )
    return tables[0]


def create_table_kwargs(table_name: str, props: dict[str, Any] | None = None) -> dict[str, Any]:
    props = props or table_definition()
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return kwargs


def ensure_table(client: Any, table_name: str, *, timeout_s: float = 30.0) -> bool:
    """Create the table (and its TTL setting) if it does not exist; True when it was created."""
    props = table_definition()
    try:
        client.describe_table(TableName=table_name)
        created = False
    except client.exceptions.ResourceNotFoundException:
        try:
            client.create_table(**create_table_kwargs(table_name, props))
            created = True
        except client.exceptions.ResourceInUseException:
            created = False  # created by a concurrent caller
    deadline = time.monotonic() + timeout_s
    while client.describe_table(TableName=table_name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table_name} did not become ACTIVE within {timeout_s:.0f}s")
        time.sleep(0.2)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    return created
