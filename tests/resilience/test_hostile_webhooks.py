"""Hostile deliveries to POST /webhooks on the served app, over HTTP.

Each is refused with the status Shopify (or an attacker) should see and leaves no trace:
no item for the shop in the table and nothing queued for the worker. Bodies that are
authentic (a valid HMAC) and well-formed JSON but nonsense as an order are acknowledged,
because a 4xx would only make Shopify send the same bytes again, and the worker parks them
without storing an order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import TEST_SECRET
from tests.support.shopify import payload_bytes, signed_headers

TABLE = "hemline-test"
MIB = 1024 * 1024
ORDER_ID = 820982911946154508  # Shopify's sample order


def table_items(ddb_client, shop: str) -> list[dict[str, Any]]:
    """Every item stored under the shop's partition, read consistently."""
    res = ddb_client.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SHOP#{shop}"}},
        ConsistentRead=True,
    )
    return res["Items"]


def kinds(ddb_client, shop: str) -> list[str]:
    return sorted(i["SK"]["S"].split("#")[0] for i in table_items(ddb_client, shop))


@pytest.fixture
def queued(stack, monkeypatch) -> Iterator[list[tuple[str, str]]]:
    """What ingress hands to the worker during the test (shop, delivery key), still delivered."""
    sent: list[tuple[str, str]] = []
    queue = stack.container.queue
    original = queue.enqueue

    def recording(shop: str, key: str) -> None:
        sent.append((shop, key))
        original(shop, key)

    monkeypatch.setattr(queue, "enqueue", recording)
    yield sent


@pytest.fixture
def shop() -> str:
    return f"h{uuid.uuid4().hex[:12]}.myshopify.com"


def deliver(
    stack,
    shop: str,
    body: bytes,
    *,
    topic: str = "orders/create",
    secret: str | None = TEST_SECRET,
    headers: dict[str, str] | None = None,
    **ids: str,
) -> requests.Response:
    """POST a delivery as Shopify would, signed with `secret` (None: no HMAC header at all)."""
    sent = signed_headers(topic, body, shop=shop, secret=secret or "unused", **ids)
    if secret is None:
        del sent["X-Shopify-Hmac-Sha256"]
    sent.update(headers or {})
    return requests.post(f"{stack.app_url}/webhooks", data=body, headers=sent, timeout=30)


def assert_nothing_stored(ddb_client, shop: str, queued: list[tuple[str, str]]) -> None:
    assert table_items(ddb_client, shop) == []
    assert [q for q in queued if q[0] == shop] == []


def deep_object(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


ORDER = payload_bytes("orders/create")

# (id, body, HMAC secret (None: header absent), expected status, words the message must hold)
REFUSED = [
    (
        "hmac-wrong-secret",
        ORDER,
        "not-the-apps-secret-0123456789abcdef",
        401,
        "X-Shopify-Hmac-Sha256",
    ),
    ("hmac-absent", ORDER, None, 401, "X-Shopify-Hmac-Sha256"),
    ("hmac-previous-app-secret-typo", ORDER, TEST_SECRET[:-1], 401, "X-Shopify-Hmac-Sha256"),
    ("empty-body", b"", TEST_SECRET, 400, "body"),
    ("one-mebibyte-plus-one", b"{" + b" " * (MIB - 1) + b"}", TEST_SECRET, 413, "bytes"),
    ("invalid-utf8", b'{"id": "\xff\xfe"}', TEST_SECRET, 400, "UTF-8"),
    ("lone-surrogate-bytes", b'{"id": "\xed\xa0\x80"}', TEST_SECRET, 400, "UTF-8"),
    ("deeply-nested-65", deep_object(65), TEST_SECRET, 400, "nests deeper"),
    ("deeply-nested-100k-arrays", b"[" * 100_000 + b"]" * 100_000, TEST_SECRET, 400, "body"),
    ("integer-of-5000-digits", b'{"id": ' + b"9" * 5000 + b"}", TEST_SECRET, 400, "JSON"),
    ("not-json", b"id=1&name=%231001", TEST_SECRET, 400, "JSON"),
    ("json-array", b"[1, 2, 3]", TEST_SECRET, 400, "JSON object"),
    ("json-string", b'"orders/create"', TEST_SECRET, 400, "JSON object"),
    ("truncated-json", ORDER[: len(ORDER) // 2], TEST_SECRET, 400, "JSON"),
]


@pytest.mark.parametrize(
    "body,secret,status,words", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_hostile_body_is_refused_and_leaves_nothing(
    stack, ddb_client, shop, queued, body, secret, status, words
):
    # WHEN a hostile delivery arrives
    res = deliver(stack, shop, body, secret=secret)
    # THEN it is refused with the right status, saying what is wrong
    assert res.status_code == status, res.text
    assert words in res.json()["message"]
    # AND the shop has nothing stored and nothing was queued
    assert_nothing_stored(ddb_client, shop, queued)


def test_body_over_the_limit_without_a_length_is_413_too(stack, ddb_client, shop, queued):
    # GIVEN 1 MiB + 1 sent chunked, so no Content-Length announces the size
    body = b"{" + b" " * (MIB - 1) + b"}"
    headers = signed_headers("orders/create", body, shop=shop, secret=TEST_SECRET)
    res = requests.post(f"{stack.app_url}/webhooks", data=chunks(body), headers=headers, timeout=30)
    assert res.status_code == 413, res.text
    assert_nothing_stored(ddb_client, shop, queued)


@pytest.mark.parametrize(
    "header,value,field",
    [
        ("X-Shopify-Topic", "", "X-Shopify-Topic"),
        ("X-Shopify-Topic", "orders/create; drop", "X-Shopify-Topic"),
        ("X-Shopify-Webhook-Id", "", "X-Shopify-Webhook-Id"),
        ("X-Shopify-Webhook-Id", "a" * 129, "X-Shopify-Webhook-Id"),
        ("X-Shopify-Webhook-Id", "id with spaces", "X-Shopify-Webhook-Id"),
        ("X-Shopify-Event-Id", "e" * 200, "X-Shopify-Event-Id"),
    ],
    ids=["topic-empty", "topic-garbage", "id-empty", "id-too-long", "id-spaces", "event-too-long"],
)
def test_signed_delivery_with_bad_headers_is_400_naming_the_header(
    stack, ddb_client, shop, queued, header, value, field
):
    res = deliver(stack, shop, ORDER, headers={header: value})
    assert res.status_code == 400, res.text
    assert field in res.json()["message"]
    assert_nothing_stored(ddb_client, shop, queued)


@pytest.mark.parametrize(
    "domain", ["evil.example.com", "x.myshopify.com.evil.example", "a" * 300 + ".myshopify.com"]
)
def test_signed_delivery_for_a_shop_that_is_not_myshopify_is_400(stack, queued, domain):
    res = deliver(stack, domain, ORDER)
    assert res.status_code == 400 and "X-Shopify-Shop-Domain" in res.json()["message"]
    assert queued == []


def _order_with(**changes: Any) -> bytes:
    body = json.loads(ORDER)
    line = body["line_items"][0]
    for key, value in changes.items():
        target, _, name = key.rpartition("__")
        (line if target == "line" else body)[name] = value
    return json.dumps(body).encode()


# Authentic, well-formed JSON, nonsense as an order: acknowledged, parked, no order stored.
NONSENSE_ORDERS = {
    "negative-quantity": _order_with(line__quantity=-1),
    "fractional-quantity": _order_with(line__quantity=1.5),
    "huge-quantity": _order_with(line__quantity=10**30),
    "quantity-as-text": _order_with(line__quantity="1"),
    "id-beyond-64-bits": _order_with(id=2**64),
    "negative-id": _order_with(id=-5),
    "price-1e999999999": ORDER.replace(b'"amount": "89.99"', b'"amount": 1e999999999', 1),
    "created-in-1900": _order_with(created_at="1900-01-01T00:00:00-05:00"),
    "created-in-9999": _order_with(created_at="9999-12-31T23:59:59+00:00"),
    "created-without-offset": _order_with(created_at="2026-11-01T10:00:00"),
}


@pytest.mark.parametrize("body", NONSENSE_ORDERS.values(), ids=NONSENSE_ORDERS.keys())
def test_authentic_nonsense_order_is_acknowledged_then_parked_without_an_order(
    stack, ddb_client, shop, queued, body
):
    # WHEN Shopify (a valid HMAC) delivers an order no shop could have
    res = deliver(stack, shop, body, webhook_id=f"nonsense-{uuid.uuid4().hex[:8]}")
    # THEN it is acknowledged (a 4xx would only bring the same bytes back)
    assert res.status_code == 200 and res.json()["outcome"] == "accepted"
    stack.container.queue.drain(timeout=30)
    # AND the worker parked it after one attempt: no order, the delivery marked failed
    items = table_items(ddb_client, shop)
    assert "ORDER" not in kinds(ddb_client, shop)
    deliveries = [i for i in items if i["SK"]["S"].startswith("WEBHOOK#")]
    assert [d["status"]["S"] for d in deliveries] == ["failed"]
    assert len(queued) == 1


def test_price_1e999999999_is_refused_quickly(stack, ddb_client, shop, queued):
    """A JSON number with a huge exponent is refused before it is written out in digits."""
    import time

    body = NONSENSE_ORDERS["price-1e999999999"]
    assert b"1e999999999" in body
    started = time.monotonic()
    assert deliver(stack, shop, body).status_code == 200
    stack.container.queue.drain(timeout=30)
    assert time.monotonic() - started < 5
    assert "ORDER" not in kinds(ddb_client, shop)


@pytest.mark.parametrize("topic", ["orders/create", "refunds/create"])
def test_replayed_delivery_is_acknowledged_and_has_no_second_effect(stack, shop, queued, topic):
    """Shopify's retry contract: the same delivery may come again (same webhook and event id,
    same bytes) and must get a 2xx, else Shopify keeps retrying; it must not apply twice."""
    if topic == "refunds/create":
        assert deliver(stack, shop, ORDER).status_code == 200
    body = payload_bytes(topic)
    ids = {
        "webhook_id": f"replay-{uuid.uuid4().hex[:8]}",
        "event_id": f"evt-{uuid.uuid4().hex[:8]}",
    }
    first = deliver(stack, shop, body, topic=topic, **ids)
    stack.container.queue.drain(timeout=30)
    before = stack.container.store.get_order(shop, ORDER_ID)
    # WHEN the same delivery comes back three times, once after it was processed
    replays = [deliver(stack, shop, body, topic=topic, **ids) for _ in range(3)]
    # AND once more under a new delivery id for the same event (another subscription)
    again = deliver(
        stack,
        shop,
        body,
        topic=topic,
        webhook_id=f"other-{uuid.uuid4().hex[:8]}",
        event_id=ids["event_id"],
    )
    stack.container.queue.drain(timeout=30)
    # THEN each is acknowledged as a duplicate
    assert first.json()["outcome"] == "accepted"
    assert [r.status_code for r in [*replays, again]] == [200] * 4
    assert {r.json()["outcome"] for r in [*replays, again]} == {"duplicate"}
    # AND nothing more was queued or applied: the order (and its refunds) are as after the first
    assert len([q for q in queued if q[0] == shop]) == (2 if topic == "refunds/create" else 1)
    after = stack.container.store.get_order(shop, ORDER_ID)
    assert after is not None
    assert after.refunded_amount == before.refunded_amount
    assert len(after.refunds) == len(before.refunds) == (1 if topic == "refunds/create" else 0)
