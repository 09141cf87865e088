"""A merchant works a return through the returns desk in headless Chromium.

GIVEN an installed shop and a return over the review threshold, WHEN the owner
signs in locally, finds the return in the queue, approves it, marks it
received and refunds it, THEN the label and the approval email exist, and the
simulated Shopify holds exactly one refund, the queue's tabs count it, and
Analytics shows it counted with its reason and its refund time. Every page is
screenshotted to artifacts/screenshots/admin-<step>.png.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from app import i18n
from app.services.analytics import month_title, months_back
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.integration.stack.test_api import request_rma
from tests.integration.stack.test_returns_flow import RETURN_ADDRESS, _delivered_order

DESKTOP = {"width": 1280, "height": 900}


def test_owner_approves_receives_and_refunds_a_return(stack, open_page):
    from playwright.sync_api import expect

    # GIVEN an installed shop and a 4 x 48.00 return, waiting for a supervisor's review
    shop = stack.new_shop()
    stack.install(shop)
    store = stack.container.store
    store.put_shop(replace(store.get_shop(shop), return_address=RETURN_ADDRESS))
    view = _delivered_order(stack, shop, [4])
    rma = request_rma(stack, shop, view, qty=4)
    assert rma.state == "requested" and rma.approver_role == "supervisor"
    number = rma.number

    page = open_page("en-US")
    page.set_viewport_size(DESKTOP)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(step: str) -> None:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"{step}: the page is {overflow}px wider than the window"
        expect(page.locator("h1")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / f"admin-{step}.png"), full_page=True)

    def banner(text: str) -> None:
        expect(page.get_by_role("status")).to_have_text(text)

    # 1. Sign in locally as the owner.
    page.goto(f"{stack.app_url}/admin?shop={shop}")
    page.get_by_label("Shop", exact=True).fill(shop)
    page.get_by_label("Role", exact=True).select_option("owner")
    shot("1-sign-in")
    page.get_by_role("button", name="Sign in (local only)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hemline")
    shot("2-home")

    # 2. The queue lists the request; a search by RMA number finds it too.
    page.get_by_role("link", name="Open the returns queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text(view.order.name)
    expect(row).to_contain_text("192.00 USD")
    expect(row).to_contain_text("Waiting for review")
    shot("3-queue")
    page.get_by_label("Search by RMA or order number").fill(number.lower())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=re.compile("Search results"))).to_be_visible()
    expect(page.get_by_role("link", name=number)).to_have_count(1)

    # 3. The detail page: approve it (keyboard: focus the button and press Enter).
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {number}")
    expect(page.get_by_role("cell", name="Wrong size or fit")).to_be_visible()
    shot("4-detail")
    approve = page.get_by_role("button", name="Approve return")
    approve.focus()
    page.keyboard.press("Enter")
    # The page asks first; the confirm button has the focus, so Enter confirms.
    expect(page.get_by_role("heading", name="Please confirm")).to_be_visible()
    assert store.get_rma(shop, number).state == "requested"
    shot("4b-confirm-approve")
    expect(page.get_by_role("button", name="Yes, approve")).to_be_focused()
    page.keyboard.press("Enter")
    banner("Return approved. The customer was emailed their label.")
    approved = store.get_rma(shop, number)
    assert approved is not None and approved.state == "label_issued"
    tracking = approved.label["tracking_number"]
    assert tracking and stack.container.files.get(approved.label["file_key"]).startswith(b"%PDF")
    expect(page.locator(".tracking")).to_have_text(tracking)
    expect(page.get_by_role("button", name="Approve return")).to_have_count(0)
    mails = [m for m in stack.container.outbox.list() if number in m.subject]
    subject = i18n.t("en", "return_approved.subject", rma_number=number)
    assert [m.subject for m in mails].count(subject) == 1
    assert tracking in stack.container.outbox.part(mails[0].id, "text")
    shot("5-approved")

    # 4. Mark it received: all four, restocked.
    expect(page.get_by_label("Quantity received")).to_have_value("4")
    expect(page.get_by_label("Restock to inventory")).to_be_checked()
    page.get_by_role("button", name="Mark received").click()
    banner("Items marked as received.")
    received = store.get_rma(shop, number)
    assert received.state == "received" and received.lines[0].received_quantity == 4
    shot("6-received")

    # 5. Refund it, once.
    page.get_by_role("button", name="Refund 192.00 USD").click()
    expect(
        page.get_by_text("Refund 192.00 USD to the customer's original payment method?")
    ).to_be_visible()
    page.get_by_role("button", name="Yes, refund").click()
    banner("Refund issued.")
    expect(page.locator(".title-bar .badge")).to_have_text("Refunded")
    refunded = store.get_rma(shop, number)
    assert refunded.state == "refunded"
    refunds = stack.sim("GET", f"/shops/{shop}/refunds")
    assert len(refunds) == 1 and Decimal(refunds[0]["total"]) == refunded.refund_total
    expect(page.get_by_role("button", name=re.compile("^Refund"))).to_have_count(0)
    shot("7-refunded")

    # 6. The queue's Refunded tab lists it; the requested tab is empty again; the tabs count.
    page.get_by_role("link", name="← Returns").click()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    expect(page.get_by_role("link", name="Refunded, 1 return", exact=True)).to_be_visible()
    page.get_by_role("link", name="Waiting for review, 0 returns", exact=True).click()
    expect(page.get_by_text("No returns waiting for review")).to_be_visible()
    shot("8-queue-empty")

    # 7. Analytics counts the return this month, its reason, and the refund on time.
    month = store.get_shop(shop).month_of(datetime.now(UTC))
    page.get_by_role("link", name="Analytics", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    expect(page.locator(".month-nav-current")).to_have_text(month_title(month))
    expect(page.get_by_role("region", name="Returns", exact=True)).to_contain_text(
        "4 items returned"
    )
    chart = page.get_by_role("img", name=re.compile("^Top return reasons"))
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("Wrong size or fit")
    reason = page.locator("#reasons-table").get_by_role("row", name=re.compile("Wrong size or fit"))
    expect(reason).to_contain_text("4")
    expect(reason).to_contain_text("100.0%")
    refund = page.locator("#settled-table").get_by_role("row").filter(has_text=number)
    expect(refund).to_contain_text("Refunded")
    expect(refund).to_contain_text("On time")
    expect(page.get_by_text("Nothing overdue")).to_be_visible()
    shot("9-analytics")

    # 8. The month before: its own figures, and the way back.
    page.get_by_role("link", name=month_title(months_back(month, 1))).click()
    expect(page.locator(".month-nav-current")).to_have_text(month_title(months_back(month, 1)))
    expect(page.get_by_role("link", name=month_title(month))).to_be_visible()
    shot("10-analytics-previous-month")
    page.get_by_role("link", name=month_title(month)).click()
    expect(page.locator(".month-nav-current")).to_have_text(month_title(month))

    # 9. On a phone the page fits the screen: cards stack, charts shrink, tables scroll.
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("img", name=re.compile("^Return rate"))).to_be_visible()
    shot("11-analytics-phone")
