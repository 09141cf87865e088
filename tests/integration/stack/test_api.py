"""The admin JSON API over HTTP against the whole stack: tokens, shop scoping, the returns desk."""

from __future__ import annotations

import re
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import jwt
import pytest
import requests

from app.container import build_container
from app.services import returns
from app.services.eligibility import RequestedLine
from app.web import create_app
from tests.conftest import TEST_SECRET, make_settings
from tests.integration.stack.conftest import API_KEY
from tests.integration.stack.test_returns_flow import _delivered_order

OWNER = "100"
STAFF = "900"


def token(shop: str, user: str = OWNER, secret: str = TEST_SECRET, **over: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": API_KEY,
        "sub": user,
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now,
        "jti": f"j-{user}",
        "sid": f"s-{user}",
    }
    claims.update(over)
    return jwt.encode(claims, secret, algorithm="HS256")


def call(stack, method, path, shop, user=OWNER, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token(shop, user)}"}
    return requests.request(method, f"{stack.app_url}{path}", headers=headers, timeout=30, **kw)


@pytest.fixture
def shop(stack) -> str:
    """GIVEN an installed shop whose owner (user 100) opened Hemline first."""
    domain = stack.new_shop()
    stack.install(domain)
    res = call(stack, "GET", "/api/policy", domain, OWNER)
    assert res.status_code == 200 and res.json()["can_edit"] is True
    return domain


def request_rma(stack, shop, view, qty=1, line=0, resolution="refund"):
    li = view.order.line_items[line]
    return returns.request_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        view,
        [RequestedLine(li.id, qty, "size_fit", resolution, "unworn_tags_attached")],
        customer_email="ada@example.com",
    )


# -- authentication on every route -------------------------------------------------------


def _api_requests() -> list[tuple[str, str]]:
    """(method, concrete path) for every /api rule of the app, read from its url_map."""
    app = create_app(container=build_container(make_settings()))
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        path = rule.rule.replace("<int:order_id>", "1001").replace("<number>", "ABCDEFGH")
        path = re.sub(r"<user_id>", "42", path)
        path = re.sub(r"<any\(([^)]*)\):action>", lambda m: m.group(1).split(",")[0].strip(), path)
        assert "<" not in path, rule.rule
        out += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return out


BAD_TOKENS = {
    "forged": lambda s: token(s, secret="forged-secret-0123456789abcdef0123"),
    "expired": lambda s: token(s, exp=int(time.time()) - 120),
    "wrong_audience": lambda s: token(s, aud="someone-else"),
    "missing": lambda s: None,
}


@pytest.mark.parametrize("method,path", _api_requests())
@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_every_api_route_is_401_when_the_token_is_bad(stack, method, path, kind):
    # GIVEN a shop that never installed Hemline and a bad (or no) session token
    domain = "hemline-demo-nobody.myshopify.com"
    bad = BAD_TOKENS[kind](domain)
    headers = {"Authorization": f"Bearer {bad}"} if bad else {}
    # WHEN any API route is called
    res = requests.request(method, f"{stack.app_url}{path}", headers=headers, json={}, timeout=10)
    # THEN it is refused as JSON, App Bridge is told to retry, and nothing was installed
    assert res.status_code == 401, res.text
    assert res.json()["error"] == "unauthorized"
    assert res.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert stack.container.store.get_shop(domain) is None


def test_api_rules_under_test_cover_every_action():
    paths = {p for _, p in _api_requests()}
    assert {
        "/api/rmas",
        "/api/rmas/ABCDEFGH",
        "/api/policy",
        "/api/orders/1001",
        "/api/metrics",
    } <= paths


# -- shop scoping --------------------------------------------------------------------------


def test_another_shops_rma_and_order_are_404_like_missing_ones(stack, shop):
    # GIVEN an RMA and an order in shop A
    view = _delivered_order(stack, shop, [1])
    rma = request_rma(stack, shop, view)
    other = stack.new_shop()
    stack.install(other)
    # WHEN shop B's owner asks for them
    for method, path, missing_path in [
        ("GET", f"/api/rmas/{rma.number}", "/api/rmas/ZZZZZZZZ"),
        ("POST", f"/api/rmas/{rma.number}/cancel", "/api/rmas/ZZZZZZZZ/cancel"),
        ("GET", f"/api/orders/{view.order.id}", "/api/orders/99999"),
    ]:
        res = call(stack, method, path, other, OWNER, json={})
        missing = call(stack, method, missing_path, other, OWNER, json={})
        # THEN it is the same 404 a missing one gets
        assert res.status_code == missing.status_code == 404, path
        assert res.json()["error"] == missing.json()["error"] == "not_found"
    res = call(stack, "GET", f"/api/rmas?q={view.order.name}&state=approved", other)
    assert res.json()["rmas"] == []
    # AND shop A's RMA is untouched
    assert stack.container.store.get_rma(shop, rma.number).state == rma.state


# -- the returns list ----------------------------------------------------------------------


def test_list_pages_with_a_cursor_and_refuses_a_tampered_one(stack, shop):
    # GIVEN three returns of 4 x 48.00 (over the review threshold): all requested
    view = _delivered_order(stack, shop, [4, 4, 4])
    numbers = {request_rma(stack, shop, view, qty=4, line=i).number for i in range(3)}
    # WHEN the desk lists requested returns two at a time
    first = call(stack, "GET", "/api/rmas?limit=2", shop).json()
    assert first["state"] == "requested" and len(first["rmas"]) == 2 and first["next_cursor"]
    second = call(stack, "GET", f"/api/rmas?limit=2&cursor={first['next_cursor']}", shop).json()
    # THEN every return appears once, newest update first
    listed = [r["number"] for r in first["rmas"] + second["rmas"]]
    assert set(listed) == numbers and len(listed) == 3
    times = [r["updated_at"] for r in first["rmas"] + second["rmas"]]
    assert times == sorted(times, reverse=True)
    assert first["rmas"][0]["refund_total"] == "192.00"
    # AND a tampered cursor is a 422 naming the cursor
    tampered = first["next_cursor"][:-4] + "AAAA"
    res = call(stack, "GET", f"/api/rmas?cursor={tampered}", shop)
    assert res.status_code == 422 and res.json()["field"] == "cursor"
    res = call(stack, "GET", "/api/rmas?cursor=not-a-cursor!", shop)
    assert res.status_code == 422 and res.json()["field"] == "cursor"


def test_list_searches_by_rma_number_or_order_number(stack, shop):
    view = _delivered_order(stack, shop, [4, 4])
    a = request_rma(stack, shop, view, qty=4, line=0)
    b = request_rma(stack, shop, view, qty=4, line=1)
    by_rma = call(stack, "GET", f"/api/rmas?q={a.number.lower()}", shop).json()
    assert [r["number"] for r in by_rma["rmas"]] == [a.number]
    for q in (view.order.name, view.order.name.lstrip("#")):
        found = call(stack, "GET", "/api/rmas", shop, params={"q": q}).json()
        assert {r["number"] for r in found["rmas"]} == {a.number, b.number}
    none = call(stack, "GET", "/api/rmas", shop, params={"q": "#999999"}).json()
    assert none["rmas"] == []


@pytest.mark.parametrize(
    "query,field", [("state=shipped", "state"), ("limit=0", "limit"), ("limit=abc", "limit")]
)
def test_list_refuses_bad_parameters(stack, shop, query, field):
    res = call(stack, "GET", f"/api/rmas?{query}", shop)
    assert res.status_code == 422 and res.json()["field"] == field


# -- detail and actions --------------------------------------------------------------------


def test_detail_is_json_with_money_strings_and_the_roles_actions(stack, shop):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    body = call(stack, "GET", f"/api/rmas/{rma.number.lower()}", shop).json()
    assert body["number"] == rma.number and body["state"] == "requested"
    assert body["refund_total"] == "192.00"
    assert body["lines"][0]["price"] == "48.00" and body["lines"][0]["quantity"] == 4
    assert (body["requires_review"], body["approver_role"]) == (True, "supervisor")
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    assert [e["action"] for e in body["timeline"]] == ["request"]
    assert body["can_approve"] is True and body["your_role"] == "owner"
    assert body["allowed_actions"] == ["approve", "decline", "cancel"]
    as_staff = call(stack, "GET", f"/api/rmas/{rma.number}", shop, STAFF).json()
    assert as_staff["can_approve"] is False and as_staff["allowed_actions"] == ["decline", "cancel"]


def test_approval_needing_a_supervisor_is_403_for_staff_and_opens_the_return_for_an_owner(
    stack, shop
):
    # GIVEN a return over the threshold, waiting for a supervisor
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    assert [r["status"] for r in stack.sim("GET", f"/shops/{shop}/returns")] == ["REQUESTED"]
    # WHEN a staff member approves THEN it is refused, naming the role
    res = call(stack, "POST", f"/api/rmas/{rma.number}/approve", shop, STAFF)
    assert res.status_code == 403 and "supervisor" in res.json()["message"]
    assert stack.container.store.get_rma(shop, rma.number).state == "requested"
    # WHEN the owner approves THEN the RMA and the Shopify return are open
    res = call(stack, "POST", f"/api/rmas/{rma.number}/approve", shop, OWNER)
    assert res.status_code == 200, res.text
    assert res.json()["state"] == "approved"
    assert res.json()["timeline"][-1]["actor"] == f"staff:{OWNER}"
    assert [r["status"] for r in stack.sim("GET", f"/shops/{shop}/returns")] == ["OPEN"]
    # AND approving again is an illegal transition: 403 under the taxonomy
    again = call(stack, "POST", f"/api/rmas/{rma.number}/approve", shop, OWNER)
    assert again.status_code == 403


@pytest.mark.parametrize(
    "item,field",
    [
        ({"quantity": -1}, "items[0].quantity"),
        ({"quantity": 2}, "items[0].quantity"),  # more than was returned
        ({"quantity": "1"}, "items[0].quantity"),
        ({"quantity": True}, "items[0].quantity"),
        ({"line_item_id": 1}, "items[0].line_item_id"),
        ({"condition": ""}, "items[0].condition"),
        ({"restock": "yes"}, "items[0].restock"),
    ],
)
def test_receive_names_the_bad_field(stack, shop, item, field):
    view = _delivered_order(stack, shop, [1])
    rma = request_rma(stack, shop, view)
    good = {
        "line_item_id": view.order.line_items[0].id,
        "quantity": 1,
        "condition": "unworn_tags_attached",
        "restock": True,
    }
    res = call(
        stack, "POST", f"/api/rmas/{rma.number}/receive", shop, json={"items": [good | item]}
    )
    assert res.status_code == 422 and res.json()["field"] == field
    assert stack.container.store.get_rma(shop, rma.number).state == "approved"


@pytest.mark.parametrize("body", [None, {"items": []}, {"items": "all"}, [1]])
def test_receive_without_items_is_422(stack, shop, body):
    view = _delivered_order(stack, shop, [1])
    rma = request_rma(stack, shop, view)
    res = call(stack, "POST", f"/api/rmas/{rma.number}/receive", shop, json=body)
    assert res.status_code == 422 and res.json()["field"] in ("items", "body")


def test_receive_then_refund_refunds_once(stack, shop):
    # GIVEN a small return, approved automatically
    view = _delivered_order(stack, shop, [1])
    rma = request_rma(stack, shop, view)
    line_id = view.order.line_items[0].id
    # WHEN the warehouse receives it and staff refund it
    item = {"line_item_id": line_id, "quantity": 1, "condition": "unworn", "restock": True}
    got = call(
        stack, "POST", f"/api/rmas/{rma.number}/receive", shop, STAFF, json={"items": [item]}
    )
    assert got.status_code == 200, got.text
    assert got.json()["state"] == "received"
    assert got.json()["lines"][0]["received_quantity"] == 1
    assert got.json()["allowed_actions"] == ["refund", "credit", "exchange", "replace"]
    done = call(stack, "POST", f"/api/rmas/{rma.number}/refund", shop, STAFF)
    # THEN it is refunded, once, for the RMA's total
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "refunded"
    refunds = stack.sim("GET", f"/shops/{shop}/refunds")
    assert len(refunds) == 1
    assert Decimal(refunds[0]["total"]) == Decimal(done.json()["refund_total"])
    again = call(stack, "POST", f"/api/rmas/{rma.number}/refund", shop, STAFF)
    assert again.status_code in (403, 503)
    assert len(stack.sim("GET", f"/shops/{shop}/refunds")) == 1


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": "   "}, {"reason": 5}])
def test_decline_without_a_reason_is_422(stack, shop, body):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    res = call(stack, "POST", f"/api/rmas/{rma.number}/decline", shop, json=body)
    assert res.status_code == 422 and res.json()["field"] == "reason"


def test_decline_with_a_reason_and_cancel_with_a_note(stack, shop):
    view = _delivered_order(stack, shop, [4, 1])
    big = request_rma(stack, shop, view, qty=4)
    small = request_rma(stack, shop, view, qty=1, line=1)
    res = call(
        stack, "POST", f"/api/rmas/{big.number}/decline", shop, json={"reason": "Worn items"}
    )
    assert res.status_code == 200 and res.json()["state"] == "declined"
    assert res.json()["decline_reason"] == "Worn items"
    res = call(stack, "POST", f"/api/rmas/{small.number}/cancel", shop, json={"note": "phoned"})
    assert res.status_code == 200 and res.json()["state"] == "cancelled"
    assert res.json()["timeline"][-1]["note"] == "phoned"
    # A cancelled return cannot be received: an illegal transition
    item = {"line_item_id": view.order.line_items[1].id, "quantity": 1, "condition": "ok"}
    res = call(stack, "POST", f"/api/rmas/{small.number}/receive", shop, json={"items": [item]})
    assert res.status_code == 403 and res.json()["error"] == "not_allowed"


def test_unknown_action_is_404(stack, shop):
    res = call(stack, "POST", "/api/rmas/ABCDEFGH/teleport", shop)
    assert res.status_code == 404


# -- orders --------------------------------------------------------------------------------


def test_order_shows_each_items_deadline_and_its_returns(stack, shop):
    view = _delivered_order(stack, shop, [2], tags=[])
    rma = request_rma(stack, shop, view, qty=1)
    res = call(stack, "GET", f"/api/orders/{view.order.id}", shop)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["name"] == view.order.name and body["rmas"] == [rma.number]
    line = body["line_items"][0]
    assert line["price"] == "48.00" and line["eligible"] is True
    assert line["returnable_quantity"] == 1 and line["already_returned"] == 1
    assert datetime.fromisoformat(line["window_ends"]).date() >= datetime.now().date()
    assert call(stack, "GET", "/api/orders/12345", shop).status_code == 404


# -- policy and staff ----------------------------------------------------------------------


def test_policy_is_read_by_anyone_and_changed_by_owners_and_managers(stack, shop):
    got = call(stack, "GET", "/api/policy", shop, STAFF).json()
    assert got["preset"] == "petite-plume" and got["can_edit"] is False
    assert "lavish-ivy" in got["presets"] and "30 days" in got["explanation"]
    res = call(stack, "PUT", "/api/policy", shop, STAFF, json={"preset": "lavish-ivy"})
    assert res.status_code == 403
    res = call(stack, "PUT", "/api/policy", shop, OWNER, json={"preset": "nope"})
    assert res.status_code == 422 and res.json()["field"] == "preset"
    res = call(stack, "PUT", "/api/policy", shop, OWNER, json={"preset": "lavish-ivy"})
    assert res.status_code == 200 and res.json()["preset"] == "lavish-ivy"
    assert stack.container.store.get_shop(shop).policy_preset == "lavish-ivy"
    assert stack.container.store.get_tokens(shop) is not None  # the profile write kept tokens
    # A manager may change it too
    call(stack, "PUT", "/api/staff/300", shop, OWNER, json={"role": "manager"})
    res = call(stack, "PUT", "/api/policy", shop, "300", json={"preset": "petite-plume"})
    assert res.status_code == 200 and res.json()["preset"] == "petite-plume"


def test_only_an_owner_sets_staff_roles(stack, shop):
    res = call(stack, "PUT", f"/api/staff/{STAFF}", shop, OWNER, json={"role": "supervisor"})
    assert res.status_code == 200 and res.json() == {"user_id": STAFF, "role": "supervisor"}
    assert stack.container.store.get_staff_role(shop, STAFF) == "supervisor"
    res = call(stack, "PUT", "/api/staff/901", shop, STAFF, json={"role": "owner"})
    assert res.status_code == 403
    assert stack.container.store.get_staff_role(shop, "901") is None
    res = call(stack, "PUT", "/api/staff/901", shop, OWNER, json={"role": "emperor"})
    assert res.status_code == 422 and res.json()["field"] == "role"
