"""Backorder notices end to end: the simulator's stock, DynamoDB Local, the outbox, the
one-click pages and the merchant's page, over HTTP."""

# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from app import i18n
from app.clock import FixedClock
from app.errors import UpstreamError
from app.services import backorders, sweeps
from app.services.orders import ORDER_HOOKS, ORDER_HOOKS_GRACE
from policies.calendar import local_date
from tests.conftest import TEST_SECRET
from tests.integration.stack.test_api import OWNER, STAFF, token
from tests.support.shopify import payload_bytes, signed_headers

CUSTOMER = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "L",
    "address": {"address1": "1 Park St", "city": "Brooklyn", "zip": "11201", "country_code": "US"},
}


@pytest.fixture
def installed(stack) -> str:
    """GIVEN an installed petite-plume shop (backorders after 7 days, notice within 24 hours)."""
    shop = stack.new_shop()
    stack.install(shop)
    assert stack.container.store.get_shop(shop).policy_preset == "petite-plume"
    return shop


def _product(stack, shop, sku, *, price="48.00", available=0, incoming=0) -> dict:
    product = stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Linen dress",
            "product_type": "Dresses",
            "variants": [{"title": "M", "sku": sku, "price": price, "inventory": 10}],
        },
    )
    stack.sim(
        "POST",
        f"/shops/{shop}/inventory",
        json={"sku": sku, "available": available, "incoming": incoming},
    )
    return product["variants"][0]


def _order(stack, shop, lines) -> dict:
    order = stack.sim(
        "POST",
        f"/shops/{shop}/orders",
        json={"customer": CUSTOMER, "lines": [{"sku": s, "quantity": q} for s, q in lines]},
    )
    stack.wait_for_webhooks()
    assert stack.container.store.get_order(shop, int(order["id"])) is not None
    return order


def _mails(stack, order_id):
    return [
        m
        for m in stack.container.outbox.list()
        if m.headers.get("X-Entity-Ref-ID") == f"backorder:{order_id}"
    ]


def _shop(stack, shop):
    return stack.container.store.get_shop(shop)


def _check(stack, shop, order, ctx=None):
    return backorders.check_order(
        ctx or stack.container.proactive_context(), _shop(stack, shop), int(order["id"])
    )


def _links(stack, order_id) -> dict[str, str]:
    [mail] = _mails(stack, order_id)
    text = stack.container.outbox.part(mail.id, "text")
    return {
        "refund": re.search(r"Refund this item: (\S+)", text)[1],
        "keep": re.search(r"Keep it on order: (\S+)", text)[1],
    }


def _refunds(stack, shop, order):
    return [r for r in stack.sim("GET", f"/shops/{shop}/refunds") if r["order_gid"] == order["gid"]]


def _page(res: requests.Response) -> str:
    return html.unescape(res.text)


def _confirm(url: str, **form: str) -> requests.Response:
    return requests.post(url, data=form or {"confirm": "yes"}, timeout=30)


# -- the notice ------------------------------------------------------------------------------


def test_out_of_stock_order_gets_exactly_one_notice_whatever_the_retries(stack, installed):
    # GIVEN a dress with no stock and nothing incoming, then an order for it
    _product(stack, installed, "LD-M", available=0, incoming=0)
    order = _order(stack, installed, [("LD-M", 1)])
    ctx = stack.container.proactive_context()
    # WHEN five workers check the order at once while the sweep runs
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def check():
        barrier.wait()
        outcomes.append(_check(stack, installed, order, ctx).outcome)

    def sweep():
        barrier.wait()
        backorders.sweep(ctx)

    threads = [threading.Thread(target=check) for _ in range(5)] + [threading.Thread(target=sweep)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    backorders.sweep(ctx)
    # THEN the customer got one email, naming the order, the SKU and an unknown ship date
    assert set(outcomes) <= {"already_notified", "notified"} and len(outcomes) == 5
    [mail] = _mails(stack, order["id"])
    assert mail.to == "ada@example.com"
    assert mail.subject == f"An item in your order {order['name']} is delayed"
    text = stack.container.outbox.part(mail.id, "text")
    assert "Linen dress - M" in text and "SKU LD-M" in text
    assert "Ship date not known yet" in text
    assert "$48.00 USD back to your original payment method." in text
    # AND the order carries the tag once in Shopify, the month counts one notice
    tags = stack.sim("GET", f"/shops/{installed}/orders/{order['id']}")["tags"]
    assert tags.count(backorders.NOTICE_TAG) == 1
    store = stack.container.store
    month = _shop(stack, installed).month_of(datetime.now(UTC))
    assert store.stats_for_month(installed, month)["backorder_notices"] == 1
    # AND nothing is left to retry; a later check (orders/updated) sends nothing
    assert store.get_due(installed, backorders.KIND, str(order["id"])) is None
    assert _check(stack, installed, order).outcome == "already_notified"
    assert len(_mails(stack, order["id"])) == 1


def test_an_order_in_stock_gets_no_notice_and_leaves_nothing_scheduled(stack, installed):
    _product(stack, installed, "LD-S", available=5)
    order = _order(stack, installed, [("LD-S", 2)])
    assert _check(stack, installed, order).outcome == "in_stock"
    assert _mails(stack, order["id"]) == []
    assert stack.container.store.get_due(installed, backorders.KIND, str(order["id"])) is None
    assert stack.container.store.get_due(installed, ORDER_HOOKS, str(order["id"])) is None


def test_a_worker_dying_after_storing_a_new_order_leaves_its_notice_to_the_sweep(
    stack, installed, monkeypatch
):
    # GIVEN a dress with no stock, and the worker dying once right after storing its order
    # (DynamoDB unreachable for the hooks): Shopify's retry finds the order already stored
    _product(stack, installed, "LD-L", available=0, incoming=0)
    real_on_order = stack.container.on_order
    died = []

    def dies_once(shop, order):
        if not died:
            died.append(order.id)
            raise UpstreamError("DynamoDB unreachable", retryable=True)
        real_on_order(shop, order)

    monkeypatch.setattr(stack.container, "on_order", dies_once)
    order = _order(stack, installed, [("LD-L", 1)])
    assert died == [int(order["id"])]
    assert _mails(stack, order["id"]) == []
    store = stack.container.store
    assert store.get_due(installed, ORDER_HOOKS, str(order["id"])) is not None
    # WHEN the sweep runs after the hooks' grace period
    ctx = stack.container.proactive_context()
    later = datetime.now(UTC) + ORDER_HOOKS_GRACE + timedelta(minutes=1)
    returns_ctx = stack.container.returns_context()
    assert sweeps.run_proactive(ctx, returns_ctx, later)["order_hooks"]["done"] >= 1
    sweeps.run_proactive(ctx, returns_ctx, later)
    # THEN the customer got the one notice the order should have had, and nothing stays due
    assert len(_mails(stack, order["id"])) == 1
    assert store.get_due(installed, ORDER_HOOKS, str(order["id"])) is None


# -- one-click links ---------------------------------------------------------------------------


@pytest.fixture
def noticed(stack, installed):
    """GIVEN an order of two dresses, one short (the last one was sold twice), and its notice."""
    _product(stack, installed, "LD-L", available=1, incoming=0)
    order = _order(stack, installed, [("LD-L", 2)])
    # orders/create already sent it; checking again sends nothing more
    assert len(_mails(stack, order["id"])) == 1
    assert _check(stack, installed, order).outcome == "already_notified"
    return installed, order, _links(stack, order["id"])


def test_refund_link_confirms_first_then_refunds_that_item_once(stack, noticed):
    shop, order, links = noticed
    # WHEN the customer opens the refund link
    page = requests.get(links["refund"], timeout=30)
    # THEN the page says exactly what will happen, and nothing happened yet
    assert page.status_code == 200, page.text
    assert (
        "Refund 1 × Linen dress - M (SKU LD-L) — $48.00 USD to your original payment method."
        in _page(page)
    )
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert _refunds(stack, shop, order) == []
    # WHEN they confirm
    done = _confirm(links["refund"])
    # THEN exactly the short unit is refunded in Shopify, at its price
    assert done.status_code == 200, done.text
    assert "Refund issued" in _page(done)
    [refund] = _refunds(stack, shop, order)
    assert Decimal(refund["total"]) == Decimal("48.00")
    [line] = refund["line_items"]
    assert (line["quantity"], line["restock_type"]) == (1, "CANCEL")
    # AND a second use refunds nothing and says what was done
    again = _confirm(links["refund"])
    assert again.status_code == 409
    assert "This link was already used" in _page(again)
    assert "$48.00 USD went back to your original payment method" in _page(again)
    assert len(_refunds(stack, shop, order)) == 1
    # AND the other link of the pair can no longer undo the choice
    keep = _confirm(links["keep"])
    assert keep.status_code == 409 and "You already chose for this item" in _page(keep)
    assert len(_refunds(stack, shop, order)) == 1
    # AND opening the link later shows the refund without acting
    later = requests.get(links["refund"], timeout=30)
    assert later.status_code == 200 and "This link was already used" in _page(later)


def test_keep_link_records_the_choice_once(stack, noticed):
    shop, order, links = noticed
    page = requests.get(links["keep"], timeout=30)
    assert page.status_code == 200 and "Keep this item on order?" in _page(page)
    assert "Keep 1 × Linen dress - M (SKU LD-L) on your order. Ship date not known yet." in _page(
        page
    )
    done = _confirm(links["keep"])
    assert done.status_code == 200 and "Thank you, your order stays on file" in _page(done)
    notice = stack.container.store.get_backorder_notice(shop, int(order["id"]))
    [choice] = notice["choices"].values()
    assert (choice["action"], choice["status"]) == ("keep", "done")
    again = _confirm(links["keep"])
    assert again.status_code == 409 and "This link was already used" in _page(again)
    assert "you chose to keep Linen dress - M (SKU LD-L) on your order" in _page(again)
    refund = _confirm(links["refund"])
    assert refund.status_code == 409 and _refunds(stack, shop, order) == []


def test_a_post_without_the_pages_confirmation_does_nothing(stack, noticed):
    shop, order, links = noticed
    res = _confirm(links["refund"], other="1")
    assert res.status_code == 400 and "Use the button on the page to confirm." in _page(res)
    assert _refunds(stack, shop, order) == []
    assert stack.container.store.get_backorder_notice(shop, int(order["id"]))["choices"] == {}


def test_forged_tampered_and_expired_links_are_refused_and_change_nothing(stack, noticed):
    shop, order, links = noticed
    notice = stack.container.store.get_backorder_notice(shop, int(order["id"]))
    line = notice["lines"][0]
    base = links["refund"].rsplit("/o/", 1)[0]
    secret = stack.container.settings.secret_key.encode()
    signed = {
        "shop": shop,
        "order_id": int(order["id"]),
        "line_item_id": int(line["line_item_id"]),
        "action": "refund",
        "jti": line["links"]["refund"],
    }
    forged = backorders.sign_link(
        b"not-the-apps-secret-0123456789abcdef", issued_at=datetime.now(UTC), **signed
    )
    expired = backorders.sign_link(
        secret, issued_at=datetime.now(UTC) - timedelta(days=31), **signed
    )
    never_sent = backorders.sign_link(
        secret, issued_at=datetime.now(UTC), **{**signed, "jti": "made-up"}
    )
    token = links["refund"].rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    cases = [
        (forged, 403, "This link is not valid"),
        (never_sent, 403, "This link is not valid"),
        (tampered, 403, "This link is not valid"),
        (expired, 410, "This link has expired"),
        ("not-a-link", 400, "This link is incomplete"),
    ]
    for bad, status, title in cases:
        for res in (
            requests.get(f"{base}/o/{bad}", timeout=30),
            _confirm(f"{base}/o/{bad}"),
        ):
            assert res.status_code == status, (bad, res.text)
            assert title in _page(res) and "Nothing was changed" in _page(res)
    assert _refunds(stack, shop, order) == []
    assert stack.container.store.get_backorder_notice(shop, int(order["id"]))["choices"] == {}
    # AND the real link still works afterwards
    assert _confirm(links["refund"]).status_code == 200
    assert len(_refunds(stack, shop, order)) == 1


def test_links_speak_the_customers_language(stack, installed):
    # GIVEN an order placed while the dress was in stock, sold out before it shipped
    _product(stack, installed, "LD-XL", available=1)
    order = _order(stack, installed, [("LD-XL", 1)])
    assert _mails(stack, order["id"]) == []
    stack.sim("POST", f"/shops/{installed}/inventory", json={"sku": "LD-XL", "available": -1})
    ctx = stack.container.proactive_context()
    result = backorders.check_order(ctx, _shop(stack, installed), int(order["id"]), locale="zh-CN")
    assert result.outcome == "notified"
    [mail] = _mails(stack, order["id"])
    assert mail.subject == f"您的订单 {order['name']} 中有商品延迟发货"
    text = stack.container.outbox.part(mail.id, "text")
    assert "发货日期暂未确定" in text
    refund = re.search(r"退款此商品：(\S+)", text)[1]
    page = requests.get(refund, timeout=30)
    assert '<html lang="zh-CN">' in page.text and "确认退款此商品？" in _page(page)


# -- restock dates -----------------------------------------------------------------------------


def test_an_item_back_within_the_policy_days_sends_nothing_and_is_looked_at_again(stack, installed):
    # GIVEN a dress out of stock with 5 incoming, expected back in 3 days
    variant = _product(stack, installed, "LD-XS", available=0, incoming=5)
    ctx = stack.container.proactive_context()
    shop = _shop(stack, installed)
    back_on = local_date(datetime.now(UTC), shop.zone) + timedelta(days=3)
    backorders.set_restock_date(
        ctx, shop, variant_id=str(variant["id"]), expected_on=back_on.isoformat(), actor="staff:1"
    )
    order = _order(stack, installed, [("LD-XS", 1)])
    # WHEN the order is checked
    result = _check(stack, installed, order, ctx)
    # THEN no email; the order is looked at again the day after the restock date
    assert result.outcome == "waiting"
    assert _mails(stack, order["id"]) == []
    due = stack.container.store.get_due(installed, backorders.KIND, str(order["id"]))
    assert due is not None and due.data["stage"] == "recheck"
    assert local_date(due.due_at, shop.zone) == back_on + timedelta(days=1)
    # WHEN that day comes and the stock never arrived
    later = replace(ctx, clock=FixedClock(due.due_at + timedelta(minutes=1)))
    backorders.sweep(later, due.due_at + timedelta(minutes=1))
    # THEN the customer is told, the date now unknown (the merchant's date passed)
    [mail] = _mails(stack, order["id"])
    assert "Ship date not known yet" in stack.container.outbox.part(mail.id, "text")
    assert stack.container.store.get_due(installed, backorders.KIND, str(order["id"])) is None


def test_stock_arriving_settles_a_waiting_order_without_a_notice(stack, installed):
    variant = _product(stack, installed, "LD-XXS", available=0, incoming=5)
    ctx = stack.container.proactive_context()
    shop = _shop(stack, installed)
    back_on = local_date(datetime.now(UTC), shop.zone) + timedelta(days=2)
    backorders.set_restock_date(
        ctx, shop, variant_id=str(variant["id"]), expected_on=back_on.isoformat(), actor="staff:1"
    )
    order = _order(stack, installed, [("LD-XXS", 1)])
    assert _check(stack, installed, order, ctx).outcome == "waiting"
    inventory_item = int(variant["inventory_item_gid"].rsplit("/", 1)[1])
    assert stack.container.store.orders_awaiting_restock(installed, inventory_item) == [
        int(order["id"])
    ]
    # WHEN the stock arrives and Shopify says so (a signed inventory_levels/update)
    stack.sim("POST", f"/shops/{installed}/inventory", json={"sku": "LD-XXS", "available": 4})
    body = json.loads(payload_bytes("inventory_levels/update", "2026-07"))
    body["inventory_item_id"] = inventory_item
    raw = json.dumps(body).encode()
    res = requests.post(
        f"{stack.app_url}/webhooks",
        data=raw,
        headers=signed_headers("inventory_levels/update", raw, shop=installed, secret=TEST_SECRET),
        timeout=10,
    )
    assert res.status_code == 200
    stack.wait_for_webhooks()
    # THEN the order is in stock: nothing sent, nothing left scheduled or watched
    assert _mails(stack, order["id"]) == []
    assert stack.container.store.get_due(installed, backorders.KIND, str(order["id"])) is None
    assert stack.container.store.orders_awaiting_restock(installed, inventory_item) == []


# -- the merchant's page -------------------------------------------------------------------------


def _admin(stack, shop, user=OWNER, **params):
    return requests.get(
        f"{stack.app_url}/admin/backorders",
        params={"shop": shop, "id_token": token(shop, user), **params},
        timeout=30,
    )


def _set_date(stack, shop, variant_id, expected_on, user=OWNER, **extra):
    return requests.post(
        f"{stack.app_url}/admin/backorders/restock",
        params={"shop": shop},
        data={
            "id_token": token(shop, user),
            "variant_id": str(variant_id),
            "expected_on": expected_on,
            **extra,
        },
        timeout=30,
        allow_redirects=False,
    )


def test_merchant_sets_a_restock_date_and_the_next_notice_shows_the_ship_date(stack, installed):
    # GIVEN a dress out of stock and nothing incoming
    variant = _product(stack, installed, "LD-P", available=0, incoming=0)
    shop = _shop(stack, installed)
    back_on = local_date(datetime.now(UTC), shop.zone) + timedelta(days=20)
    # WHEN a staff member sets its restock date on the backorders page
    res = _set_date(stack, installed, variant["id"], back_on.isoformat(), user=STAFF)
    assert res.status_code == 303, res.text
    page = _admin(stack, installed, user=STAFF, done="saved")
    assert page.status_code == 200
    body = _page(page)
    assert "Expected restock date saved." in body and "LD-P" in body
    assert i18n.format_date(back_on) in body
    assert 'aria-current="page">Backorders</a>' in page.text
    # AND then an order for it comes in
    order = _order(stack, installed, [("LD-P", 1)])
    assert _check(stack, installed, order).outcome == "already_notified"  # sent on orders/create
    # THEN the email gives the restock date plus two business days to dispatch
    ships = backorders.ship_by(back_on, 2, shop.country)
    [mail] = _mails(stack, order["id"])
    assert f"Expected to ship by {i18n.format_date(ships)}" in stack.container.outbox.part(
        mail.id, "text"
    )
    # AND the page lists the notice with that date
    listed = _page(_admin(stack, installed))
    assert order["name"] in listed and i18n.format_date(ships) in listed
    assert "No choice yet" in listed
    # WHEN the customer refunds, the page says so
    _confirm(_links(stack, order["id"])["refund"])
    assert "Refunded $48.00 USD" in _page(_admin(stack, installed))
    # AND clearing the date brings back "not known"
    cleared = _set_date(stack, installed, variant["id"], "", clear="1")
    assert cleared.status_code == 303
    assert stack.container.store.get_restock_date(installed, int(variant["id"])) is None


@pytest.mark.parametrize(
    ("variant_id", "expected_on", "field", "message"),
    [
        ("real", "2025-13-01", "Expected restock date", "must be a date like 2025-06-12"),
        ("real", "2020-01-01", "Expected restock date", "must be today or later"),
        ("real", "", "Expected restock date", "enter a date, or clear the date instead"),
        ("real", "2099-01-01", "Expected restock date", "must be within a year from today"),
        ("abc", "soon", "Variant ID", "must be a product variant id"),
        ("²", "soon", "Variant ID", "must be a product variant id"),
        ("9" * 5000, "soon", "Variant ID", "must be a product variant id"),
        ("999999999", "soon", "Variant ID", "is not a product variant of this shop"),
    ],
    ids=["month-13", "past", "empty", "far-future", "letters", "superscript", "huge", "unknown"],
)
def test_a_bad_restock_date_is_refused_naming_the_field(
    stack, installed, variant_id, expected_on, field, message
):
    variant = _product(stack, installed, "LD-Q", available=3)
    vid = variant["id"] if variant_id == "real" else variant_id
    if expected_on == "soon":
        expected_on = (date.today() + timedelta(days=30)).isoformat()
    res = _set_date(stack, installed, vid, expected_on)
    assert res.status_code == 422
    assert f"{field}: {message}" in _page(res)
    assert stack.container.store.list_restock_dates(installed) == []
