"""The effect ledger: one item per side effect, so a retry never performs it twice.

A side effect (buy a label, send an email, refund, credit) first *claims* its
idempotency key with a conditional put. The claim records when it started and,
for providers without idempotency keys, the reference the purchase was made
under; on retry the caller finds the claim and looks the result up by that
reference instead of buying again. `complete` stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from app.adapters.dynamo import keys
from app.adapters.dynamo.store import DynamoStore, _dump, _load, _values


@dataclass(frozen=True)
class EffectRecord:
    key: str
    status: str  # "started" | "done"
    started_at: str
    attempts: int
    data: dict[str, Any]
    result: dict[str, Any] | None


def effect_sk(key: str) -> str:
    return f"EFFECT#{key}"


class DynamoLedger:
    """Idempotency ledger for side effects, in the app's single table (scoped by shop)."""

    def __init__(self, store: DynamoStore):
        self._store = store

    def claim(
        self, shop: str, key: str, *, at: datetime, data: dict[str, Any] | None = None
    ) -> EffectRecord | None:
        """Claim `key`; returns None when this caller is first, else the existing record."""
        item = {
            "PK": keys.shop_pk(shop),
            "SK": effect_sk(key),
            "type": "effect",
            "status": "started",
            "started_at": at.isoformat(),
            "attempts": 1,
            "data": data or {},
        }
        try:
            self._store._call(
                "put_item",
                Item=_dump(item),
                # The first claim wins; every retry (or a concurrent worker) sees it.
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError:
            existing = self.get(shop, key)
            if existing is not None and existing.status == "started":
                try:
                    self._store._call(
                        "update_item",
                        Key=_dump({"PK": item["PK"], "SK": item["SK"]}),
                        UpdateExpression="ADD attempts :one",
                        # Only while the claim stands: its owner may have released it since
                        # the read, and an update without a condition would recreate it as
                        # a husk that blocks every later claim.
                        ConditionExpression="#s = :started",
                        ExpressionAttributeNames={"#s": "status"},
                        ExpressionAttributeValues=_values(one=1, started="started"),
                    )
                except ClientError:
                    pass  # released or completed meanwhile: the caller looks again
            return existing
        return None

    def complete(self, shop: str, key: str, result: dict[str, Any]) -> None:
        """Record the effect's result; an already completed effect keeps its first result."""
        try:
            self._store._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": effect_sk(key)}),
                UpdateExpression="SET #s = :done, #r = :result",
                # Only a claimed, unfinished effect: the first result is the truth.
                ConditionExpression="attribute_exists(PK) AND #s = :started",
                ExpressionAttributeNames={"#s": "status", "#r": "result"},
                ExpressionAttributeValues=_values(done="done", started="started", result=result),
            )
        except ClientError:
            return

    def release(self, shop: str, key: str) -> None:
        """Forget a claim whose effect certainly did not happen, so it can be tried afresh."""
        try:
            self._store._call(
                "delete_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": effect_sk(key)}),
                # A finished effect happened; forgetting it would let it happen twice.
                ConditionExpression="#s = :started",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_values(started="started"),
            )
        except ClientError:
            return

    def get(self, shop: str, key: str) -> EffectRecord | None:
        res = self._store._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": effect_sk(key)}),
            ConsistentRead=True,
        )
        if "Item" not in res:
            return None
        item = _load(res["Item"])
        return EffectRecord(
            key=key,
            status=item["status"],
            started_at=item["started_at"],
            attempts=int(item.get("attempts", 1)),
            data=item.get("data") or {},
            result=item.get("result"),
        )
