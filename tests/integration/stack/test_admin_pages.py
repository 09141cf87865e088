"""The returns desk pages of the embedded admin over HTTP against the whole stack."""

from __future__ import annotations

import html
import re
import time

import pytest
import requests

from tests.integration.stack.test_api import OWNER, STAFF, request_rma, token
from tests.integration.stack.test_returns_flow import _delivered_order


@pytest.fixture
def shop(stack) -> str:
    """GIVEN an installed shop whose owner (user 100) opened Hemline first."""
    domain = stack.new_shop()
    stack.install(domain)
    res = page(stack, "/admin/returns", domain, OWNER)
    assert res.status_code == 200 and "Signed in as owner" in res.text
    return domain


def page(stack, path: str, shop: str, user: str = OWNER, **params: str) -> requests.Response:
    """An admin page as Shopify loads it: the session token in the query."""
    params = {"shop": shop, "id_token": token(shop, user), **params}
    return requests.get(f"{stack.app_url}{path}", params=params, timeout=30)


def text(res: requests.Response) -> str:
    return html.unescape(res.text)


def form(res: requests.Response, action: str) -> tuple[str, dict[str, str]]:
    """The page's form for an action: its URL and the fields it would send as they are."""
    match = re.search(
        rf'<form method="post" action="([^"]*/{action})"[^>]*>(.*?)</form>', res.text, re.S
    )
    assert match, f"no {action} form on the page"
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', match[2])
    }
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)".*?<option value="([^"]*)" selected', match[2], re.S
    ):
        fields[html.unescape(name)] = html.unescape(value)
    return html.unescape(match[1]), fields


def submit(stack, url: str, fields: dict[str, str]) -> requests.Response:
    """Post an action's form; when the page asks to confirm, confirm it as the merchant would."""
    res = requests.post(f"{stack.app_url}{url}", data=fields, allow_redirects=False, timeout=60)
    if res.status_code == 200 and 'id="confirm"' in res.text:
        confirm_url, confirm_fields = form(res, url.rsplit("/", 1)[1])
        assert confirm_fields.get("confirmed") == "yes"
        res = requests.post(
            f"{stack.app_url}{confirm_url}", data=confirm_fields, allow_redirects=False, timeout=60
        )
    return res


def listed(res: requests.Response) -> set[str]:
    return set(re.findall(r"/admin/returns/([A-Z0-9]{8})\?", res.text))


def test_queue_lists_a_request_in_its_tab_only_and_links_carry_the_token(stack, shop):
    # GIVEN a return over the review threshold, waiting for review
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    # WHEN the merchant opens the queue (the requested tab by default)
    res = page(stack, "/admin/returns", shop)
    # THEN it lists the return with its order, items, refund and state
    assert res.status_code == 200, res.text
    assert listed(res) == {rma.number}
    body = text(res)
    assert view.order.name in body and "192.00 USD" in body and "Waiting for review" in body
    assert body.count("<h1") == 1
    assert res.headers["Content-Security-Policy"].startswith(f"frame-ancestors https://{shop}")
    # AND every tab link keeps the session token
    tabs = re.findall(r'href="(/admin/returns\?state=[^"]+)"', res.text)
    assert len(tabs) == 10 and all("id_token=" in html.unescape(t) for t in tabs)
    # AND no other tab lists it
    for state in ("approved", "label_issued", "received", "refunded", "declined", "cancelled"):
        other = page(stack, "/admin/returns", shop, state=state)
        assert other.status_code == 200 and listed(other) == set(), state


def test_queue_empty_state_and_bad_state(stack, shop):
    res = page(stack, "/admin/returns", shop)
    assert res.status_code == 200 and "No returns waiting for review" in text(res)
    bad = page(stack, "/admin/returns", shop, state="shipped")
    assert bad.status_code == 422 and "That list does not exist" in text(bad)


def test_search_finds_a_return_by_rma_or_order_number(stack, shop):
    view = _delivered_order(stack, shop, [4, 4])
    a = request_rma(stack, shop, view, qty=4, line=0)
    b = request_rma(stack, shop, view, qty=4, line=1)
    assert listed(page(stack, "/admin/returns", shop, q=a.number.lower())) == {a.number}
    for q in (view.order.name, view.order.name.lstrip("#")):
        assert listed(page(stack, "/admin/returns", shop, q=q)) == {a.number, b.number}
    none = page(stack, "/admin/returns", shop, q="#999999")
    assert listed(none) == set() and "No returns match" in text(none)


def test_queue_pages_with_next_page_link(stack, shop):
    view = _delivered_order(stack, shop, [4, 4, 4])
    numbers = {request_rma(stack, shop, view, qty=4, line=i).number for i in range(3)}
    first = page(stack, "/admin/returns", shop, limit="2")
    nxt = re.search(r'<a class="button" rel="next" href="([^"]+)"', first.text)
    assert nxt and "cursor=" in nxt[1] and "id_token=" in nxt[1]
    second = requests.get(f"{stack.app_url}{html.unescape(nxt[1])}", timeout=30)
    assert second.status_code == 200
    assert listed(first) | listed(second) == numbers and len(listed(first)) == 2


def test_detail_shows_lines_and_the_actions_of_each_role(stack, shop):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    res = page(stack, f"/admin/returns/{rma.number.lower()}", shop)
    assert res.status_code == 200, res.text
    body = text(res)
    assert f"Return {rma.number}" in body and view.order.name in body
    assert "Smocked romper" in body and "Wrong size or fit" in body
    assert "Unworn, tags attached" in body and "192.00 USD" in body
    assert "No photos from the customer" in body and "Return requested" in body
    assert body.count("<h1") == 1
    for button in ("Approve return", "Decline return", "Cancel return"):
        assert button in body
    assert "Mark received" not in body and "Refund 192.00" not in body
    # A staff member sees no Approve button, and why
    as_staff = text(page(stack, f"/admin/returns/{rma.number}", shop, STAFF))
    assert "Approve return" not in as_staff and "Decline return" in as_staff
    assert "A supervisor or above must approve" in as_staff
    # A missing return is a 404 page
    assert page(stack, "/admin/returns/ZZZZZZZZ", shop).status_code == 404


def test_owner_approves_through_the_pages_form(stack, shop):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    detail = page(stack, f"/admin/returns/{rma.number}", shop)
    url, fields = form(detail, "approve")
    assert set(fields) == {"id_token"} and fields["id_token"]
    # WHEN the owner submits the form (the token travels in the hidden field only)
    ask = requests.post(f"{stack.app_url}{url}", data=fields, allow_redirects=False, timeout=30)
    # THEN the page asks first, and nothing has happened yet
    assert ask.status_code == 200 and "Please confirm" in text(ask)
    assert f"Approve return {rma.number}? Hemline opens it in Shopify" in text(ask)
    assert stack.container.store.get_rma(shop, rma.number).state == "requested"
    # WHEN they confirm
    res = submit(stack, url, fields)
    # THEN it redirects back to the return with a success message
    assert res.status_code == 303, res.text
    assert f"/admin/returns/{rma.number}?" in res.headers["Location"]
    assert "done=approved" in res.headers["Location"]
    assert stack.container.store.get_rma(shop, rma.number).state in ("approved", "label_issued")
    assert stack.container.store.get_rma(shop, rma.number).timeline[1].actor == f"staff:{OWNER}"
    back = requests.get(f"{stack.app_url}{res.headers['Location']}", timeout=30)
    assert back.status_code == 200 and "Return approved" in text(back)
    assert "Approve return" not in text(back)


def test_staff_cannot_approve_a_return_that_needs_a_supervisor(stack, shop):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    res = requests.post(
        f"{stack.app_url}/admin/returns/{rma.number}/approve",
        data={"id_token": token(shop, STAFF)},
        allow_redirects=False,
        timeout=30,
    )
    assert res.status_code == 403
    assert "supervisor" in text(res) and 'role="alert"' in res.text
    assert stack.container.store.get_rma(shop, rma.number).state == "requested"


def test_decline_without_a_reason_is_422_next_to_the_field(stack, shop):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    url, fields = form(page(stack, f"/admin/returns/{rma.number}", shop), "decline")
    res = requests.post(
        f"{stack.app_url}{url}", data={**fields, "reason": "   "}, allow_redirects=False, timeout=30
    )
    assert res.status_code == 422
    assert '<p class="field-error" id="decline-reason-error">is required</p>' in res.text
    assert 'aria-describedby="decline-reason-error"' in res.text
    assert stack.container.store.get_rma(shop, rma.number).state == "requested"
    # AND with a reason it is declined, once confirmed
    res = submit(stack, url, {**fields, "reason": "Worn"})
    assert res.status_code == 303 and "done=declined" in res.headers["Location"]
    assert stack.container.store.get_rma(shop, rma.number).decline_reason == "Worn"


def test_receive_with_a_bad_quantity_names_the_line_then_receives(stack, shop):
    view = _delivered_order(stack, shop, [1])
    rma = request_rma(stack, shop, view)  # small: approved at once
    line = view.order.line_items[0].id
    url, fields = form(page(stack, f"/admin/returns/{rma.number}", shop, STAFF), "receive")
    assert fields[f"quantity-{line}"] == "1"
    assert fields[f"condition-{line}"] == "unworn_tags_attached"
    bad = requests.post(
        f"{stack.app_url}{url}", data={**fields, f"quantity-{line}": "5"}, timeout=30
    )
    assert bad.status_code == 422
    assert f'id="quantity-{line}-error">must be a whole number from 0 to 1<' in bad.text
    ok = requests.post(
        f"{stack.app_url}{url}",
        data={**fields, f"restock-{line}": "on"},
        allow_redirects=False,
        timeout=30,
    )
    assert ok.status_code == 303 and "done=received" in ok.headers["Location"]
    got = stack.container.store.get_rma(shop, rma.number)
    assert got.state == "received" and got.lines[0].received_quantity == 1 and got.lines[0].restock


@pytest.mark.parametrize(
    "bad",
    [
        lambda s: token(s, secret="forged-secret-0123456789abcdef0123"),
        lambda s: token(s, exp=int(time.time()) - 120),
        lambda s: "",
    ],
    ids=["forged", "expired", "missing"],
)
def test_bad_tokens_get_the_sign_in_page(stack, shop, bad):
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    for method, path in [
        ("GET", "/admin/returns"),
        ("GET", f"/admin/returns/{rma.number}"),
        ("POST", f"/admin/returns/{rma.number}/approve"),
    ]:
        res = requests.request(
            method,
            f"{stack.app_url}{path}",
            params={"shop": shop, "id_token": bad(shop)} if method == "GET" else {"shop": shop},
            data={"id_token": bad(shop)} if method == "POST" else None,
            allow_redirects=False,
            timeout=10,
        )
        assert res.status_code == 401, (method, path)
        assert "Open Hemline from your Shopify admin" in text(res)
        assert rma.number not in res.text
    assert stack.container.store.get_rma(shop, rma.number).state == "requested"


def test_detail_shows_the_customers_photos(stack, shop):
    from dataclasses import replace as _replace

    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    key = f"photos/{shop}/{rma.number}/1.jpg"
    stack.container.files.put(key, b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
    line = _replace(rma.lines[0], photos=(key,))
    stack.container.store.update_rma(shop, _replace(rma, lines=(line,)), rma)
    res = page(stack, f"/admin/returns/{rma.number}", shop)
    url = stack.container.files.url(key, expires_s=3600)
    assert "Photos from the customer" in text(res)
    assert f'<img src="{html.escape(url)}" alt="Photo 1 of Smocked romper"' in res.text
    assert requests.get(
        html.unescape(re.search(r'<img src="([^"]+)"', res.text)[1]), timeout=10
    ).content.startswith(b"\xff\xd8")
