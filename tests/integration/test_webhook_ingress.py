"""POST /webhooks end to end: Flask app -> DynamoDB Local -> worker -> stored effects.

Every delivery is one of Shopify's real sample bodies, signed as Shopify signs.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from app.security import webhook_hmac
from tests.conftest import TEST_SECRET, TEST_SECRET_PREVIOUS, make_settings
from tests.support.shopify import payload_bytes, signed_headers
from tests.support.webhooks import recorded

ORDER_ID = 820982911946154508


def _items(ddb_client, shop):
    res = ddb_client.query(
        TableName="hemline-test",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SHOP#{shop}"}},
        ConsistentRead=True,
    )
    return res["Items"]


def _kinds(ddb_client, shop):
    return sorted(i["SK"]["S"].split("#")[0] for i in _items(ddb_client, shop))


def post(client, topic, shop, body=None, secret=TEST_SECRET, **kw):
    body = payload_bytes(topic) if body is None else body
    return client.post(
        "/webhooks", data=body, headers=signed_headers(topic, body, shop=shop, secret=secret, **kw)
    )


@pytest.mark.parametrize(
    "topic",
    [
        "orders/create",
        "orders/updated",
        "fulfillments/create",
        "fulfillments/update",
        "refunds/create",
        "app/uninstalled",
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    ],
)
def test_every_handled_topic_is_accepted_and_processed(client, drain, store, shop, topic):
    res = post(client, topic, shop, webhook_id="w-1")
    assert res.status_code == 200, res.json
    assert res.json == {"outcome": "accepted"}
    drain()
    record = recorded(store, shop, "w-1")
    if topic != "shop/redact":  # shop/redact erases the shop's items, this record included
        assert record.status == "processed"


def test_order_create_stores_snapshot_with_exact_money(client, drain, store, shop):
    assert post(client, "orders/create", shop).status_code == 200
    drain()
    view = store.get_order(shop, ORDER_ID)
    assert view.order.name == "#9999"
    assert view.order.subtotal == Decimal("404.95")
    assert len(view.order.line_items) == 5


def test_wrong_hmac_is_401_and_stores_nothing(client, ddb_client, shop):
    res = post(client, "orders/create", shop, secret="not-the-secret-0123456789")
    assert res.status_code == 401
    assert _items(ddb_client, shop) == []


def test_absent_hmac_is_401(client, ddb_client, shop):
    body = payload_bytes("orders/create")
    headers = signed_headers("orders/create", body, shop=shop, secret=TEST_SECRET)
    del headers["X-Shopify-Hmac-Sha256"]
    assert client.post("/webhooks", data=body, headers=headers).status_code == 401
    assert _items(ddb_client, shop) == []


def test_previous_secret_is_accepted_during_rotation(client, drain, store, shop):
    assert post(client, "orders/create", shop, secret=TEST_SECRET_PREVIOUS).status_code == 200
    drain()
    assert store.get_order(shop, ORDER_ID) is not None


def test_body_over_one_mebibyte_is_413(client, ddb_client, shop):
    body = b"{" + b" " * (1024 * 1024) + b"}"
    res = post(client, "orders/create", shop, body=body)
    assert res.status_code == 413
    assert _items(ddb_client, shop) == []


def test_body_of_exactly_one_mebibyte_is_not_refused_for_size(client, shop):
    body = b'{"id": 1' + b" " * (1024 * 1024 - 9) + b"}"
    assert len(body) == 1024 * 1024
    res = post(client, "orders/create", shop, body=body)
    assert res.status_code == 200  # accepted; the worker then parks it as an invalid order


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe\xfd", b"[]", b'{"a":' * 200 + b"1" + b"}" * 200],
    ids=["empty", "not-json", "invalid-utf8", "array", "deeply-nested"],
)
def test_malformed_body_is_400_and_stores_nothing(client, ddb_client, shop, body):
    res = post(client, "orders/create", shop, body=body)
    assert res.status_code == 400
    assert res.json["message"].startswith("body:")
    assert _items(ddb_client, shop) == []


@pytest.mark.parametrize(
    "domain", ["evil.example.com", "UPPER-.myshopify.com.evil", "", "a" * 300 + ".myshopify.com"]
)
def test_shop_domain_not_myshopify_is_400(client, ddb_client, domain):
    res = post(client, "orders/create", domain)
    assert res.status_code == 400
    assert "X-Shopify-Shop-Domain" in res.json["message"]


def test_missing_webhook_id_is_400(client, ddb_client, shop):
    body = payload_bytes("orders/create")
    headers = signed_headers("orders/create", body, shop=shop, secret=TEST_SECRET)
    del headers["X-Shopify-Webhook-Id"]
    res = client.post("/webhooks", data=body, headers=headers)
    assert res.status_code == 400 and "X-Shopify-Webhook-Id" in res.json["message"]
    assert _items(ddb_client, shop) == []


def test_unknown_topic_is_acknowledged_and_ignored(client, ddb_client, shop):
    res = post(client, "products/create", shop, body=b'{"id": 1}')
    assert res.status_code == 200 and res.json["outcome"] == "ignored"
    assert _items(ddb_client, shop) == []


def test_duplicate_delivery_is_200_and_does_nothing(client, drain, shop):
    first = post(client, "orders/create", shop, webhook_id="dup-1")
    second = post(client, "orders/create", shop, webhook_id="dup-1")
    assert (first.json["outcome"], second.json["outcome"]) == ("accepted", "duplicate")
    assert second.status_code == 200


def test_same_event_through_two_subscriptions_is_processed_once(client, drain, shop):
    a = post(client, "orders/create", shop, webhook_id="sub-a", event_id="evt-1")
    b = post(client, "orders/create", shop, webhook_id="sub-b", event_id="evt-1")
    assert (a.json["outcome"], b.json["outcome"]) == ("accepted", "duplicate")


def test_ten_concurrent_deliveries_store_one_event_and_one_effect(
    client, app, drain, ddb_client, shop, container
):
    body = payload_bytes("orders/create")
    headers = signed_headers(
        "orders/create", body, shop=shop, secret=TEST_SECRET, webhook_id="storm-1"
    )
    processed = []
    original = container.process_webhook

    def counting(*a, **kw):
        outcome = original(*a, **kw)
        processed.append(outcome)
        return outcome

    container.queue._processor = counting
    barrier = threading.Barrier(10)

    def deliver(_):
        barrier.wait()
        with app.test_client() as c:
            return c.post("/webhooks", data=body, headers=headers)

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(deliver, range(10)))
    drain()
    outcomes = sorted(r.json["outcome"] for r in responses)
    assert all(r.status_code in (200, 503) for r in responses)
    assert outcomes.count("accepted") == 1
    assert set(outcomes) <= {"accepted", "duplicate", "unavailable"}
    assert _kinds(ddb_client, shop) == ["ORDER", "WEBHOOK"]  # one record per event
    assert processed == ["processed"]


def test_fulfillment_before_its_order_is_applied_when_the_order_arrives(client, drain, store, shop):
    assert post(client, "fulfillments/create", shop).status_code == 200
    drain()
    assert store.get_order(shop, ORDER_ID) is None  # nothing to show yet, but kept
    assert post(client, "orders/create", shop).status_code == 200
    drain()
    view = store.get_order(shop, ORDER_ID)
    assert [f.tracking_number for f in view.fulfillments] == ["1z827wk74630"]
    assert view.shipped_at is not None


def test_refund_before_its_order_is_kept(client, drain, store, shop):
    post(client, "refunds/create", shop)
    post(client, "orders/create", shop)
    drain()
    assert store.get_order(shop, ORDER_ID).refunded_amount == Decimal("85.00")


def test_uninstall_names_shop_only_in_header(client, drain, store, shop):
    from app.domain.shops import Shop

    store.put_shop(Shop(domain=shop, status="installed"))
    post(client, "app/uninstalled", shop)
    drain()
    assert store.get_shop(shop).status == "uninstalled"


def test_customer_redact_erases_personal_fields(client, drain, store, shop, ddb_client):
    post(client, "orders/create", shop)
    drain()
    body = json.loads(payload_bytes("customers/redact"))
    body["shop_domain"] = shop
    body["orders_to_redact"] = [ORDER_ID]
    body["customer"]["id"] = 115310627314723954
    raw = json.dumps(body).encode()
    assert post(client, "customers/redact", shop, body=raw).status_code == 200
    drain()
    dump = json.dumps(_items(ddb_client, shop))
    for pii in ("jon@example.com", "john@example.com", "40003", "K2P0V6"):
        assert pii not in dump
    assert store.get_order(shop, ORDER_ID).order.email is None


def test_customer_data_request_exports_their_orders(client, drain, store, shop):
    post(client, "orders/create", shop)
    drain()
    body = json.loads(payload_bytes("customers/data_request"))
    body["customer"]["id"] = 115310627314723954
    post(client, "customers/data_request", shop, body=json.dumps(body).encode())
    drain()
    export = store.get_data_request(shop, 9999)
    assert [o["order"]["id"] for o in export["orders"]] == [ORDER_ID]


def test_shop_redact_erases_everything(client, drain, ddb_client, shop):
    post(client, "orders/create", shop)
    post(client, "fulfillments/create", shop)
    drain()
    post(client, "shop/redact", shop)
    drain()
    assert _items(ddb_client, shop) == []


def test_invalid_order_payload_is_parked_not_retried(client, drain, store, shop):
    body = b'{"id": 5, "name": "#5"}'
    assert post(client, "orders/create", shop, body=body, webhook_id="bad-1").status_code == 200
    drain()
    record = recorded(store, shop, "bad-1")
    assert record.status == "failed" and record.attempts == 1


def test_store_down_answers_503_so_shopify_retries(ddb_client, shop):
    from app.container import build_container
    from app.web import create_app

    settings = make_settings(
        DYNAMODB_ENDPOINT_URL="http://127.0.0.1:9", HEMLINE_TABLE="hemline-test"
    )
    app = create_app(container=build_container(settings))
    body = payload_bytes("orders/create")
    res = app.test_client().post(
        "/webhooks",
        data=body,
        headers=signed_headers("orders/create", body, shop=shop, secret=TEST_SECRET),
    )
    assert res.status_code == 503
    assert app.test_client().get("/healthz").json["store"]["ok"] is False


def test_ingress_emits_structured_log_and_emf_metric(client, drain, shop, capsys):
    import io
    import logging

    from app.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger("hemline").addHandler(handler)
    try:
        post(client, "orders/create", shop, webhook_id="log-1")
        drain()
    finally:
        logging.getLogger("hemline").removeHandler(handler)
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    accepted = [ln for ln in logs if ln.get("message") == "webhook accepted"]
    assert accepted and accepted[0]["shop"] == shop and accepted[0]["webhook_id"] == "log-1"
    assert accepted[0]["topic"] == "orders/create"
    assert "jon@example.com" not in stream.getvalue()
    emf = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"_aws"')
    ]
    names = {m["Name"] for ln in emf for m in ln["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"WebhooksReceived", "WebhooksProcessed"} <= names


def test_healthz_reports_store_ok(client):
    res = client.get("/healthz")
    assert res.status_code == 200
    assert res.json["store"] == {"ok": True, "table": "hemline-test", "status": "ACTIVE"}


def test_hmac_helper_matches_header_used_by_tests():
    body = payload_bytes("orders/create")
    assert signed_headers("orders/create", body, shop="a.myshopify.com", secret="k")[
        "X-Shopify-Hmac-Sha256"
    ] == (webhook_hmac("k", body))
