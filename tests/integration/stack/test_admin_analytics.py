"""Analytics over HTTP against the whole stack: a return worked through the desk's pages
shows up in /api/metrics, on the Analytics page and in the queue's tab counts."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from app.domain import rma as rmas
from app.domain.rma import Rma, RmaLine, TimelineEntry
from app.services.analytics import month_title, months_back
from tests.integration.stack.test_admin_pages import form, page, submit, text
from tests.integration.stack.test_api import OWNER, call, request_rma, token
from tests.integration.stack.test_returns_flow import _delivered_order


@pytest.fixture
def shop(stack) -> str:
    """GIVEN an installed shop whose owner (user 100) opened Hemline first."""
    domain = stack.new_shop()
    stack.install(domain)
    res = page(stack, "/admin/returns", domain, OWNER)
    assert res.status_code == 200 and "Signed in as owner" in res.text
    return domain


def _post_form(stack, detail: requests.Response, action: str, **extra: str) -> requests.Response:
    url, fields = form(detail, action)
    res = submit(stack, url, {**fields, **extra})
    assert res.status_code == 303, res.text
    return requests.get(f"{stack.app_url}{res.headers['Location']}", timeout=30)


def _refunded_return(stack, shop):
    """An order of two lines; the first is returned (4 x 48.00, needing review) and worked
    through the desk's pages: approved, received and refunded. The second is requested."""
    view = _delivered_order(stack, shop, [4, 4])
    rma = request_rma(stack, shop, view, qty=4, line=0)
    waiting = request_rma(stack, shop, view, qty=4, line=1)
    assert rma.state == waiting.state == "requested"
    detail = page(stack, f"/admin/returns/{rma.number}", shop)
    detail = _post_form(stack, detail, "approve")
    assert "Return approved" in text(detail)
    detail = _post_form(stack, detail, "receive")
    assert "Items marked as received" in text(detail)
    detail = _post_form(stack, detail, "refund")
    assert "Refund issued" in text(detail)
    assert stack.container.store.get_rma(shop, rma.number).state == "refunded"
    return view, rma, waiting


def _this_month(stack, shop) -> str:
    return stack.container.store.get_shop(shop).month_of(datetime.now(UTC))


def test_metrics_count_the_return_its_reason_and_its_refund_time(stack, shop):
    # GIVEN a return requested, approved, received and refunded through the desk this month
    view, rma, _ = _refunded_return(stack, shop)
    month = _this_month(stack, shop)
    # WHEN the merchant's app asks for this month's metrics
    res = call(stack, "GET", "/api/metrics", shop)
    # THEN the month shows both returns (4 items each, for a wrong size) and their value
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["month"] == month and body["currency"] == "USD" and body["next_month"] is None
    assert body["previous_month"] == months_back(month, 1)
    assert (body["returns"], body["items_returned"]) == (2, 8)
    assert body["returned_value"] == "384.00"
    assert body["top_reasons"] == [
        {"reason": "size_fit", "label": "Wrong size or fit", "items": 8, "share_percent": "100.0"}
    ]
    # AND the refund is in the settled list, timed against the 7 business days of the policy
    [settled] = body["settled"]
    assert (settled["number"], settled["order_name"], settled["resolution"]) == (
        rma.number,
        view.order.name,
        "refund",
    )
    assert settled["business_days"] in (0, 1) and settled["allowed_business_days"] == 7
    assert settled["breached"] is False and body["breaches"] == []
    assert datetime.fromisoformat(settled["settled_at"]).utcoffset() is not None
    assert body["refund_sla"]["counted_from"] == "warehouse_receipt"
    assert body["worst_business_days"] == settled["business_days"]
    assert body["overdue"] == []
    # AND the trend ends with this month
    assert [p["month"] for p in body["trend"]][-1] == month
    assert body["trend"][-1]["returns"] == 2
    # AND the order is counted in the month it was placed, at its value
    placed = stack.container.store.get_shop(shop).month_of(view.order.created_at)
    ordered = call(stack, "GET", f"/api/metrics?month={placed}", shop).json()
    assert ordered["orders"] == 1
    assert Decimal(ordered["order_value"]) == view.order.total
    if placed == month:
        assert body["return_rate_percent"] == "200.0"


@pytest.mark.parametrize("bad", ["2026-13", "november", "2026-1", "26-11"])
def test_metrics_refuse_a_bad_month_naming_it(stack, shop, bad):
    res = call(stack, "GET", "/api/metrics", shop, params={"month": bad})
    assert res.status_code == 422
    assert res.json()["field"] == "month"
    assert "must be a month like 2026-11" in res.json()["message"]


def test_metrics_refuse_a_forged_token_and_show_another_shop_only_its_own(stack, shop):
    # GIVEN shop A with a refunded return
    _, rma, _ = _refunded_return(stack, shop)
    # WHEN the metrics are asked for with a forged token THEN it is a 401 App Bridge retries
    forged = token(shop, secret="forged-secret-0123456789abcdef0123")
    res = requests.get(
        f"{stack.app_url}/api/metrics",
        headers={"Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert res.status_code == 401 and res.json()["error"] == "unauthorized"
    assert res.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    # WHEN shop B's owner asks, naming shop A in the query
    other = stack.new_shop()
    stack.install(other)
    res = call(stack, "GET", "/api/metrics", other, params={"shop": shop})
    # THEN B sees its own empty month, nothing of A's
    assert res.status_code == 200
    body = res.json()
    assert (body["returns"], body["top_reasons"], body["settled"]) == (0, [], [])
    assert rma.number not in res.text


def test_analytics_page_shows_the_reason_in_the_charts_table_and_links_the_refund(stack, shop):
    # GIVEN the refunded return
    view, rma, _ = _refunded_return(stack, shop)
    month = _this_month(stack, shop)
    # WHEN the merchant opens Analytics from the admin
    res = page(stack, "/admin/analytics", shop)
    # THEN the page is this month's, one heading, Analytics marked in the navigation
    assert res.status_code == 200, res.text
    body = text(res)
    assert body.count("<h1") == 1 and month_title(month) in body
    assert re.search(r'aria-current="page"[^>]*>Analytics</a>', res.text)
    assert res.headers["Content-Security-Policy"].startswith(f"frame-ancestors https://{shop}")
    # AND the reasons chart is an accessible image whose figures are in a table
    svg = re.search(r'<svg class="chart" id="reasons-chart".*?</svg>', res.text, re.S)
    assert svg and 'role="img"' in svg[0] and "<title" in svg[0]
    assert "Wrong size or fit: 8 (100.0%)" in html.unescape(svg[0])
    table = re.search(r'<table class="data-table" id="reasons-table">.*?</table>', res.text, re.S)
    assert table and re.search(r"Wrong size or fit</th><td class=\"num\">8</td>", table[0])
    # AND the refund is listed as settled on time, linked to the return with the token
    settled = re.search(r'id="settled-table".*?</table>', res.text, re.S)
    assert settled and view.order.name in settled[0] and "On time" in settled[0]
    link = re.search(rf'href="(/admin/returns/{rma.number}\?[^"]+)"', settled[0])
    assert link and "id_token=" in link[1] and f"shop={shop}" in html.unescape(link[1])
    assert "Nothing overdue" in body
    # AND the cards show the month's returns and items
    assert re.search(r'id="m-returns">Returns</h2>\s*<p class="metric-value">2</p>', res.text)
    # AND the month navigation goes back a month, keeping the token
    prev = re.search(r'<a class="button" rel="prev" href="([^"]+)"', res.text)
    assert prev and f"month={months_back(month, 1)}" in prev[1] and "id_token=" in prev[1]
    assert 'rel="next"' not in res.text
    back = requests.get(f"{stack.app_url}{html.unescape(prev[1])}", timeout=30)
    assert back.status_code == 200 and month_title(months_back(month, 1)) in text(back)


def test_analytics_page_empty_month_and_bad_month(stack, shop):
    # GIVEN a shop with nothing yet
    res = page(stack, "/admin/analytics", shop)
    assert res.status_code == 200
    month = month_title(_this_month(stack, shop))
    body = text(res)
    assert f"No orders or returns in {month}" in body
    assert f"No returns requested in {month}" in body and f"No returns settled in {month}" in body
    # A month that is not a month is a 422 saying what to type
    bad = page(stack, "/admin/analytics", shop, month="2026-13")
    assert bad.status_code == 422
    assert "“2026-13” is not a month. Pick a month like" in text(bad)
    assert 'role="alert"' in bad.text and "<svg" not in bad.text


def test_bad_tokens_get_the_sign_in_page_on_analytics(stack, shop):
    forged = token(shop, secret="forged-secret-0123456789abcdef0123")
    res = requests.get(
        f"{stack.app_url}/admin/analytics",
        params={"shop": shop, "id_token": forged},
        timeout=10,
    )
    assert res.status_code == 401 and "Open Hemline from your Shopify admin" in text(res)


def test_queue_tabs_show_how_many_returns_each_holds(stack, shop):
    # GIVEN one refunded return and one waiting for review
    _refunded_return(stack, shop)
    # WHEN the merchant opens the queue
    res = page(stack, "/admin/returns", shop)
    # THEN each tab says how many returns it holds, in words for screen readers
    labels = dict(
        re.findall(r'<a href="/admin/returns\?state=(\w+)[^"]*" aria-label="([^"]+)"', res.text)
    )
    assert labels["requested"] == "Waiting for review, 1 return"
    assert labels["refunded"] == "Refunded, 1 return"
    assert labels["approved"] == "Approved, 0 returns"
    assert len(labels) == 10
    # AND the badges show the numbers
    badges = re.findall(r'<span class="count-badge[^"]*" aria-hidden="true">(\d+)</span>', res.text)
    assert sorted(int(b) for b in badges) == [0] * 8 + [1, 1]


def _stored_rma(
    stack, shop, number: str, order_id: int, *, received_days_ago: int, refunded: bool
) -> Rma:
    """A return received some days ago (refunded now, or still waiting), stored as the
    desk would have left it, with its month's counters."""
    now = datetime.now(UTC)
    received = now - timedelta(days=received_days_ago)
    line = RmaLine(
        line_item_id=11,
        title="Smocked romper",
        quantity=1,
        price=Decimal("48.00"),
        reason="defective",
        resolution="refund",
        condition="unworn_tags_attached",
        refund_amount=Decimal("48.00"),
    )
    rma = Rma(
        number=number,
        shop=shop,
        order_id=order_id,
        order_name=f"#{order_id}",
        currency="USD",
        state="requested",
        lines=(line,),
        created_at=received - timedelta(days=3),
        updated_at=received - timedelta(days=3),
        timeline=(TimelineEntry(received - timedelta(days=3), "customer", "request"),),
    )
    rma = rmas.apply(rma, "approve", actor="system", at=received - timedelta(days=3))
    rma = rmas.apply(rma, "receive", actor="staff:100", at=received)
    if refunded:
        rma = rmas.apply(rma, "inspect", actor="staff:100", at=now)
        rma = rmas.apply(rma, "refund", actor="staff:100", at=now)
    store = stack.container.store
    store.create_rma(shop, rma, {11: 1}, stats_month=store.get_shop(shop).month_of(rma.created_at))
    return rma


def test_late_refunds_and_overdue_returns_are_listed_with_links(stack, shop):
    # GIVEN a return received 20 days ago and refunded only now (policy: 7 business days),
    # and one received 20 days ago and still waiting
    late = _stored_rma(stack, shop, "LATE2345", 7001, received_days_ago=20, refunded=True)
    waiting = _stored_rma(stack, shop, "WAIT2345", 7002, received_days_ago=20, refunded=False)
    # WHEN the metrics and the page are read
    body = call(stack, "GET", "/api/metrics", shop).json()
    res = page(stack, "/admin/analytics", shop)
    # THEN the refund is a breach: more than 7 business days against 7 allowed
    [breach] = body["breaches"]
    assert breach["number"] == late.number and breach["breached"] is True
    assert breach["business_days"] > 7 and breach["allowed_business_days"] == 7
    # AND the waiting one is overdue now, with its due date and how late it is
    [overdue] = body["overdue"]
    assert (overdue["number"], overdue["state"]) == (waiting.number, "received")
    assert overdue["late_business_days"] > 0
    assert date.fromisoformat(overdue["due_date"]) < datetime.now(UTC).date()
    # AND the page lists both, each linked to its return with the token
    breaches = re.search(r'id="breaches-table".*?</table>', res.text, re.S)
    assert breaches and f"/admin/returns/{late.number}?" in breaches[0]
    assert "7 business days" in breaches[0]
    overdue_table = re.search(r'id="overdue-table".*?</table>', res.text, re.S)
    assert overdue_table and f"/admin/returns/{waiting.number}?" in overdue_table[0]
    assert "id_token=" in overdue_table[0] and "Received" in overdue_table[0]
    assert "Late (allowed 7)" in text(res)
