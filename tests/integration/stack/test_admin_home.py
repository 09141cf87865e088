"""The embedded admin's front door: session tokens, the local-only sign-in, framing rules."""

import html
import time

import jwt
import requests

from tests.conftest import TEST_SECRET


def _token(shop, secret=TEST_SECRET, **over):
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": "test-api-key",
        "sub": "7",
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now,
        "jti": "j",
        "sid": "s",
    }
    claims.update(over)
    return jwt.encode(claims, secret, algorithm="HS256")


def test_admin_without_token_offers_local_sign_in_only(stack):
    res = requests.get(
        f"{stack.app_url}/admin", params={"shop": "hemline-demo.myshopify.com"}, timeout=10
    )
    assert res.status_code == 401
    assert "Local development only" in res.text
    assert (
        "frame-ancestors https://hemline-demo.myshopify.com https://admin.shopify.com"
        in res.headers["Content-Security-Policy"]
    )


def test_local_sign_in_opens_the_shop_admin_with_its_policy(stack):
    shop = stack.new_shop()
    stack.install(shop)
    res = requests.post(
        f"{stack.app_url}/admin/dev-sign-in", data={"shop": shop, "role": "owner"}, timeout=30
    )
    assert res.status_code == 200
    text = html.unescape(res.text)
    assert "Petite Plume" in text and "petite-plume" in text
    assert "30 days" in text  # the plain-English policy
    assert (
        res.headers["Content-Security-Policy"]
        == f"frame-ancestors https://{shop} https://admin.shopify.com;"
    )


def test_session_token_for_a_shop_not_yet_installed_installs_it_by_token_exchange(stack):
    shop = stack.new_shop()
    res = requests.get(
        f"{stack.app_url}/admin", params={"shop": shop, "id_token": _token(shop)}, timeout=30
    )
    assert res.status_code == 200
    assert stack.container.store.get_shop(shop).status == "installed"


def test_forged_or_expired_tokens_get_the_sign_in_page_and_read_nothing(stack):
    shop = stack.new_shop()
    for bad in (
        _token(shop, secret="forged-secret-0123456789abcdef0123"),
        _token(shop, exp=int(time.time()) - 120),
        _token(shop, aud="someone-else"),
    ):
        res = requests.get(
            f"{stack.app_url}/admin", params={"shop": shop, "id_token": bad}, timeout=10
        )
        assert res.status_code == 401
    assert stack.container.store.get_shop(shop) is None


def test_home_lists_returns_past_the_refund_deadline_with_links(stack):
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from tests.integration.test_sla import _rma

    # GIVEN a shop with a return received 12 days ago and never refunded (7-day SLA)
    shop = stack.new_shop()
    stack.install(shop)
    store = stack.container.store
    store.put_shop(replace(store.get_shop(shop), support_email="desk@plume.example"))
    received = datetime.now(UTC) - timedelta(days=12)
    late = _rma("LATE0042", "received", received - timedelta(days=3), received=received)
    store.create_rma(shop, late, {1: 1})
    on_time = _rma("FINE0043", "received", datetime.now(UTC), received=datetime.now(UTC))
    store.create_rma(shop, on_time, {1: 1})
    # WHEN the merchant opens Hemline
    res = requests.get(
        f"{stack.app_url}/admin", params={"shop": shop, "id_token": _token(shop)}, timeout=10
    )
    page = html.unescape(res.text)
    # THEN the late one is listed under what needs attention, linked; the other is not
    assert res.status_code == 200
    assert "Received but not refunded within your refund deadline" in page
    assert f"/admin/returns/LATE0042?shop={shop}" in page
    assert "FINE0043" not in page
    assert "The daily digest goes to desk@plume.example" in page
    assert 'aria-current="page">Home</a>' in page
