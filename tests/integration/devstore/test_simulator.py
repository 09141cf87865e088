"""The simulator itself: real-schema validation, loud drift, cost, control API, page, seed and CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from infra.local.devstore import start_in_thread
from infra.local.devstore.schema import SchemaNotFoundError, load_schema
from infra.local.devstore.seed import DEMO_SHOP

from .conftest import API_KEY, API_SECRET, API_VERSION

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def graphql(devstore, sim, tokens, query, variables=None):
    res = requests.post(
        f"{devstore.shop_url(sim.shop)}/admin/api/{API_VERSION}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": tokens["access_token"]},
        timeout=10,
    )
    assert res.status_code == 200, res.text
    return res.json()


def test_field_without_data_is_a_loud_error_when_app_asks_for_it(
    devstore, sim, tokens, delivered_order
):
    body = graphql(
        devstore,
        sim,
        tokens,
        "query($id: ID!) { order(id: $id) { name merchantBusinessEntity { id } } }",
        {"id": delivered_order["gid"]},
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "DEVSTORE_UNSUPPORTED"
    assert "Order.merchantBusinessEntity" in error["message"]
    assert error["path"] == ["order", "merchantBusinessEntity"]


def test_argument_nobody_handles_is_a_loud_error_when_sent(devstore, sim, tokens, delivered_order):
    body = graphql(
        devstore,
        sim,
        tokens,
        'query($id: ID!) { order(id: $id) { fulfillments(first: 1, query: "status:success") { id } } }',
        {"id": delivered_order["gid"]},
    )
    assert "argument 'query'" in body["errors"][0]["message"]


def test_document_is_rejected_like_shopify_when_schema_disagrees(devstore, sim, tokens):
    body = graphql(devstore, sim, tokens, "{ shop { name returnPolicyUrl } }")
    assert "data" not in body
    assert "Cannot query field 'returnPolicyUrl' on type 'Shop'" in body["errors"][0]["message"]


def test_cost_extension_reports_requested_and_actual_when_query_runs(
    devstore, sim, tokens, delivered_order
):
    body = graphql(
        devstore,
        sim,
        tokens,
        "query($id: ID!) { order(id: $id) { lineItems(first: 10) { nodes { id variant { id } } } } }",
        {"id": delivered_order["gid"]},
    )
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 1 + 2 + 10 * (1 + 1)
    assert cost["actualQueryCost"] == 1 + 2 + 2 * (1 + 1)
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


def test_query_over_the_single_query_limit_is_refused_when_priced(devstore, sim, tokens):
    body = graphql(
        devstore,
        sim,
        tokens,
        "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }",
    )
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_connection_without_page_size_is_refused_when_priced(devstore, sim, tokens):
    body = graphql(devstore, sim, tokens, "{ orders { nodes { id } } }")
    assert "first or last" in body["errors"][0]["message"]


REFUND = """mutation($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) { refund { id } userErrors { field message } }
}"""


def test_refund_requires_idempotency_key_when_version_is_2026_04(
    devstore, sim, tokens, delivered_order
):
    body = graphql(
        devstore,
        sim,
        tokens,
        "mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } } }",
        {"input": {"orderId": delivered_order["gid"]}},
    )
    assert "@idempotent" in body["errors"][0]["message"]


def test_refund_key_reuse_is_refused_when_input_differs(devstore, sim, tokens, delivered_order):
    line = delivered_order["line_items"][0]["gid"]
    first = {
        "orderId": delivered_order["gid"],
        "refundLineItems": [{"lineItemId": line, "quantity": 1}],
    }
    second = {
        "orderId": delivered_order["gid"],
        "refundLineItems": [{"lineItemId": line, "quantity": 2}],
    }
    ok = graphql(devstore, sim, tokens, REFUND, {"input": first, "key": "k-1"})
    again = graphql(devstore, sim, tokens, REFUND, {"input": first, "key": "k-1"})
    clash = graphql(devstore, sim, tokens, REFUND, {"input": second, "key": "k-1"})
    assert (
        ok["data"]["refundCreate"]["refund"]["id"] == again["data"]["refundCreate"]["refund"]["id"]
    )
    assert clash["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert len(sim.get(sim.shop_path("/refunds"))) == 1


def test_control_api_lists_what_the_app_changed_when_asked(admin, sim, delivered_order):
    from decimal import Decimal

    from app.shopify.models import Money, ReturnLineRequest

    order = admin.get_order(delivered_order["gid"])
    admin.request_return(order.id, [ReturnLineRequest(order.fulfillments[0].lines[0].id, 1)])
    admin.credit_store_credit(order.customer_id, Money(Decimal("9.99"), "USD"))
    admin.create_gift_card(Decimal("20"))
    assert [r["status"] for r in sim.get(sim.shop_path("/returns"))] == ["REQUESTED"]
    assert sim.get(sim.shop_path("/store_credit"))[0]["balance"] == "9.99"
    assert sim.get(sim.shop_path("/gift_cards"))[0]["balance"] == "20.00"
    payload = sim.get(sim.shop_path(f"/orders/{delivered_order['id']}/payload"))
    assert payload["returns"][0]["status"] == "requested"
    assert sim.get(sim.shop_path())["installed"] is True


def test_control_api_answers_422_when_input_is_invalid(sim):
    res = sim.http.post(
        sim.url(sim.shop_path("/orders")), json={"lines": [{"sku": "NOPE"}]}, timeout=10
    )
    assert res.status_code == 422
    assert res.json()["errors"][0]["message"] == "Unknown variant"
    bad_fault = sim.http.post(sim.url("/_sim/faults"), json={"mode": "explode"}, timeout=10)
    assert bad_fault.status_code == 422


def test_page_lists_orders_with_buttons_when_opened(devstore, sim, delivered_order, catalogue):
    page = requests.get(f"{devstore.url}/", timeout=10).text
    assert delivered_order["name"] in page and sim.shop in page
    for label in ("New order", "Out-of-stock order", "Fulfil", "Deliver", "Delay", "Refund"):
        assert f">{label}</button>" in page
    res = requests.post(
        f"{devstore.url}/_sim/ui/{sim.shop}/orders",
        data={"kind": "out_of_stock"},
        allow_redirects=False,
        timeout=10,
    )
    assert res.status_code == 302
    newest = sim.get(sim.shop_path("/orders"))[-1]
    assert newest["fulfillment_status"] == "ON_HOLD"
    requests.post(f"{devstore.url}/_sim/ui/{sim.shop}/orders/{newest['id']}/fulfil", timeout=10)
    assert sim.refresh(newest)["fulfillment_status"] == "FULFILLED"


def test_demo_seed_builds_boutique_with_two_months_of_orders_when_seeded():
    server = start_in_thread(
        api_key=API_KEY, api_secret=API_SECRET, app_url="http://127.0.0.1:9", seed="demo"
    )
    try:
        shop = server.simulator.store.shops[DEMO_SHOP]
        assert (shop.country_code, shop.iana_timezone, shop.currency, shop.installed) == (
            "US",
            "America/New_York",
            "USD",
            False,
        )
        kinds = {p.product_type for p in shop.products}
        assert {"Rompers", "Dresses", "Accessories", "Bespoke", "Underwear"} <= kinds
        bows = [p for p in shop.products if "hair-bow" in p.tags]
        assert bows and all("final-sale" in p.tags for p in bows)
        assert len(shop.orders) >= 30
        ages = [server.simulator.clock.now() - o.created_at for o in shop.orders]
        assert max(ages) > timedelta(days=45) and min(ages) < timedelta(days=3)
        states = {
            "delivered"
            if o.fulfillments and o.fulfillments[0].delivered_at
            else "shipped"
            if o.fulfillments
            else "unfulfilled"
            for o in shop.orders
        }
        assert states == {"delivered", "shipped", "unfulfilled"}
        assert any(o.display_fulfillment_status == "ON_HOLD" for o in shop.orders)
        assert server.simulator.webhooks.deliveries() == []
    finally:
        server.stop()


def test_reset_forgets_everything_when_called():
    server = start_in_thread(api_key=API_KEY, api_secret=API_SECRET, seed="demo")
    try:
        assert requests.post(f"{server.url}/_sim/reset", timeout=10).json() == {"ok": True}
        assert requests.get(f"{server.url}/_sim/shops", timeout=10).json() == []
    finally:
        server.stop()


def test_schema_loading_fails_loudly_when_file_is_missing(tmp_path):
    with pytest.raises(SchemaNotFoundError, match="HEMLINE_SHOPIFY_SCHEMA"):
        load_schema(tmp_path / "missing.graphql")


def test_cli_serves_demo_store_when_started():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.local.devstore",
            "--port",
            "0",
            "--api-key",
            API_KEY,
            "--api-secret",
            API_SECRET,
            "--app-url",
            "http://127.0.0.1:9",
            "--seed",
            "demo",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.split("serving ", 1)[1].split(" ", 1)[0]
        shops = requests.get(f"{url}/_sim/shops", timeout=10).json()
        assert [s["domain"] for s in shops] == [DEMO_SHOP]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        process.stdout.close()
