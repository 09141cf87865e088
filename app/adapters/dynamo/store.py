"""DynamoStore: the single-table repository for shops, orders, webhooks and RMAs.

Every method takes the shop domain first and reads only under that shop's
partition. Every write that can race is conditional, and each condition says
why it exists. Built on the low-level client, which (unlike boto3 resources) is
safe to share across the threads of one process.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from app.adapters.dynamo import codec, keys
from app.domain.orders import Fulfillment, OrderSnapshot, OrderView, Refund
from app.domain.rma import Rma
from app.domain.shops import Shop
from app.errors import Conflict, InvalidInput, UpstreamError

_ser = TypeSerializer()
# What save_order did with a snapshot.
CREATED, UPDATED = "created", "updated"
_de = TypeDeserializer()

RETRYABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


def _dump(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items()}


def _load(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _reserved(item: Mapping[str, Any]) -> dict[int, int]:
    """Quantities per line item from an order's counters item (`q_<line id>` attributes)."""
    return {int(k[2:]): int(v) for k, v in item.items() if k.startswith("q_") and int(v) > 0}


def _values(**values: Any) -> dict[str, Any]:
    return {f":{k}": _ser.serialize(v) for k, v in values.items()}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _upstream(exc: Exception) -> UpstreamError:
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        return UpstreamError(f"DynamoDB {code}", retryable=code in RETRYABLE_CODES or not code)
    return UpstreamError(f"DynamoDB unreachable: {type(exc).__name__}", retryable=True)


class DuplicateWebhook(Exception):
    """This webhook (by delivery id or by event id) was already recorded."""


@dataclass(frozen=True)
class WebhookRecord:
    shop: str
    webhook_id: str
    topic: str
    status: str
    body: bytes | None
    event_id: str | None
    received_at: str
    attempts: int = 0


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(_load(last_key), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, shop: str) -> dict[str, Any] | None:
    """Turn a page cursor back into a start key; a cursor for another shop is refused."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or data.get("PK") != keys.shop_pk(shop):
            raise ValueError
        if not all(isinstance(v, str) for v in data.values()):
            raise ValueError
    except ValueError as exc:
        raise InvalidInput("is not a cursor this list gave out", "cursor") from exc
    return _dump(data)


# How many shops' copies a process keeps for get_shop(max_age_s=...) before starting afresh.
_SHOPS_KEPT = 1024
# What get_tokens gives of the shop's item.
_TOKEN_FIELDS = (
    "access_token",
    "refresh_token",
    "token_expires_at",
    "refresh_expires_at",
    "token_version",
    "scopes",
    "refresh_lease_until",
    "status",
)


class DynamoStore:
    """The app's repository over one DynamoDB table."""

    def __init__(self, client: Any, table_name: str):
        self._db = client
        self.table_name = table_name
        # Read units the sweeps' index queries consumed (benchmarks report reads per due item).
        self.read_units = 0.0
        # Shops read recently, for pages that only read them (get_shop(max_age_s=...)):
        # {domain: (monotonic time read, shop)}; any write to a shop here forgets its copy.
        self._shops: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._shops_lock = threading.Lock()
        self._shops_changed = 0  # a read that began before a write does not keep its copy

    # -- plumbing -----------------------------------------------------------

    def _call(self, op: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._db, op)(TableName=self.table_name, **kwargs)
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise
            raise _upstream(exc) from exc
        except BotoCoreError as exc:
            raise _upstream(exc) from exc

    def _transact(self, items: list[dict[str, Any]], *, attempts: int = 4) -> None:
        for entry in items:
            for body in entry.values():
                body["TableName"] = self.table_name
        for attempt in range(attempts):
            try:
                self._db.transact_write_items(TransactItems=items)
                return
            except ClientError as exc:
                if _error_code(exc) != "TransactionCanceledException":
                    raise _upstream(exc) from exc
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise Conflict("a conditional write in the transaction failed") from exc
                # TransactionConflict: another writer holds one of the items right now. Nothing
                # was written, so trying again is safe (conditions are evaluated afresh).
                if attempt == attempts - 1:
                    raise UpstreamError("transaction conflict, retry", retryable=True) from exc
                time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not crypto
            except BotoCoreError as exc:
                raise _upstream(exc) from exc

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        start = None
        while True:
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._call("query", **kwargs)
            yield from (_load(i) for i in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def status(self) -> dict[str, Any]:
        """The table's health for /healthz; never raises."""
        try:
            desc = self._db.describe_table(TableName=self.table_name)["Table"]
            return {
                "ok": desc["TableStatus"] == "ACTIVE",
                "table": self.table_name,
                "status": desc["TableStatus"],
            }
        except (ClientError, BotoCoreError) as exc:
            return {
                "ok": False,
                "table": self.table_name,
                "status": "unavailable",
                "error": type(exc).__name__,
            }

    # -- shops --------------------------------------------------------------

    def get_shop(self, shop: str, *, max_age_s: float = 0.0) -> Shop | None:
        """The shop's profile, read now; with `max_age_s`, this process's copy when it was
        read less than that long ago (for reads that never write it back: another
        process's change shows within `max_age_s`, this process's at once)."""
        item = self._shop_item(shop, max_age_s=max_age_s, consistent=False)
        return codec.shop_from_item(item) if item is not None else None

    def _shop_item(self, shop: str, *, max_age_s: float, consistent: bool) -> dict[str, Any] | None:
        """The shop's item (profile and encrypted tokens), or this process's recent copy."""
        if max_age_s > 0:
            with self._shops_lock:
                kept = self._shops.get(shop)
            if kept is not None and time.monotonic() - kept[0] < max_age_s:
                return kept[1]
        with self._shops_lock:
            changed = self._shops_changed
        read_at = time.monotonic()
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
            ConsistentRead=consistent,
        )
        item = _load(res["Item"]) if "Item" in res else None
        with self._shops_lock:
            if self._shops_changed == changed:
                if len(self._shops) >= _SHOPS_KEPT:
                    self._shops.clear()
                self._shops[shop] = (read_at, item)
        return item

    def _forget_shop(self, shop: str) -> None:
        """After a write to the shop's item: this process reads it afresh from now on."""
        with self._shops_lock:
            self._shops.pop(shop, None)
            self._shops_changed += 1

    def put_shop(self, shop: Shop) -> None:
        """Create the shop's record or update its profile; tokens already stored are kept."""
        try:
            self._put_shop(shop)
        finally:
            self._forget_shop(shop.domain)

    def _put_shop(self, shop: Shop) -> None:
        fields = {
            "type": "shop",
            **codec.shop_to_item(shop),
            "GSI1PK": keys.shops_by_status_gsi1pk(shop.status),
            "GSI1SK": shop.domain,
        }
        # A profile field set to None (an email cleared, a key removed) leaves the item.
        cleared = [k for k in codec.SHOP_OPTIONAL_FIELDS if k not in fields]
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in fields)
        if cleared:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in cleared)
        self._call(
            "update_item",
            Key=_dump({"PK": keys.shop_pk(shop.domain), "SK": keys.SHOP_SK}),
            UpdateExpression=expression,
            ExpressionAttributeNames={f"#{k}": k for k in [*fields, *cleared]},
            ExpressionAttributeValues=_values(**fields),
        )

    def mark_uninstalled(self, shop: str, at: datetime) -> bool:
        """Mark the shop uninstalled and drop its tokens; False when the shop is unknown."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
                UpdateExpression=(
                    "SET #s = :s, uninstalled_at = :at, GSI1PK = :idx REMOVE access_token, refresh_token, "
                    "token_expires_at, refresh_expires_at, refresh_lease_until"
                ),
                # Only a shop we know: an uninstall for a stranger must not create a record.
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_values(
                    s="uninstalled",
                    at=at.isoformat(),
                    idx=keys.shops_by_status_gsi1pk("uninstalled"),
                ),
            )
        except ClientError:
            return False
        finally:
            self._forget_shop(shop)
        return True

    # -- install and tokens ---------------------------------------------------

    def put_oauth_state(self, shop: str, nonce: str, expires_at: int) -> None:
        """Remember an install's state nonce until it is used or expires."""
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.oauth_state_sk(nonce),
            "type": "oauth_state",
            "expires_at": expires_at,
        }
        self._call("put_item", Item=_dump(item))

    def consume_oauth_state(self, shop: str, nonce: str, now_epoch: int) -> bool:
        """Use a state nonce once; False if unknown, used, or expired."""
        try:
            self._call(
                "delete_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.oauth_state_sk(nonce)}),
                # Single use and unexpired: TTL deletion lags, so check the time too.
                ConditionExpression="attribute_exists(PK) AND expires_at > :now",
                ExpressionAttributeValues=_values(now=now_epoch),
            )
        except ClientError:
            return False
        return True

    def save_tokens(self, shop: str, tokens: dict[str, Any], *, status: str | None = None) -> int:
        """Store a fresh token pair (install, re-install, token exchange); returns the token version."""
        try:
            return self._save_tokens(shop, tokens, status=status)
        finally:
            self._forget_shop(shop)

    def _save_tokens(self, shop: str, tokens: dict[str, Any], *, status: str | None) -> int:
        names = {"#v": "token_version", "#d": "domain", "#t": "type"}
        sets = [f"{k} = :{k}" for k in tokens] + [
            "#v = if_not_exists(#v, :zero) + :one",
            "#d = :domain",
            "#t = :type",
        ]
        values = {**tokens, "zero": 0, "one": 1, "domain": shop, "type": "shop"}
        if status:
            sets += ["#s = :status", "GSI1PK = :idx", "GSI1SK = :domain"]
            names["#s"] = "status"
            values.update(status=status, idx=keys.shops_by_status_gsi1pk(status))
        res = self._call(
            "update_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
            UpdateExpression="SET " + ", ".join(sets) + " REMOVE refresh_lease_until",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_values(**values),
            ReturnValues="UPDATED_NEW",
        )
        return int(res["Attributes"]["token_version"]["N"])

    def get_tokens(self, shop: str, *, max_age_s: float = 0.0) -> dict[str, Any] | None:
        """The shop's encrypted tokens, their expiry and version, or None when it has none;
        read now (consistently), or with `max_age_s` as get_shop."""
        item = self._shop_item(shop, max_age_s=max_age_s, consistent=True)
        if item is None or "access_token" not in item:
            return None
        tokens = {k: item[k] for k in _TOKEN_FIELDS if k in item}
        for key in ("access_token", "refresh_token"):
            if key in tokens:
                tokens[key] = bytes(tokens[key])
        return tokens

    def claim_token_refresh(self, shop: str, version: int, now_epoch: int, lease_s: int) -> bool:
        """Take the right to refresh version `version` of the tokens; one worker wins."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
                UpdateExpression="SET refresh_lease_until = :until",
                # Refresh tokens rotate: two workers refreshing at once would
                # leave one holding a dead token. Only the lease holder calls
                # Shopify, and only for the version it read.
                ConditionExpression="token_version = :v AND "
                "(attribute_not_exists(refresh_lease_until) OR refresh_lease_until < :now)",
                ExpressionAttributeValues=_values(
                    v=version, now=now_epoch, until=now_epoch + lease_s
                ),
            )
        except ClientError:
            return False
        finally:
            self._forget_shop(shop)
        return True

    def save_refreshed_tokens(
        self, shop: str, tokens: dict[str, Any], expected_version: int
    ) -> int:
        """Store refreshed tokens if nobody replaced version `expected_version`; Conflict otherwise."""
        try:
            res = self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
                UpdateExpression="SET "
                + ", ".join(f"{k} = :{k}" for k in tokens)
                + ", token_version = :next REMOVE refresh_lease_until",
                # A re-install may have stored a new pair meanwhile; it wins.
                ConditionExpression="token_version = :v",
                ExpressionAttributeValues=_values(
                    **tokens, v=expected_version, next=expected_version + 1
                ),
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            raise Conflict(f"tokens of {shop} changed during refresh") from exc
        finally:
            self._forget_shop(shop)
        return int(res["Attributes"]["token_version"]["N"])

    def list_shop_domains(self, status: str = "installed") -> Iterator[str]:
        """Every shop in an install state, from the index (never a Scan)."""
        for item in self._query_all(
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=_values(pk=keys.shops_by_status_gsi1pk(status)),
            ProjectionExpression="#d",
            ExpressionAttributeNames={"#d": "domain"},
        ):
            yield item["domain"]

    def get_catchup_watermark(self, shop: str) -> str | None:
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
            ProjectionExpression="catchup_since",
        )
        return _load(res.get("Item", {})).get("catchup_since")

    def set_catchup_watermark(self, shop: str, since_iso: str) -> None:
        """Remember how far the order catch-up got; never moves it backwards."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.SHOP_SK}),
                UpdateExpression="SET catchup_since = :w",
                # Two overlapping runs: the one that got further wins. ISO UTC strings sort by time.
                ConditionExpression="attribute_exists(PK) AND "
                "(attribute_not_exists(catchup_since) OR catchup_since < :w)",
                ExpressionAttributeValues=_values(w=since_iso),
            )
        except ClientError:
            return

    # -- orders -------------------------------------------------------------

    def save_order(
        self,
        shop: str,
        order: OrderSnapshot,
        *,
        stats_month: str | None = None,
        due_on_creation: tuple[str, datetime] | None = None,
    ) -> str:
        """Store the snapshot unless a newer one is stored.

        Returns CREATED the first time the order is stored, UPDATED when it replaced a
        snapshot (or was the same one again), and "" (falsy) when this one was stale.
        With `stats_month`, the first time the order is stored it is also counted in that
        month's analytics, in the same transaction (a redelivery counts nothing), and
        `due_on_creation` (kind, due at) schedules that work for the order in it too: what
        must follow an order's creation survives a crash right after it.
        """
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.order_sk(order.id),
            **codec.order_to_item(order),
            "GSI3PK": keys.order_number_gsi3pk(shop, order.number),
            "GSI3SK": keys.order_sk(order.id),
        }
        if order.customer_id:
            item["GSI1PK"] = keys.customer_orders_gsi1pk(shop, order.customer_id)
            item["GSI1SK"] = keys.order_sk(order.id)
        if stats_month is not None:
            try:
                self._transact(
                    [
                        {
                            "Put": {
                                "Item": _dump(item),
                                "ConditionExpression": "attribute_not_exists(PK)",
                            }
                        },
                        self._count(
                            shop,
                            keys.stats_sk(stats_month, keys.counter_shard(order.id)),
                            {"orders": 1, f"order_value_{order.currency}": order.total},
                        ),
                        *(
                            [{"Put": {"Item": _dump(_due_item(shop, *due_on_creation, order.id))}}]
                            if due_on_creation
                            else []
                        ),
                    ]
                )
                return CREATED
            except Conflict:
                pass  # already stored: an update of a counted order
        try:
            res = self._call(
                "put_item",
                Item=_dump(item),
                ReturnValues="ALL_OLD",
                # Webhooks arrive out of order: never let an older snapshot
                # overwrite a newer one (an equal one is a redelivery; fine).
                # A redacted order stays redacted: personal data never comes back.
                ConditionExpression=(
                    "attribute_not_exists(PK) OR "
                    "(updated_ms <= :new AND attribute_not_exists(redacted))"
                ),
                ExpressionAttributeValues=_values(new=item["updated_ms"]),
            )
        except ClientError:
            current = self._call(
                "get_item",
                Key=_dump({"PK": item["PK"], "SK": item["SK"]}),
                ProjectionExpression="updated_ms, redacted",
                ConsistentRead=True,
            ).get("Item")
            if (
                current
                and "redacted" in current
                and item["updated_ms"] >= int(current["updated_ms"]["N"])
            ):
                self._save_redacted(shop, order)
                return UPDATED
            return ""
        return UPDATED if res.get("Attributes") else CREATED

    def order_version(self, shop: str, order_id: int) -> int | None:
        """The stored snapshot's updated_at in epoch ms (None when not stored), read cheaply:
        an eventually consistent read of one attribute. A stale answer only costs the caller
        the work it meant to save."""
        item = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.order_sk(order_id)}),
            ProjectionExpression="updated_ms",
        ).get("Item")
        return int(item["updated_ms"]["N"]) if item and "updated_ms" in item else None

    def _save_redacted(self, shop: str, order: OrderSnapshot) -> None:
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.order_sk(order.id),
            **codec.order_to_item(order.redacted()),
            "redacted": True,
            "GSI3PK": keys.order_number_gsi3pk(shop, order.number),
            "GSI3SK": keys.order_sk(order.id),
        }
        self._call("put_item", Item=_dump(item))

    def save_fulfillment(self, shop: str, f: Fulfillment) -> bool:
        """Upsert a fulfillment; keeps the first delivery time; False when this update was stale."""
        item = codec.fulfillment_to_item(f)
        delivered_at = item.pop("delivered_at", None)
        names = {f"#{k}": k for k in item}
        sets = [f"#{k} = :{k}" for k in item]
        values = dict(item)
        if delivered_at:
            sets.append("delivered_at = if_not_exists(delivered_at, :delivered_at)")
            values["delivered_at"] = delivered_at
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.fulfillment_sk(f.order_id, f.id)}),
                UpdateExpression="SET " + ", ".join(sets),
                # fulfillments/update can overtake an earlier update: keep the newest.
                ConditionExpression="attribute_not_exists(PK) OR updated_ms <= :updated_ms",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_values(**values),
            )
        except ClientError:
            return False
        return True

    def save_refund(self, shop: str, refund: Refund) -> bool:
        """Record a refund once; False when it was already recorded."""
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.refund_sk(refund.order_id, refund.id),
            **codec.refund_to_item(refund),
        }
        try:
            # A refund never changes after it is made; a second copy is a redelivery.
            self._call("put_item", Item=_dump(item), ConditionExpression="attribute_not_exists(PK)")
        except ClientError:
            return False
        return True

    def get_order(self, shop: str, order_id: int) -> OrderView | None:
        """The order with its fulfillments and refunds (one query), or None if not seen yet."""
        found = self.get_order_and_reserved(shop, order_id)
        return found[0] if found else None

    def get_order_and_reserved(
        self, shop: str, order_id: int
    ) -> tuple[OrderView, dict[int, int]] | None:
        """get_order and reserved_quantities in one query: the counters item lives under the
        order's key, so the query that reads the order reads it too (the portal's pages need both).
        """
        order = None
        fulfillments = []
        refunds = []
        reserved: dict[int, int] = {}
        reserved_sk = keys.order_reserved_sk(order_id)
        for item in self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=_values(
                pk=keys.shop_pk(shop), prefix=keys.order_children_prefix(order_id)
            ),
            ConsistentRead=True,
        ):
            kind = item.get("type")
            if kind == "order":
                order = codec.order_from_item(item)
            elif kind == "fulfillment":
                fulfillments.append(codec.fulfillment_from_item(item))
            elif kind == "refund":
                refunds.append(codec.refund_from_item(item))
            elif item["SK"] == reserved_sk:
                reserved = _reserved(item)
        if order is None:
            return None
        return OrderView(order, tuple(fulfillments), tuple(refunds)), reserved

    def is_redacted(self, shop: str, order_id: int) -> bool:
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.order_sk(order_id)}),
            ProjectionExpression="redacted",
        )
        return "redacted" in res.get("Item", {})

    def find_order_by_number(self, shop: str, number: str) -> OrderView | None:
        """The order a customer names by its number ('#1001' or '1001')."""
        res = self._call(
            "query",
            IndexName="GSI3",
            KeyConditionExpression="GSI3PK = :pk",
            ExpressionAttributeValues=_values(pk=keys.order_number_gsi3pk(shop, number)),
            Limit=1,
        )
        for item in res.get("Items", []):
            sk = _load(item)["SK"]
            return self.get_order(shop, int(sk.split("#")[1]))
        return None

    def customer_order_ids(self, shop: str, customer_id: int) -> list[int]:
        return [
            int(item["order_id"])
            for item in self._query_all(
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :pk",
                ExpressionAttributeValues=_values(
                    pk=keys.customer_orders_gsi1pk(shop, customer_id)
                ),
                ProjectionExpression="order_id",
            )
        ]

    def redact_order(self, shop: str, order_id: int) -> bool:
        """Erase the personal fields of an order and its refund notes; False if unknown."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.order_sk(order_id)}),
                UpdateExpression="SET redacted = :t REMOVE email, customer_id, shipping_zip, GSI1PK, GSI1SK",
                # Only an order we hold; redaction must not create an empty item.
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=_values(t=True),
            )
        except ClientError:
            return False
        for item in self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=_values(
                pk=keys.shop_pk(shop), prefix=keys.order_sk(order_id) + "#REF#"
            ),
            ProjectionExpression="PK, SK",
        ):
            self._call("update_item", Key=_dump(item), UpdateExpression="REMOVE note")
        return True

    def delete_shop_data(self, shop: str) -> int:
        """Delete every item of the shop (shop/redact); returns how many were deleted."""
        try:
            return self._delete_all(
                self._query_all(
                    KeyConditionExpression="PK = :pk",
                    ExpressionAttributeValues=_values(pk=keys.shop_pk(shop)),
                    ProjectionExpression="PK, SK",
                )
            )
        finally:
            self._forget_shop(shop)

    def _delete_all(self, items: Iterable[dict[str, Any]]) -> int:
        """Delete the items (by their PK and SK) in batches of 25; how many were deleted."""
        deleted = 0
        batch: list[dict[str, Any]] = []
        for item in items:
            key = {"PK": item["PK"], "SK": item["SK"]}
            batch.append({"DeleteRequest": {"Key": _dump(key)}})
            if len(batch) == 25:
                deleted += self._batch_write(batch)
                batch = []
        if batch:
            deleted += self._batch_write(batch)
        return deleted

    def _batch_write(self, requests: list[dict[str, Any]]) -> int:
        pending = {self.table_name: requests}
        for _ in range(8):
            try:
                res = self._db.batch_write_item(RequestItems=pending)
            except (ClientError, BotoCoreError) as exc:
                raise _upstream(exc) from exc
            pending = res.get("UnprocessedItems") or {}
            if not pending:
                return len(requests)
        raise UpstreamError("DynamoDB left items unprocessed after retries", retryable=True)

    def put_data_request(
        self, shop: str, request_id: int, export: dict[str, Any], expires_at: int
    ) -> None:
        """Keep a customer data export for the merchant to download until it expires."""
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.data_request_sk(request_id),
            "type": "data_request",
            "export": json.dumps(export, sort_keys=True, default=str),
            "expires_at": expires_at,
        }
        self._call("put_item", Item=_dump(item))

    def delete_data_requests_about(
        self, shop: str, customer_id: int | None, order_ids: set[int]
    ) -> int:
        """Delete the data exports about a customer (by id, or holding one of their orders)
        for customers/redact; returns how many were deleted."""

        def about_them(item: dict[str, Any]) -> bool:
            export = json.loads(item["export"])
            held = {int(o["order"]["id"]) for o in export.get("orders", [])}
            return bool(customer_id and export.get("customer_id") == customer_id) or bool(
                held & order_ids
            )

        exports = self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues=_values(pk=keys.shop_pk(shop), sk="DATAREQUEST#"),
        )
        return self._delete_all(item for item in exports if about_them(item))

    def get_data_request(self, shop: str, request_id: int) -> dict[str, Any] | None:
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.data_request_sk(request_id)}),
        )
        return json.loads(_load(res["Item"])["export"]) if "Item" in res else None

    # -- webhooks -----------------------------------------------------------

    def record_webhook(
        self,
        *,
        shop: str,
        key: str,
        webhook_id: str,
        event_id: str | None,
        topic: str,
        body: bytes,
        api_version: str | None,
        triggered_at: str | None,
        received_at: datetime,
        expires_at: int,
    ) -> None:
        """Store a delivery once under its dedupe key (keys.webhook_key); raises
        DuplicateWebhook when that key was seen."""
        record = {
            "PK": keys.shop_pk(shop),
            "SK": keys.webhook_sk(key),
            "type": "webhook",
            "webhook_id": webhook_id,
            "topic": topic,
            "status": "received",
            "attempts": 0,
            # Compressed: order bodies are JSON and shrink several-fold, which
            # keeps a 1 MiB delivery under DynamoDB's 400 KB item limit.
            "body": zlib.compress(body, 6),
            "received_at": received_at.isoformat(),
            "expires_at": expires_at,
        }
        if api_version:
            record["api_version"] = api_version
        if triggered_at:
            record["triggered_at"] = triggered_at
        if event_id:
            record["event_id"] = event_id
        # The dedupe condition: the first copy of a key wins; every later copy,
        # concurrent or not, fails here and does nothing. One item, one PutItem.
        try:
            self._call(
                "put_item", Item=_dump(record), ConditionExpression="attribute_not_exists(PK)"
            )
        except ClientError as exc:
            raise DuplicateWebhook(webhook_id) from exc

    def release_webhook(self, shop: str, key: str) -> None:
        """Forget a recorded delivery that could not be queued, so Shopify's retry is processed."""
        self._call("delete_item", Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.webhook_sk(key)}))

    def get_webhook(self, shop: str, key: str) -> WebhookRecord | None:
        """A recorded delivery by its dedupe key (keys.webhook_key)."""
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.webhook_sk(key)}),
            ConsistentRead=True,
        )
        if "Item" not in res:
            return None
        item = _load(res["Item"])
        body = item.get("body")
        return WebhookRecord(
            shop=shop,
            webhook_id=item["webhook_id"],
            topic=item["topic"],
            status=item["status"],
            body=zlib.decompress(bytes(body)) if body is not None else None,
            event_id=item.get("event_id"),
            received_at=item["received_at"],
            attempts=int(item.get("attempts", 0)),
        )

    def mark_webhook_processed(self, shop: str, key: str, at: datetime) -> None:
        """Mark a delivery done and drop its body: processed events keep no personal data."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.webhook_sk(key)}),
                UpdateExpression="SET #s = :s, processed_at = :at ADD attempts :one REMOVE body, #e",
                # The record may be gone (shop/redact erases everything); don't recreate it.
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#s": "status", "#e": "error"},
                ExpressionAttributeValues=_values(s="processed", at=at.isoformat(), one=1),
            )
        except ClientError:
            return

    def mark_webhook_failed(self, shop: str, key: str, error: str, *, final: bool) -> None:
        """Count a failed attempt; `final` parks it as failed (the local dead-letter)."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.webhook_sk(key)}),
                UpdateExpression="SET #s = :s, #e = :e ADD attempts :one",
                # Never resurrect a record that was processed or erased meanwhile.
                ConditionExpression="attribute_exists(PK) AND #s <> :done",
                ExpressionAttributeNames={"#s": "status", "#e": "error"},
                ExpressionAttributeValues=_values(
                    s="failed" if final else "retrying", e=error[:500], one=1, done="processed"
                ),
            )
        except ClientError:
            return

    # -- staff roles --------------------------------------------------------------

    def get_staff_role(self, shop: str, user_id: str) -> str | None:
        res = self._call(
            "get_item", Key=_dump({"PK": keys.shop_pk(shop), "SK": f"STAFF#{user_id}"})
        )
        return _load(res["Item"])["role"] if "Item" in res else None

    def put_staff_role(self, shop: str, user_id: str, role: str) -> None:
        self._call(
            "put_item",
            Item=_dump(
                {"PK": keys.shop_pk(shop), "SK": f"STAFF#{user_id}", "type": "staff", "role": role}
            ),
        )

    def claim_first_owner(self, shop: str, user_id: str) -> bool:
        """Make `user_id` the shop's owner if nobody is yet; True when this user became it."""
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _dump(
                                {"PK": keys.shop_pk(shop), "SK": "STAFF#OWNER", "user_id": user_id}
                            ),
                            # Only the first user ever: the merchant who opens the app after install.
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {
                        "Put": {
                            "Item": _dump(
                                {
                                    "PK": keys.shop_pk(shop),
                                    "SK": f"STAFF#{user_id}",
                                    "type": "staff",
                                    "role": "owner",
                                }
                            )
                        }
                    },
                ]
            )
        except (Conflict, UpstreamError):
            return False
        return True

    # -- rate limits ------------------------------------------------------------

    def hit_rate_limit(
        self, shop: str, key: str, *, now_epoch: int, window_s: int, limit: int
    ) -> bool:
        """Count one attempt for `key` in the current window; True while within `limit`.

        Counters live in the table (Lambda instances share no memory) and
        expire with their window by TTL.
        """
        window = now_epoch - now_epoch % window_s
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": f"RATE#{key}#{window}"}),
                UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :exp)",
                # Refuse (and stop counting) once the window is full.
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues=_values(one=1, exp=window + 2 * window_s, limit=limit),
            )
        except ClientError:
            return False
        return True

    # -- RMAs ------------------------------------------------------------------

    def _rma_item(self, shop: str, rma: Rma, version: int) -> dict[str, Any]:
        return {
            "PK": keys.shop_pk(shop),
            "SK": keys.rma_sk(rma.number),
            **codec.rma_to_item(rma),
            "version": version,
            "GSI1PK": keys.rma_state_gsi1pk(shop, rma.state),
            "GSI1SK": f"{rma.updated_at.astimezone(UTC).isoformat()}#{rma.number}",
            "GSI3PK": keys.order_rmas_gsi3pk(shop, rma.order_id),
            "GSI3SK": keys.rma_sk(rma.number),
        }

    def _reservation(
        self, shop: str, order_id: int, change: dict[int, int], bought: dict[int, int]
    ) -> dict[str, Any]:
        """An Update that moves the order's held quantities by `change`, never beyond what was bought."""
        names, values, sets, conds = {}, {}, [], []
        for i, (line_id, delta) in enumerate(sorted(change.items())):
            names[f"#q{i}"] = f"q_{line_id}"
            values[f":d{i}"] = _ser.serialize(delta)
            sets.append(f"#q{i} = if_not_exists(#q{i}, :zero) + :d{i}")
            if delta > 0:
                # Two returns submitted at once for the same item cannot together exceed what was bought.
                values[f":max{i}"] = _ser.serialize(bought[line_id] - delta)
                conds.append(f"(attribute_not_exists(#q{i}) OR #q{i} <= :max{i})")
        values[":zero"] = _ser.serialize(0)
        update: dict[str, Any] = {
            "Key": _dump({"PK": keys.shop_pk(shop), "SK": keys.order_reserved_sk(order_id)}),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if conds:
            update["ConditionExpression"] = " AND ".join(conds)
        return {"Update": update}

    def _count(self, shop: str, sk: str, increments: Mapping[str, int | Decimal]) -> dict[str, Any]:
        """An Update adding `increments` to the counters item `sk` (created on first use)."""
        names = {f"#c{i}": name for i, name in enumerate(increments)}
        values = {f":c{i}": _ser.serialize(v) for i, v in enumerate(increments.values())}
        return {
            "Update": {
                "Key": _dump({"PK": keys.shop_pk(shop), "SK": sk}),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(names))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def create_rma(
        self, shop: str, rma: Rma, bought: dict[int, int], *, stats_month: str | None = None
    ) -> None:
        """Store a new RMA and hold its quantities, atomically.

        The state counters move in the same transaction, and with `stats_month` the
        month's analytics count the return, its items, value and reasons.
        Raises Conflict if the number is taken, InvalidInput("quantity") if the
        order has fewer items left to return than the RMA asks for.
        """
        shard = keys.counter_shard(rma.number)
        items = [
            # A number is an RMA's identity: never overwrite one.
            {
                "Put": {
                    "Item": _dump(self._rma_item(shop, rma, 1)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._reservation(shop, rma.order_id, rma.reserved, bought),
            self._count(shop, keys.rma_counts_sk(shard), {f"s_{rma.state}": 1}),
        ]
        if stats_month is not None:
            stats: dict[str, int | Decimal] = {
                "rmas": 1,
                "items": sum(ln.quantity for ln in rma.lines),
                f"returned_value_{rma.currency}": sum(
                    (ln.price * ln.quantity for ln in rma.lines), Decimal(0)
                ),
            }
            for ln in rma.lines:
                key = f"reason_{ln.reason}"
                stats[key] = int(stats.get(key, 0)) + ln.quantity
            items.append(self._count(shop, keys.stats_sk(stats_month, shard), stats))
        try:
            self._transact(items)
        except Conflict as exc:
            reasons = exc.__cause__.response.get("CancellationReasons", []) if exc.__cause__ else []  # type: ignore[attr-defined]
            if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                raise InvalidInput(
                    "is more than remains to be returned for this order", "quantity"
                ) from exc
            raise

    def update_rma(self, shop: str, rma: Rma, previous: Rma, *, release: bool = False) -> Rma:
        """Save `rma` if nobody changed it since `previous` was read; Conflict otherwise.

        A change of state moves the state counters in the same transaction.
        `release` gives the RMA's held quantities back to the order (cancelled or declined).
        """
        expected_version = previous.version
        new_version = expected_version + 1
        put = {
            "Put": {
                "Item": _dump(self._rma_item(shop, rma, new_version)),
                # Optimistic lock: of two transitions from one version, one wins.
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": _values(expected=expected_version),
            }
        }
        items = [put]
        if previous.state != rma.state:
            items.append(
                self._count(
                    shop,
                    keys.rma_counts_sk(keys.counter_shard(rma.number)),
                    {f"s_{previous.state}": -1, f"s_{rma.state}": 1},
                )
            )
        if release:
            items.append(
                self._reservation(shop, rma.order_id, {k: -v for k, v in rma.reserved.items()}, {})
            )
        try:
            self._transact(items)
        except Conflict as exc:
            raise Conflict(f"return {rma.number} changed meanwhile; reload it") from exc
        return replace(rma, version=new_version)

    def get_rma(self, shop: str, number: str) -> Rma | None:
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.rma_sk(number)}),
            ConsistentRead=True,
        )
        if "Item" not in res:
            return None
        item = _load(res["Item"])
        return replace(codec.rma_from_item(item), version=int(item["version"]))

    def rmas_for_order(self, shop: str, order_id: int) -> list[Rma]:
        refs = self._query_all(
            IndexName="GSI3",
            KeyConditionExpression="GSI3PK = :pk",
            ExpressionAttributeValues=_values(pk=keys.order_rmas_gsi3pk(shop, order_id)),
        )
        found = [self.get_rma(shop, ref["SK"].split("#", 1)[1]) for ref in refs]
        return sorted((r for r in found if r is not None), key=lambda r: r.created_at)

    def reserved_quantities(self, shop: str, order_id: int) -> dict[int, int]:
        """Quantities of each line held by the order's open returns."""
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.order_reserved_sk(order_id)}),
            ConsistentRead=True,
        )
        return _reserved(_load(res.get("Item", {})))

    def list_rmas(
        self, shop: str, state: str, *, limit: int = 25, cursor: str | None = None
    ) -> tuple[list[Rma], str | None]:
        """RMAs in a state, most recently updated first, one page at a time."""
        kwargs: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": _values(pk=keys.rma_state_gsi1pk(shop, state)),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, shop)
        if start:
            kwargs["ExclusiveStartKey"] = start
        res = self._call("query", **kwargs)
        rmas = [
            replace(codec.rma_from_item(i), version=int(i["version"]))
            for i in map(_load, res.get("Items", []))
        ]
        return rmas, encode_cursor(res.get("LastEvaluatedKey"))

    def rma_counts(self, shop: str) -> dict[str, int]:
        """How many of the shop's RMAs are in each state (one query over the counter shards)."""
        counts: dict[str, int] = {}
        for item in self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=_values(pk=keys.shop_pk(shop), prefix=keys.RMA_COUNTS_PREFIX),
            ConsistentRead=True,
        ):
            for name, value in item.items():
                if name.startswith("s_"):
                    counts[name[2:]] = counts.get(name[2:], 0) + int(value)
        return {state: n for state, n in counts.items() if n}

    def add_stats(
        self, shop: str, month: str, ref: str, increments: Mapping[str, int | Decimal]
    ) -> None:
        """Add to a month's analytics counters (callers make the effect itself happen once)."""
        update = self._count(shop, keys.stats_sk(month, keys.counter_shard(ref)), increments)[
            "Update"
        ]
        self._call("update_item", **update)

    def stats_for_month(self, shop: str, month: str) -> dict[str, Decimal]:
        """A month's analytics counters, summed over shards (empty when nothing happened)."""
        totals: dict[str, Decimal] = {}
        for item in self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=_values(
                pk=keys.shop_pk(shop), prefix=keys.stats_prefix(month)
            ),
        ):
            for name, value in item.items():
                if name not in ("PK", "SK"):
                    totals[name] = totals.get(name, Decimal(0)) + Decimal(value)
        return totals

    def rmas_updated_since(
        self, shop: str, state: str, since: datetime, *, limit: int = 500
    ) -> list[Rma]:
        """RMAs in `state` whose last change is at or after `since`, newest first (bounded)."""
        res = self._call(
            "query",
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk AND GSI1SK >= :since",
            ExpressionAttributeValues=_values(
                pk=keys.rma_state_gsi1pk(shop, state), since=since.astimezone(UTC).isoformat()
            ),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            replace(codec.rma_from_item(i), version=int(i["version"]))
            for i in map(_load, res.get("Items", []))
        ]

    # -- scheduled work (GSI2) --------------------------------------------------

    def put_due(
        self,
        shop: str,
        kind: str,
        ref: str,
        due_at: datetime,
        data: Mapping[str, Any],
        *,
        replace_existing: bool = False,
    ) -> bool:
        """Schedule `kind` work for `ref` at `due_at`; False when it is already scheduled.

        A redelivered webhook schedules nothing new; `replace_existing` moves the work.
        """
        kwargs: dict[str, Any] = {"Item": _dump(_due_item(shop, kind, due_at, ref, data))}
        if not replace_existing:
            kwargs["ConditionExpression"] = "attribute_not_exists(PK)"
        try:
            self._call("put_item", **kwargs)
        except ClientError:
            return False
        return True

    def get_due(self, shop: str, kind: str, ref: str) -> DueWork | None:
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.due_sk(kind, ref)}),
            ConsistentRead=True,
        )
        return _due(_load(res["Item"])) if "Item" in res else None

    def delete_due(self, shop: str, kind: str, ref: str) -> None:
        """The work is done (or no longer needed): it leaves the index."""
        self._call(
            "delete_item", Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.due_sk(kind, ref)})
        )

    def due_work(self, kind: str, now: datetime, *, page_size: int = 100) -> Iterator[DueWork]:
        """Work of `kind` due at or before `now`, earliest first, across shops, page by page.

        Reads grow with the work due, never with the table: only due items are in GSI2.
        """
        upper = now.astimezone(UTC).isoformat() + "~"  # after any '#shop#ref' suffix
        kwargs: dict[str, Any] = {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk AND GSI2SK <= :upper",
            "ExpressionAttributeValues": _values(pk=keys.due_gsi2pk(kind), upper=upper),
            "Limit": page_size,
            "ReturnConsumedCapacity": "TOTAL",
        }
        start = None
        while True:
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._call("query", **kwargs)
            self.read_units += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0))
            for item in page.get("Items", []):
                yield _due(_load(item))
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    # -- delayed shipments --------------------------------------------------------------

    def record_delay(
        self,
        shop: str,
        order_id: int,
        record: Mapping[str, Any],
        *,
        month: str,
        stats: Mapping[str, int | Decimal],
    ) -> bool:
        """Keep what was done for a late order and count it in the month's analytics, once.

        One transaction: the record and the counters move together, so two sweeps on
        the same order count it once. False when the order was already recorded.
        """
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.delay_sk(order_id),
            **record,
            "type": "delay",
            "order_id": order_id,
        }
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _dump(item),
                            # An order is compensated once: the first record is the truth.
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    self._count(shop, keys.stats_sk(month, keys.counter_shard(order_id)), stats),
                ]
            )
        except Conflict:
            return False
        return True

    def get_delay(self, shop: str, order_id: int) -> dict[str, Any] | None:
        """The record of a late order's compensation, or None when it was never late."""
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.delay_sk(order_id)}),
            ConsistentRead=True,
        )
        return _load(res["Item"]) if "Item" in res else None

    def list_delays(self, shop: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """The shop's compensated late orders, newest order first (for the admin)."""
        res = self._call(
            "query",
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=_values(pk=keys.shop_pk(shop), prefix=keys.DELAY_PREFIX),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_load(i) for i in res.get("Items", [])]

    # -- backorders -------------------------------------------------------------

    def get_restock_date(self, shop: str, variant_id: int) -> dict[str, Any] | None:
        """The merchant's expected restock date of a variant (`expected_on`, ISO), or None."""
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.restock_sk(variant_id)}),
            ConsistentRead=True,
        )
        return _load(res["Item"]) if "Item" in res else None

    def put_restock_date(
        self,
        shop: str,
        variant_id: int,
        *,
        expected_on: str,
        sku: str | None,
        title: str | None,
        set_by: str,
        set_at: str,
    ) -> None:
        """Set (or move) a variant's expected restock date; the last merchant edit wins."""
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.restock_sk(variant_id),
            "type": "restock",
            "variant_id": variant_id,
            "expected_on": expected_on,
            "sku": sku,
            "title": title,
            "set_by": set_by,
            "set_at": set_at,
        }
        self._call("put_item", Item=_dump(item))

    def delete_restock_date(self, shop: str, variant_id: int) -> None:
        """Forget a variant's restock date: its next notice says the date is not known."""
        self._call(
            "delete_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.restock_sk(variant_id)}),
        )

    def list_restock_dates(self, shop: str) -> list[dict[str, Any]]:
        """Every restock date the merchant set, by variant id."""
        return list(
            self._query_all(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues=_values(
                    pk=keys.shop_pk(shop), prefix=keys.RESTOCK_PREFIX
                ),
            )
        )

    def create_backorder_notice(self, shop: str, order_id: int, notice: Mapping[str, Any]) -> bool:
        """Record what an order's backorder notice says; False when one is recorded already."""
        item = {
            **notice,
            "PK": keys.shop_pk(shop),
            "SK": keys.backorder_sk(order_id),
            "type": "backorder_notice",
            "order_id": order_id,
            "choices": {},
        }
        try:
            self._call(
                "put_item",
                Item=_dump(item),
                # One notice per order: concurrent checks and retries all send the first one's
                # content (and links), never a second version.
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError:
            return False
        return True

    def get_backorder_notice(self, shop: str, order_id: int) -> dict[str, Any] | None:
        res = self._call(
            "get_item",
            Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.backorder_sk(order_id)}),
            ConsistentRead=True,
        )
        return _load(res["Item"]) if "Item" in res else None

    def set_backorder_notice_status(self, shop: str, order_id: int, status: str, at: str) -> None:
        """Mark a recorded notice `sent` (or `undeliverable`), with the time."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.backorder_sk(order_id)}),
                UpdateExpression="SET #s = :s, status_at = :at",
                # Only a notice that exists: a late worker must not create a bare item.
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_values(s=status, at=at),
            )
        except ClientError:
            return

    def list_backorder_notices(self, shop: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The shop's backorder notices, newest order first (at most `limit`)."""
        res = self._call(
            "query",
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=_values(pk=keys.shop_pk(shop), prefix=keys.BACKORDER_PREFIX),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_load(i) for i in res.get("Items", [])]

    def claim_backorder_choice(
        self, shop: str, order_id: int, line_item_id: int, choice: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Record the customer's choice for a line; None when this caller made it first, else
        the choice already recorded. Raises Conflict when the order has no notice."""
        line = f"L{line_item_id}"
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.backorder_sk(order_id)}),
                UpdateExpression="SET choices.#l = :c",
                # One choice per line, ever: the first link used wins, so a second click (or
                # the other link of the pair) can never refund twice or undo a refund.
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(choices.#l)",
                ExpressionAttributeNames={"#l": line},
                ExpressionAttributeValues=_values(c=dict(choice)),
            )
        except ClientError as exc:
            notice = self.get_backorder_notice(shop, order_id)
            existing = (notice or {}).get("choices", {}).get(line)
            if existing is None:
                raise Conflict(f"order {order_id} has no backorder notice") from exc
            return existing
        return None

    def finish_backorder_choice(
        self, shop: str, order_id: int, line_item_id: int, jti: str, result: Mapping[str, Any]
    ) -> None:
        """Mark a started choice done with its result (a refund's id and amount)."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.backorder_sk(order_id)}),
                UpdateExpression="SET choices.#l.#s = :done, choices.#l.#r = :result",
                # Only the link that claimed the line finishes it, and only once.
                ConditionExpression="choices.#l.jti = :jti AND choices.#l.#s = :started",
                ExpressionAttributeNames={"#l": f"L{line_item_id}", "#s": "status", "#r": "result"},
                ExpressionAttributeValues=_values(
                    done="done", started="started", jti=jti, result=dict(result)
                ),
            )
        except ClientError:
            return

    def release_backorder_choice(
        self, shop: str, order_id: int, line_item_id: int, jti: str
    ) -> None:
        """Forget a started choice whose action certainly did not happen."""
        try:
            self._call(
                "update_item",
                Key=_dump({"PK": keys.shop_pk(shop), "SK": keys.backorder_sk(order_id)}),
                UpdateExpression="REMOVE choices.#l",
                # A finished choice happened (money moved): it is never forgotten.
                ConditionExpression="choices.#l.jti = :jti AND choices.#l.#s = :started",
                ExpressionAttributeNames={"#l": f"L{line_item_id}", "#s": "status"},
                ExpressionAttributeValues=_values(started="started", jti=jti),
            )
        except ClientError:
            return

    def watch_backorder(self, shop: str, inventory_item_id: int, order_id: int) -> None:
        """Remember that an order waits for an item's restock (inventory updates recheck it)."""
        item = {
            "PK": keys.shop_pk(shop),
            "SK": keys.backorder_watch_sk(inventory_item_id, order_id),
            "type": "backorder_watch",
            "order_id": order_id,
        }
        self._call("put_item", Item=_dump(item))

    def unwatch_backorder(self, shop: str, inventory_item_id: int, order_id: int) -> None:
        self._call(
            "delete_item",
            Key=_dump(
                {
                    "PK": keys.shop_pk(shop),
                    "SK": keys.backorder_watch_sk(inventory_item_id, order_id),
                }
            ),
        )

    def orders_awaiting_restock(self, shop: str, inventory_item_id: int) -> list[int]:
        """Orders waiting for an item to come back in stock."""
        return [
            int(item["order_id"])
            for item in self._query_all(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues=_values(
                    pk=keys.shop_pk(shop), prefix=keys.backorder_watch_prefix(inventory_item_id)
                ),
            )
        ]


@dataclass(frozen=True)
class DueWork:
    shop: str
    kind: str
    ref: str
    due_at: datetime
    data: dict[str, Any]


def _due_item(
    shop: str, kind: str, due_at: datetime, ref: str | int, data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    due_iso = due_at.astimezone(UTC).isoformat()
    return {
        "PK": keys.shop_pk(shop),
        "SK": keys.due_sk(kind, str(ref)),
        "type": "due",
        "kind": kind,
        "shop": shop,
        "ref": str(ref),
        "due_at": due_iso,
        "data": dict(data or {}),
        "GSI2PK": keys.due_gsi2pk(kind),
        "GSI2SK": keys.due_gsi2sk(due_iso, shop, str(ref)),
    }


def _due(item: dict[str, Any]) -> DueWork:
    return DueWork(
        shop=item["shop"],
        kind=item["kind"],
        ref=item["ref"],
        due_at=datetime.fromisoformat(item["due_at"]),
        data=item.get("data") or {},
    )
