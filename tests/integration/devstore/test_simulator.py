"""The simulator itself: real-schema validation, loud drift, cost, control API, page, seed and CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from infra.local.devstore import start_in_thread
from infra.local.devstore.clock import SystemClock
from infra.local.devstore.schema import SchemaNotFoundError, load_schema
from infra.local.devstore.seed import DEMO_SHOP, DEMO_SHOPS, seed_demo
from infra.local.devstore.store import DevStore
from policies import load_preset
from policies.service_levels import is_delayed

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
        assert list(server.simulator.store.shops) == list(DEMO_SHOPS)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def demo_store():
    store = DevStore(SystemClock())
    hemline = seed_demo(store)
    return store, hemline


def _delivered_ago(store, order):
    delivered = order.fulfillments[0].delivered_at if order.fulfillments else None
    return store.clock.now() - delivered if delivered else None


def test_demo_seed_keeps_hemline_demo_as_before_when_other_shops_are_added(demo_store):
    store, hemline = demo_store
    assert hemline is store.shops[DEMO_SHOP]
    assert (len(hemline.orders), hemline.orders[0].name, hemline.orders[-1].name) == (
        36,
        "#1001",
        "#1036",
    )
    assert [line.sku for line in hemline.orders[0].line_items] == ["PP-MPS-8"]
    assert hemline.orders[0].customer.email == "sofia.alvarez@example.com"
    assert len(hemline.products) == 13
    assert hemline.id < min(store.shops[domain].id for domain in DEMO_SHOPS if domain != DEMO_SHOP)


def test_demo_seed_creates_a_shop_for_each_policy_preset_when_seeded(demo_store):
    store, _ = demo_store
    assert DEMO_SHOPS == {
        "hemline-demo.myshopify.com": "petite-plume",
        "lavish-ivy-demo.myshopify.com": "lavish-ivy",
        "cn-consumer-demo.myshopify.com": "cn-consumer",
    }
    assert list(store.shops) == list(DEMO_SHOPS)
    described = {
        domain: (shop.name, shop.country_code, shop.currency, shop.iana_timezone, shop.installed)
        for domain, shop in store.shops.items()
    }
    assert described == {
        "hemline-demo.myshopify.com": (
            "Petite Plume (demo)",
            "US",
            "USD",
            "America/New_York",
            False,
        ),
        "lavish-ivy-demo.myshopify.com": (
            "Lavish Ivy (demo)",
            "US",
            "USD",
            "America/Chicago",
            False,
        ),
        "cn-consumer-demo.myshopify.com": ("青禾服饰 (demo)", "CN", "CNY", "Asia/Shanghai", False),
    }
    for domain, preset in DEMO_SHOPS.items():
        assert load_preset(preset).currency == store.shops[domain].currency
    assert sum(len(shop.orders) for shop in store.shops.values()) == 36 + 12 + 12


def test_demo_seed_lavish_ivy_exercises_its_preset_when_seeded(demo_store):
    store, _ = demo_store
    shop = store.shops["lavish-ivy-demo.myshopify.com"]
    policy = load_preset(DEMO_SHOPS[shop.domain])
    boxed = [p for p in shop.products if "boxed" in p.tags]
    assert {"Loungewear", "Robes", "Throws"} <= {p.product_type for p in boxed}
    bespoke = [p for p in shop.products if "bespoke" in p.tags]
    assert {p.title for p in bespoke} == {"Bespoke Silk Evening Gown", "Bespoke Monogrammed Robe"}
    lines = [line for order in shop.orders for line in order.line_items]
    assert sum(line.unit_price == Decimal("175.00") for line in lines) >= 3
    assert any("bespoke" in line.product.tags for line in lines)
    assert sum(order.subtotal > Decimal("300.00") for order in shop.orders) >= 3
    titles = {order.shipping_lines[0].title for order in shop.orders}
    assert titles == set(policy.fulfillment.shipping_methods) == {"standard", "expedited"}

    now = store.clock.now()
    assert len(shop.orders) == 12
    assert all(now - order.created_at < timedelta(days=100) for order in shop.orders)
    ago = [_delivered_ago(store, order) for order in shop.orders]
    assert sum(1 for a in ago if a and timedelta(days=30) < a < timedelta(days=90)) >= 3
    assert any(a and a < timedelta(days=30) for a in ago)
    in_transit = [o for o, a in zip(shop.orders, ago, strict=True) if o.fulfillments and not a]
    late = [
        o
        for o in in_transit
        if is_delayed(
            policy,
            o.created_at,
            o.shipping_lines[0].title,
            shop.country_code,
            shop.iana_timezone,
            now,
        )
    ]
    assert 1 <= len(late) <= 2 < len(in_transit)
    assert all(o.fulfillments[0].shipment_status == "delayed" for o in late)
    assert any(o.display_fulfillment_status == "UNFULFILLED" for o in shop.orders)


def test_demo_seed_cn_consumer_exercises_its_preset_when_seeded(demo_store):
    store, _ = demo_store
    shop = store.shops["cn-consumer-demo.myshopify.com"]
    kinds = {p.product_type for p in shop.products}
    assert {"Underwear", "Socks", "Shirts", "Dresses"} <= kinds
    assert any("custom" in p.tags for p in shop.products)
    clearance = [v for p in shop.products for v in p.variants if v.compare_at_price]
    assert clearance and all(v.price < v.compare_at_price for v in clearance)
    sold = {line.variant for order in shop.orders for line in order.line_items}
    assert any(v.product.product_type in {"Underwear", "Socks"} for v in sold)
    assert any("custom" in v.product.tags for v in sold)
    assert any(v.compare_at_price and v.price < v.compare_at_price for v in sold)
    assert all(order.currency == "CNY" for order in shop.orders)

    cities = {c.default_address.city for c in shop.customers}
    assert cities == {"上海市", "杭州市", "北京市"}
    for customer in shop.customers:
        address = customer.default_address
        assert address.country_code == "CN" and len(address.zip) == 6 and address.zip.isdigit()
        assert address.zip[0] in "123"  # Beijing 1xxxxx, Shanghai 2xxxxx, Hangzhou 3xxxxx
        assert all(ord(ch) > 0x3000 for ch in customer.last_name + customer.first_name)

    now = store.clock.now()
    assert len(shop.orders) == 12
    assert all(now - order.created_at < timedelta(days=30) for order in shop.orders)
    ago = [a for a in (_delivered_ago(store, order) for order in shop.orders) if a]
    assert sum(a < timedelta(days=7) for a in ago) >= 2
    assert sum(timedelta(days=8) < a < timedelta(days=30) for a in ago) >= 5


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
        assert [s["domain"] for s in shops] == list(DEMO_SHOPS)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        process.stdout.close()
