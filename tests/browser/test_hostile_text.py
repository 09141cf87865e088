"""Markup typed into free-text fields is shown as text, never run, in headless Chromium.

Customers write return notes; merchants name products and write return addresses and
decline reasons; Shopify relays a customer's email. Each is filled with script and
markup (a script element, an image with onerror, an attribute break-out into an svg
onload) and every page that shows it is loaded in the browser: nothing runs, no dialog
opens, and the words are on the page as the person typed them.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from app.services import returns
from app.services.eligibility import RequestedLine
from app.web import portal
from tests.integration.stack.test_api import OWNER, token
from tests.integration.stack.test_portal import delivered_order

SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = '<img src=x onerror="window.__pwned=1;alert(2)">'
BREAKOUT = '"><svg onload=window.__pwned=1>'
QUOTE_BREAKOUT = "'><svg/onload=window.__pwned=1>"
ANCHOR = '<a href="javascript:window.__pwned=1">click</a>'

PRODUCT_TITLE = f"Romper {IMG}"
NOTE = f"Too small {SCRIPT} {BREAKOUT}"
DECLINE_REASON = f"Worn {IMG} {ANCHOR}"
EMAIL = f"ada{QUOTE_BREAKOUT}@example.com"
ADDRESS = {
    "name": f"Petite Plume {BREAKOUT}",
    "line1": f"200 Kent Ave {SCRIPT}",
    "line2": f"Unit {QUOTE_BREAKOUT}",
    "city": "Brooklyn",
    "province": "NY",
    "zip": "11249",
    "country_code": "US",
    "phone": f"+1 212 555 0100 {IMG}",
}


@pytest.fixture(scope="module")
def hostile(stack):
    """GIVEN a shop whose product title, return address, a customer's note and email and
    the merchant's decline reason all carry markup."""
    shop = stack.new_shop()
    stack.install(shop)
    store = stack.container.store
    store.put_shop(replace(store.get_shop(shop), return_address=ADDRESS))
    view = delivered_order(stack, shop, [{"title": PRODUCT_TITLE, "quantity": 4}])
    line = view.order.line_items[0]
    ctx = stack.container.returns_context()
    rma = returns.request_return(
        ctx,
        store.get_shop(shop),
        view,
        [RequestedLine(line.id, 4, "size_fit", "refund", "unworn_tags_attached", note=NOTE)],
        customer_email=EMAIL,
    )
    assert rma.state == "requested"  # over the review threshold, so it can be declined
    returns.decline_return(
        ctx, store.get_shop(shop), rma.number, actor="staff:1", reason=DECLINE_REASON
    )
    return shop, rma.number


def _load(page, url: str) -> list[str]:
    """Open `url`; the dialogs that opened (none, if nothing ran)."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    res = page.goto(url)
    assert res is not None and res.status == 200, url
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # an onerror or onload fires right after the load
    return dialogs


def _nothing_ran(page, dialogs: list[str]) -> None:
    assert dialogs == []
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert (
        page.locator("script:not([src])").evaluate_all(
            "els => els.filter(e => e.textContent.includes('__pwned')).length"
        )
        == 0
    )
    assert page.locator("svg[onload], img[onerror], a[href^='javascript:']").count() == 0


def _shows(page, *texts: str) -> None:
    body = page.locator("body").inner_text()
    for text in texts:
        assert text in body, f"{text!r} is not shown as text"


def test_the_merchants_return_page_shows_every_hostile_text_as_text(stack, hostile, open_page):
    shop, number = hostile
    page = open_page()
    url = f"{stack.app_url}/admin/returns/{number}?shop={shop}&id_token={token(shop, OWNER)}"
    dialogs = _load(page, url)
    _nothing_ran(page, dialogs)
    # THEN the product title, the customer's note and email and the decline reason read as typed
    _shows(page, PRODUCT_TITLE, NOTE, EMAIL, DECLINE_REASON)


def test_the_settings_page_keeps_a_hostile_return_address_inside_its_fields(
    stack, hostile, open_page
):
    shop, _ = hostile
    page = open_page()
    dialogs = _load(page, f"{stack.app_url}/admin/settings?shop={shop}&id_token={token(shop)}")
    _nothing_ran(page, dialogs)
    # THEN each field holds exactly what was saved (the quotes did not break out of value="")
    for field, key in (
        ("address_name", "name"),
        ("address_line1", "line1"),
        ("address_line2", "line2"),
        ("address_phone", "phone"),
    ):
        assert page.locator(f"#{field}").input_value() == ADDRESS[key]


def test_the_customers_status_page_shows_the_decline_reason_as_text(stack, hostile, open_page):
    shop, number = hostile
    parts = urlsplit(portal.status_link(shop, number, settings=stack.container.settings))
    page = open_page()
    dialogs = _load(page, f"{stack.app_url}{parts.path}?{parts.query}")
    _nothing_ran(page, dialogs)
    _shows(page, DECLINE_REASON)
