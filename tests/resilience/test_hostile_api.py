"""Hostile callers of the merchant JSON API (/api) on the served app, over HTTP.

Session tokens that are forged, expired, for another audience or otherwise not
Shopify's; another shop's returns; bodies and parameters that are empty, too big,
not UTF-8, nested without end, or numbers no merchant would type. Each is the 4xx
the OpenAPI document promises, naming the field, and nothing changes.
"""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from tests.conftest import TEST_SECRET
from tests.integration.stack.test_api import OWNER, call, request_rma, token
from tests.integration.stack.test_returns_flow import _delivered_order

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def shop(stack) -> str:
    domain = stack.new_shop()
    stack.install(domain)
    assert call(stack, "GET", "/api/policy", domain).status_code == 200  # the owner is user 100
    return domain


@pytest.fixture
def rma(stack, shop):
    """GIVEN an approved return of one romper (48.00) in the shop."""
    view = _delivered_order(stack, shop, [1])
    return view, request_rma(stack, shop, view)


# -- session tokens ----------------------------------------------------------------------------


def _tokens(shop: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "forged": token(shop, secret="forged-secret-0123456789abcdef0123"),
        "expired": token(shop, exp=now - 120),
        "wrong-audience": token(shop, aud="someone-elses-app"),
        "not-yet-valid": token(shop, nbf=now + 600),
        "issuer-and-dest-differ": token(shop, dest="https://other.myshopify.com"),
        "dest-not-a-shop": token(
            shop, dest="https://evil.example.com", iss="https://evil.example.com/admin"
        ),
        "alg-none": jwt.encode(
            {"dest": f"https://{shop}", "aud": "test-api-key", "sub": OWNER}, None, algorithm="none"
        ),
        "hs512": jwt.encode(
            {"dest": f"https://{shop}", "aud": "test-api-key", "sub": OWNER, "exp": now + 60},
            TEST_SECRET + "-longer-key-for-hs512-0123456789abcdef",
            algorithm="HS512",
        ),
        "truncated": token(shop)[:-10],
        "garbage": "not.a.jwt",
        "empty": "",
    }


KINDS = sorted(_tokens("x.myshopify.com"))


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_session_token_cannot_change_the_policy(stack, shop, kind):
    # WHEN someone with a bad token tries to switch the shop's policy
    bad = _tokens(shop)[kind]
    res = requests.put(
        f"{stack.app_url}/api/policy",
        headers={"Authorization": f"Bearer {bad}"},
        json={"preset": "lavish-ivy"},
        timeout=30,
    )
    # THEN it is a 401 App Bridge will retry with a fresh token, and the policy is unchanged
    assert res.status_code == 401, res.text
    assert res.json()["error"] == "unauthorized"
    assert res.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert stack.container.store.get_shop(shop).policy_preset == "petite-plume"


# -- another shop's data -----------------------------------------------------------------------

OTHER_SHOP_CALLS = [
    ("GET", "/api/rmas/{number}", None),
    ("POST", "/api/rmas/{number}/approve", None),
    ("POST", "/api/rmas/{number}/decline", {"reason": "worn"}),
    (
        "POST",
        "/api/rmas/{number}/receive",
        {"items": [{"line_item_id": 1, "quantity": 1, "condition": "ok"}]},
    ),
    ("POST", "/api/rmas/{number}/refund", None),
    ("POST", "/api/rmas/{number}/credit", None),
    ("POST", "/api/rmas/{number}/cancel", {"note": "mine now"}),
    ("GET", "/api/orders/{order}", None),
]


@pytest.mark.parametrize(
    "method,path,body", OTHER_SHOP_CALLS, ids=[f"{m} {p}" for m, p, _ in OTHER_SHOP_CALLS]
)
def test_another_shops_return_or_order_is_404_and_untouched(stack, shop, rma, method, path, body):
    view, mine = rma
    intruder = stack.new_shop()
    stack.install(intruder)
    url = path.format(number=mine.number, order=view.order.id)
    res = call(stack, method, url, intruder, json=body)
    assert res.status_code == 404, res.text
    assert res.json()["error"] == "not_found"
    after = stack.container.store.get_rma(shop, mine.number)
    assert (after.state, after.version) == (mine.state, mine.version)
    assert stack.sim("GET", f"/shops/{shop}/refunds") == []


# -- bodies ------------------------------------------------------------------------------------

BODIES = {
    "empty": (b"", 422, "preset"),
    "one-mebibyte-plus-one": (b"{" + b" " * (MIB - 1) + b"}", 413, None),
    "invalid-utf8": (b'{"preset": "\xff\xfe"}', 422, "body"),
    "deeply-nested": (b"[" * 100_000 + b"]" * 100_000, 422, "body"),
    "integer-of-5000-digits": (b'{"preset": ' + b"9" * 5000 + b"}", 422, "body"),
    "json-array": (b'["lavish-ivy"]', 422, "body"),
    "preset-not-text": (b'{"preset": 12}', 422, "preset"),
}


@pytest.mark.parametrize("body,status,field", BODIES.values(), ids=BODIES.keys())
def test_a_hostile_body_is_refused_naming_the_field_and_changes_nothing(
    stack, shop, body, status, field
):
    headers = {"Authorization": f"Bearer {token(shop)}", **JSON}
    res = requests.put(f"{stack.app_url}/api/policy", data=body, headers=headers, timeout=30)
    assert res.status_code == status, res.text[:300]
    if field:
        assert res.json()["field"] == field and res.json()["message"].startswith(f"{field}:")
    assert stack.container.store.get_shop(shop).policy_preset == "petite-plume"


RECEIVED = {
    "quantity-negative": ({"quantity": -1}, "items[0].quantity"),
    "quantity-fractional": ({"quantity": 0.5}, "items[0].quantity"),
    "quantity-one-point-zero": ({"quantity": 1.0}, "items[0].quantity"),
    "quantity-huge": ({"quantity": 10**30}, "items[0].quantity"),
    "line-beyond-64-bits": ({"line_item_id": 2**64}, "items[0].line_item_id"),
    "line-negative": ({"line_item_id": -1}, "items[0].line_item_id"),
    "condition-too-long": ({"condition": "c" * 65}, "items[0].condition"),
}


@pytest.mark.parametrize("item,field", RECEIVED.values(), ids=RECEIVED.keys())
def test_receiving_nonsense_quantities_is_422_and_the_return_stays_approved(
    stack, shop, rma, item, field
):
    view, mine = rma
    good = {"line_item_id": view.order.line_items[0].id, "quantity": 1, "condition": "unworn"}
    res = call(
        stack, "POST", f"/api/rmas/{mine.number}/receive", shop, json={"items": [good | item]}
    )
    assert res.status_code == 422 and res.json()["field"] == field, res.text
    after = stack.container.store.get_rma(shop, mine.number)
    assert (after.state, after.version) == ("approved", mine.version)


PARAMETERS = {
    "limit-5000-digits": ("GET", "/api/rmas?limit=" + "9" * 5000, 422, "limit"),
    "limit-superscript-two": ("GET", "/api/rmas?limit=%C2%B2", 422, "limit"),
    "limit-negative": ("GET", "/api/rmas?limit=-1", 422, "limit"),
    "q-too-long": ("GET", "/api/rmas?q=" + "q" * 65, 422, "q"),
    "month-year-1": ("GET", "/api/metrics?month=0001-01", 422, "month"),
    "month-1999": ("GET", "/api/metrics?month=1999-12", 422, "month"),
    "month-9999": ("GET", "/api/metrics?month=9999-12", 422, "month"),
    "month-13": ("GET", "/api/metrics?month=2026-13", 422, "month"),
    "rma-number-3000-chars": ("GET", "/api/rmas/" + "A" * 3000, 404, None),
    "order-id-30-digits": ("GET", "/api/orders/" + "9" * 30, 404, None),
}


@pytest.mark.parametrize("method,path,status,field", PARAMETERS.values(), ids=PARAMETERS.keys())
def test_hostile_parameters_are_4xx_naming_the_field(stack, shop, method, path, status, field):
    res = call(stack, method, path, shop)
    assert res.status_code == status, res.text[:300]
    if field:
        assert res.json()["field"] == field


PREVIEWS = {
    "days-ago-huge": ({"delivered_days_ago": 10**30}, "delivered_days_ago"),
    "days-ago-5000-digit-text": ({"delivered_days_ago": "9" * 5000}, "delivered_days_ago"),
    "days-ago-superscript": ({"delivered_days_ago": "\u00b2"}, "delivered_days_ago"),
    "days-ago-negative": ({"delivered_days_ago": -1}, "delivered_days_ago"),
    "days-ago-fractional": ({"delivered_days_ago": 1.5}, "delivered_days_ago"),
    "window-superscript": (
        {"overrides": {"discretionary.rules[-1].window.days": "\u00b2"}},
        "overrides.discretionary.rules[-1].window.days",
    ),
    "window-5000-digits": (
        {"overrides": {"discretionary.rules[-1].window.days": "9" * 5000}},
        "overrides.discretionary.rules[-1].window.days",
    ),
}


@pytest.mark.parametrize("body,field", PREVIEWS.values(), ids=PREVIEWS.keys())
def test_policy_preview_refuses_numbers_no_merchant_types_in_words(stack, shop, body, field):
    res = call(stack, "POST", "/api/policy/preview", shop, json=body)
    assert res.status_code == 422 and res.json()["field"] == field, res.text[:300]
    assert "must be a whole number of days from" in res.json()["message"]


def test_a_staff_id_no_shopify_user_has_is_422_naming_it(stack, shop):
    res = call(stack, "PUT", "/api/staff/" + "7" * 3000, shop, json={"role": "agent"})
    assert res.status_code == 422 and res.json()["field"] == "user_id", res.text[:300]
    assert stack.container.store.get_staff_role(shop, "7" * 64) is None
