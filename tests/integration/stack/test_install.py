"""Installing Hemline through OAuth against the simulator, tokens, subscriptions, and repairs."""

import html
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from app.errors import NotAllowed
from app.security import oauth_query_hmac
from app.services.webhooks import API_SUBSCRIBED_TOPICS
from handlers import sweeps
from tests.conftest import TEST_SECRET
from tests.support.lambda_context import LambdaContext


def test_install_stores_encrypted_tokens_profile_and_subscriptions(stack, ddb_client):
    shop = stack.new_shop(country_code="CN", iana_timezone="Asia/Shanghai", currency="CNY")
    res = stack.install(shop)
    # The merchant lands in the app's admin page (local mode) after Shopify's grant screen.
    assert res.history and urlsplit(res.url).path == "/admin"
    assert parse_qs(urlsplit(res.url).query)["shop"] == [shop]
    record = stack.container.store.get_shop(shop)
    assert (record.status, record.country, record.timezone, record.currency) == (
        "installed",
        "CN",
        "Asia/Shanghai",
        "CNY",
    )
    token = stack.container.tokens.access_token(shop)
    raw = ddb_client.get_item(
        TableName="hemline-test", Key={"PK": {"S": f"SHOP#{shop}"}, "SK": {"S": "SHOP"}}
    )
    assert token.encode() not in json.dumps(raw, default=str).encode()
    assert raw["Item"]["refresh_token"]["B"]
    subs = stack.sim("GET", f"/shops/{shop}/webhook_subscriptions")
    topics = sorted(s["topic"] for s in subs)
    assert topics == sorted(t.upper().replace("/", "_") for t in API_SUBSCRIBED_TOPICS)
    assert {s["uri"] for s in subs} == {f"{stack.app_url}/webhooks"}


def test_reinstall_does_not_duplicate_subscriptions(stack):
    shop = stack.new_shop()
    stack.install(shop)
    stack.install(shop)
    subs = stack.sim("GET", f"/shops/{shop}/webhook_subscriptions")
    assert len(subs) == len(API_SUBSCRIBED_TOPICS)


def test_new_order_in_the_store_reaches_the_app_as_a_signed_webhook(stack):
    shop = stack.new_shop()
    stack.install(shop)
    product = stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Knitted romper",
            "product_type": "Rompers",
            "variants": [{"title": "3-6m", "sku": "ROMP-36", "price": "48.00", "inventory": 10}],
        },
    )
    assert product
    order = stack.sim(
        "POST", f"/shops/{shop}/orders", json={"lines": [{"sku": "ROMP-36", "quantity": 1}]}
    )
    stack.wait_for_webhooks()
    view = stack.container.store.get_order(shop, int(order["id"]))
    assert view is not None and view.order.line_items[0].sku == "ROMP-36"
    assert str(view.order.line_items[0].price) == "48.00"
    # The webhook body has no product type; the stored order is enriched from the Admin API.
    assert view.order.line_items[0].product_type == "Rompers"


def test_an_order_event_older_than_the_stored_order_costs_no_admin_read(stack):
    # GIVEN an order placed and shipped, each event stored (the first read the Admin API)
    shop = stack.new_shop()
    stack.install(shop)
    stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Knitted romper",
            "variants": [{"title": "3-6m", "sku": "ROMP-36", "price": "48.00", "inventory": 10}],
        },
    )
    order = stack.sim(
        "POST", f"/shops/{shop}/orders", json={"lines": [{"sku": "ROMP-36", "quantity": 1}]}
    )
    stack.sim("POST", f"/shops/{shop}/orders/{order['id']}/fulfil", json={})
    stack.wait_for_webhooks()
    shipped = stack.container.store.get_order(shop, int(order["id"]))
    assert shipped is not None and shipped.order.fulfillment_status == "fulfilled"
    reads = len(
        [r for r in stack.sim("GET", f"/requests?shop={shop}") if r["operation"] == "OrderGet"]
    )
    # WHEN Shopify delivers the order's creation event again, late, as a new event
    [created] = stack.sim("GET", f"/webhooks?shop={shop}&topic=orders/create")
    headers = dict(created["headers"])
    headers["X-Shopify-Webhook-Id"] = str(uuid.uuid4())
    headers["X-Shopify-Event-Id"] = str(uuid.uuid4())
    res = requests.post(
        f"{stack.app_url}/webhooks", data=created["body"].encode(), headers=headers, timeout=10
    )
    assert res.status_code == 200
    stack.wait_for_webhooks()
    # THEN the stored order is still the shipped one, and Shopify was not asked again
    again = stack.container.store.get_order(shop, int(order["id"]))
    assert again is not None and again.order.fulfillment_status == "fulfilled"
    after = [r for r in stack.sim("GET", f"/requests?shop={shop}") if r["operation"] == "OrderGet"]
    assert len(after) == reads


def _callback_params(stack, shop, cookie_state="s1", **over):
    params = {
        "code": "abc",
        "shop": shop,
        "state": cookie_state,
        "timestamp": str(int(time.time())),
        "host": "x",
    }
    params.update(over)
    params["hmac"] = oauth_query_hmac(TEST_SECRET, params)
    return params


def test_callback_with_forged_hmac_is_refused_and_nothing_installed(stack):
    shop = stack.new_shop()
    params = _callback_params(stack, shop)
    params["hmac"] = "0" * 64
    res = requests.get(
        f"{stack.app_url}/auth/callback",
        params=params,
        cookies={"hemline_oauth_state": "s1"},
        timeout=10,
    )
    assert res.status_code == 400
    assert "This install link can't be used" in html.unescape(res.text)
    assert stack.container.store.get_shop(shop) is None


def test_callback_with_state_not_issued_here_is_refused(stack):
    shop = stack.new_shop()
    res = requests.get(
        f"{stack.app_url}/auth/callback",
        params=_callback_params(stack, shop, cookie_state="never-issued"),
        cookies={"hemline_oauth_state": "never-issued"},
        timeout=10,
    )
    assert res.status_code == 400
    assert stack.container.store.get_shop(shop) is None


def test_callback_replayed_after_install_is_refused(stack):
    shop = stack.new_shop()
    browser = requests.Session()
    first = browser.get(
        f"{stack.app_url}/auth", params={"shop": shop}, allow_redirects=False, timeout=10
    )
    grant = requests.get(first.headers["Location"], allow_redirects=False, timeout=10)
    callback_url = grant.headers["Location"]
    assert browser.get(callback_url, allow_redirects=False, timeout=30).status_code == 302
    replay = requests.get(
        callback_url,
        cookies={"hemline_oauth_state": parse_qs(urlsplit(callback_url).query)["state"][0]},
        timeout=10,
    )
    assert replay.status_code == 400


def test_callback_with_stale_timestamp_or_other_shop_is_refused(stack):
    shop = stack.new_shop()
    stale = _callback_params(stack, shop, timestamp=str(int(time.time()) - 7200))
    res = requests.get(
        f"{stack.app_url}/auth/callback",
        params=stale,
        cookies={"hemline_oauth_state": "s1"},
        timeout=10,
    )
    assert res.status_code == 400
    bad_shop = _callback_params(stack, "evil.example.com")
    res = requests.get(
        f"{stack.app_url}/auth/callback",
        params=bad_shop,
        cookies={"hemline_oauth_state": "s1"},
        timeout=10,
    )
    assert res.status_code == 400


def test_auth_with_invalid_shop_shows_a_clear_page(stack):
    res = requests.get(
        f"{stack.app_url}/auth", params={"shop": "https://evil.example.com"}, timeout=10
    )
    assert res.status_code == 400
    assert "That is not a Shopify store address" in res.text


def test_expiring_token_is_refreshed_once_when_workers_race(stack):
    shop = stack.new_shop()
    stack.install(shop)
    store = stack.container.store
    first = stack.container.tokens.access_token(shop)
    # Make the stored token look one minute from expiry.
    store.save_refreshed_tokens(
        shop,
        {"token_expires_at": int((datetime.now(UTC) + timedelta(minutes=1)).timestamp())},
        store.get_tokens(shop)["token_version"],
    )
    tokens, barrier = [], threading.Barrier(5)

    def worker():
        barrier.wait()
        tokens.append(stack.container.tokens.access_token(shop))

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and tokens[0] != first
    # The refreshed token works against the Admin API, the old one no longer matters.
    assert stack.container.admin_for(shop).shop().name == "Petite Plume"


def test_a_token_looked_up_again_costs_no_read_until_the_shop_changes(stack, monkeypatch):
    shop = stack.new_shop()
    stack.install(shop)
    store, tokens = stack.container.store, stack.container.tokens
    first = tokens.access_token(shop)
    reads = []
    real_call = store._call

    def counted(op, **kw):
        reads.append(op)
        return real_call(op, **kw)

    monkeypatch.setattr(store, "_call", counted)
    # WHEN the next Shopify calls of this process ask for the token
    assert tokens.access_token(shop) == first
    assert tokens.access_token(shop) == first
    # THEN they were answered from this process's copy of the shop's item
    assert reads == []
    # AND once the shop uninstalls (this process recorded it), the copy is not used
    assert store.mark_uninstalled(shop, datetime.now(UTC))
    with pytest.raises(NotAllowed):
        tokens.access_token(shop)


def test_embedded_install_by_token_exchange(stack):
    from app.session_tokens import verify_session_token

    shop = stack.new_shop()
    now = int(time.time())
    raw = jwt.encode(
        {
            "iss": f"https://{shop}/admin",
            "dest": f"https://{shop}",
            "aud": "test-api-key",
            "sub": "1",
            "exp": now + 60,
            "nbf": now - 1,
            "iat": now - 1,
            "jti": "j",
            "sid": "s",
        },
        TEST_SECRET,
        algorithm="HS256",
    )
    session = verify_session_token(raw, api_key="test-api-key", secrets=(TEST_SECRET,))
    stack.container.install_with_session_token(session)
    assert stack.container.store.get_shop(shop).status == "installed"
    assert stack.container.admin_for(shop).shop().name == "Petite Plume"


def test_daily_reconciliation_recreates_lost_subscription_and_imports_missed_orders(
    stack, monkeypatch
):
    shop = stack.new_shop()
    stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Silk bow",
            "product_type": "Hair Bows",
            "tags": ["final-sale"],
            "variants": [
                {
                    "title": "One",
                    "sku": "BOW-1",
                    "price": "12.00",
                    "compare_at_price": "18.00",
                    "inventory": 5,
                }
            ],
        },
    )
    # An order placed before install: no webhook ever announced it.
    missed = stack.sim(
        "POST", f"/shops/{shop}/orders", json={"lines": [{"sku": "BOW-1", "quantity": 2}]}
    )
    stack.sim("POST", f"/shops/{shop}/orders/{missed['id']}/fulfil", json={})
    stack.install(shop)
    admin = stack.container.admin_for(shop)
    lost = next(s for s in admin.webhook_subscriptions() if s.topic == "ORDERS_CREATE")
    admin.delete_webhook_subscription(lost.id)
    monkeypatch.setattr(sweeps, "get_container", lambda: stack.container)
    outcomes = sweeps.reconcile({}, LambdaContext())
    assert outcomes[shop].startswith("ok: 1 subscriptions re-created")
    assert any(s.topic == "ORDERS_CREATE" for s in admin.webhook_subscriptions())
    view = stack.container.store.get_order(shop, int(missed["id"]))
    line = view.order.line_items[0]
    assert (line.product_type, line.tags, str(line.compare_at_price)) == (
        "Hair Bows",
        ("final-sale",),
        "18.00",
    )
    assert view.shipped_at is not None
