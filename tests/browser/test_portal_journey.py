"""A customer returns an item through the portal in headless Chromium, once for each preset.

GIVEN an installed shop on a preset and a delivered order, WHEN the customer
looks it up, picks an item, a reason and a resolution, reviews the summary
and submits, THEN an RMA exists and the status page shows it. Every step is
screenshotted on a phone-sized window.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from app.i18n_portal import t

MINUS = "\u2212"  # fees are shown as deductions


@dataclass(frozen=True)
class Journey:
    preset: str
    locale: str  # the browser's language
    shop: dict  # simulator shop fields
    address: dict
    email: str
    title: str
    price: str
    reason: str
    condition: str
    resolution: str
    wanted: str
    contact: str  # what the customer types: the email or the postal code
    summary_text: tuple[str, ...]  # what the summary must say (fees, refund, shipping)
    state: str
    next_step: str


JOURNEYS = [
    Journey(
        preset="petite-plume",
        locale="en-US",
        shop={"name": "Petite Plume"},
        address={"address1": "1 Park St", "city": "Brooklyn", "zip": "11201", "country_code": "US"},
        email="ada@example.com",
        title="Smocked romper",
        price="48.00",
        reason="size_fit",
        condition="unworn_tags_attached",
        resolution="refund",
        wanted="",
        contact="ada@example.com",
        # Subtotal 48.00 is not over 75.00: the 6.95 label fee comes off the refund.
        summary_text=(MINUS + "$6.95", "$41.05", t("en", "summary.shipping_customer")),
        state="approved",
        next_step=t("en", "next.label_pending"),
    ),
    Journey(
        preset="lavish-ivy",
        locale="en-GB",
        shop={"name": "Lavish Ivy"},
        address={"address1": "9 Elm Rd", "city": "Austin", "zip": "73301", "country_code": "US"},
        email="grace@example.com",
        title="Silk robe",
        price="120.00",
        reason="changed_mind",
        condition="unopened",
        resolution="refund",
        wanted="",
        contact="73301",
        # 10% restocking fee (cap 15.00); the customer sends the parcel at their own cost.
        summary_text=(MINUS + "$12.00", "$108.00", t("en", "summary.shipping_customer")),
        state="approved",
        next_step="Send the items at your own cost",
    ),
    Journey(
        preset="cn-consumer",
        locale="zh-CN",
        shop={
            "name": "小棉袄童装",
            "currency": "CNY",
            "country_code": "CN",
            "iana_timezone": "Asia/Shanghai",
        },
        address={
            "address1": "南京西路 1 号",
            "city": "上海",
            "zip": "200040",
            "country_code": "CN",
        },
        email="li.lei@example.com",
        title="纯棉连衣裙",
        price="199.00",
        reason="size_fit",
        condition="unworn_tags_attached",
        resolution="exchange",
        wanted="120 码",
        contact="200040",
        # A size exchange within 7 days is free; every request is reviewed within 1 business day.
        summary_text=(
            t("zh-CN", "summary.shipping_merchant"),
            t("zh-CN", "summary.review_needed_days", n=1),
        ),
        state="requested",
        next_step=t("zh-CN", "next.requested_days", n=1),
    ),
]


def _shop_on_preset(stack, journey: Journey) -> str:
    domain = stack.new_shop(**journey.shop)
    stack.install(domain)
    store = stack.container.store
    shop = store.get_shop(domain)
    fields = {"policy_preset": journey.preset}
    if journey.preset == "cn-consumer":
        fields.update(country="CN", currency="CNY", timezone="Asia/Shanghai")
    store.put_shop(replace(shop, **fields))
    return domain


def _delivered_order(stack, shop: str, journey: Journey, days_ago: int = 2):
    sku = f"SKU-{uuid.uuid4().hex[:8]}"
    stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": journey.title,
            "product_type": "Dresses",
            "tags": [],
            "variants": [{"title": "110", "sku": sku, "price": journey.price, "inventory": 20}],
        },
    )
    placed = datetime.now(UTC) - timedelta(days=days_ago + 3)
    order = stack.sim(
        "POST",
        f"/shops/{shop}/orders",
        json={
            "customer": {
                "email": journey.email,
                "first_name": "Ada",
                "last_name": "L",
                "address": journey.address,
            },
            "lines": [{"sku": sku, "quantity": 1}],
            "created_at": placed.isoformat(),
        },
    )
    stack.sim(
        "POST",
        f"/shops/{shop}/orders/{order['id']}/fulfil",
        json={"at": (placed + timedelta(days=1)).isoformat()},
    )
    stack.sim(
        "POST",
        f"/shops/{shop}/orders/{order['id']}/deliver",
        json={"at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()},
    )
    stack.wait_for_webhooks()
    view = stack.container.store.get_order(shop, int(order["id"]))
    assert view is not None and view.delivered_at is not None
    return view


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.preset for j in JOURNEYS])
def test_customer_returns_an_item_from_lookup_to_status(
    stack, portal_url, open_page, screenshot, journey
):
    from playwright.sync_api import expect

    shop = _shop_on_preset(stack, journey)
    view = _delivered_order(stack, shop, journey)
    lang = "zh-CN" if journey.locale.startswith("zh") else "en"

    def tr(key: str, **kw: object) -> str:
        return t(lang, key, **kw)

    page = open_page(journey.locale)
    step = f"{journey.preset}"

    # 1. Look the order up.
    page.goto(f"{portal_url}/portal/{shop}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("lookup.title"))
    page.get_by_label(tr("lookup.order_number")).fill(view.order.name)
    page.get_by_label(tr("lookup.contact")).fill(journey.contact)
    screenshot(page, f"{step}-1-lookup")
    page.get_by_role("button", name=tr("lookup.submit")).click()

    # 2. The order: the item, until when it can be returned, and why.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr("order.title", name=view.order.name)
    )
    item = page.locator("section.item", has_text=journey.title)
    expect(item.get_by_text(tr("item.status.returnable"))).to_be_visible()
    expect(
        item.get_by_text(re.compile(re.escape(tr("item.return_by", date="").strip())))
    ).to_be_visible()
    screenshot(page, f"{step}-2-order")

    # 3. Choose the item, reason, condition and resolution.
    item.get_by_label(tr("item.select")).check()
    item.get_by_label(tr("item.reason")).select_option(journey.reason)
    item.get_by_label(tr("item.condition")).select_option(journey.condition)
    item.get_by_label(tr("item.resolution")).select_option(journey.resolution)
    if journey.wanted:
        item.get_by_label(tr("item.wanted")).fill(journey.wanted)
    screenshot(page, f"{step}-3-choices")
    page.get_by_role("button", name=tr("order.review")).click()

    # 4. The summary: fees, refund and who pays for shipping, before anything is sent.
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("summary.title"))
    expect(page.get_by_text(tr("summary.item_ok"))).to_be_visible()
    for text in journey.summary_text:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    screenshot(page, f"{step}-4-summary")
    assert stack.container.store.rmas_for_order(shop, view.order.id) == []
    page.get_by_role("button", name=tr("summary.submit")).click()

    # 5. The status page of the new return.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(re.escape(tr("status.title", number="").strip())))
    number = page.url.rsplit("/", 1)[1]
    rma = stack.container.store.get_rma(shop, number)
    assert rma is not None and rma.order_id == view.order.id and rma.state == journey.state
    assert [(ln.reason, ln.resolution) for ln in rma.lines] == [
        (journey.reason, journey.resolution)
    ]
    expect(page.get_by_text(journey.next_step, exact=False)).to_be_visible()
    expect(page.get_by_text(tr("action.request"))).to_be_visible()
    screenshot(page, f"{step}-5-status")
    assert [r["status"] for r in stack.sim("GET", f"/shops/{shop}/returns")] == [
        "OPEN" if journey.state == "approved" else "REQUESTED"
    ]


def test_keyboard_only_lookup_and_errors_linked_to_their_fields(
    stack, portal_url, open_page, screenshot
):
    from playwright.sync_api import expect

    journey = JOURNEYS[0]
    shop = _shop_on_preset(stack, journey)
    view = _delivered_order(stack, shop, journey)
    page = open_page("en-US")
    page.goto(f"{portal_url}/portal/{shop}")

    # GIVEN only a keyboard: the fields come in reading order after the language switch.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label(t("en", "lookup.order_number"))).to_be_focused()
    page.keyboard.type(view.order.name)
    page.keyboard.press("Tab")
    page.keyboard.type(journey.email)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("en", "order.title", name=view.order.name)
    )

    # WHEN the customer ticks the item with the space bar and asks for a review without a reason
    line = view.order.line_items[0]
    checkbox = page.locator(f"#item-{line.id}")
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    page.get_by_role("button", name=t("en", "order.review")).click()

    # THEN the summary of errors links to each field, which names its error.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(t("en", "err.reason"))
    reason = page.locator(f"#reason-{line.id}")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile(re.escape(t("en", "err.reason"))))
    screenshot(page, "petite-plume-errors")
    summary.get_by_role("link", name=t("en", "err.reason")).click()
    assert page.url.endswith(f"#reason-{line.id}")
