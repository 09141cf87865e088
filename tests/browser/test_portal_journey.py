"""A customer returns an item through the portal in headless Chromium, once for each preset.

GIVEN an installed shop on a preset, with a return address, and a delivered
order, WHEN the customer looks it up, picks an item, a reason (with photos
where the policy wants them) and a resolution, reviews the summary and
submits, and the merchant approves it where the policy wants a review, THEN
the status page offers the prepaid label, the customer downloads it, and the
RMA, the Shopify return, the label and the emails all agree. Every step is
screenshotted on a phone-sized window.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from app import i18n
from app.i18n_portal import t
from app.services import returns
from tests.integration.stack.test_returns_flow import RETURN_ADDRESS


@dataclass(frozen=True)
class Journey:
    preset: str
    locale: str  # the browser's language
    shop: dict  # simulator shop fields
    return_address: dict  # where the prepaid label sends the parcel
    address: dict  # the customer's shipping address
    email: str
    title: str
    price: str
    reason: str
    condition: str
    resolution: str
    photos: int  # photos the customer uploads with the request
    contact: str  # what the customer types: the email or the postal code
    summary_text: tuple[str, ...]  # what the summary must say (refund, shipping, review)
    reviewer: str | None  # the role that approves it; None when approved at once
    submitted_next: str  # "what happens next" right after submitting


JOURNEYS = [
    Journey(
        preset="petite-plume",
        locale="en-US",
        shop={"name": "Petite Plume"},
        return_address=RETURN_ADDRESS,
        address={"address1": "1 Park St", "city": "Brooklyn", "zip": "11201", "country_code": "US"},
        email="ada@example.com",
        title="Smocked romper",
        price="88.00",
        reason="size_fit",
        condition="unworn_tags_attached",
        resolution="refund",
        photos=0,
        contact="ada@example.com",
        # A domestic order over 75.00 returns free with a prepaid label, approved at once.
        summary_text=(
            "$88.00",
            t("en", "summary.shipping_merchant"),
            t("en", "summary.auto_approved"),
        ),
        reviewer=None,
        submitted_next=t("en", "next.label_ready"),
    ),
    Journey(
        preset="lavish-ivy",
        locale="en-GB",
        shop={"name": "Lavish Ivy"},
        return_address={
            "name": "Lavish Ivy Returns",
            "line1": "500 Congress Ave",
            "city": "Austin",
            "province": "TX",
            "zip": "78701",
            "country_code": "US",
        },
        address={"address1": "9 Elm Rd", "city": "Austin", "zip": "73301", "country_code": "US"},
        email="grace@example.com",
        title="Silk robe",
        price="120.00",
        reason="damaged_in_transit",
        condition="opened",
        resolution="refund",
        photos=0,
        contact="73301",
        # Damage reported within 14 days: no photos, no restocking fee, a prepaid label,
        # and a manager reviews it.
        summary_text=(
            "$120.00",
            t("en", "summary.shipping_merchant"),
            t("en", "summary.review_needed"),
        ),
        reviewer="manager",
        submitted_next=t("en", "next.requested"),
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
        return_address={
            "name": "小棉袄童装 售后部",
            "line1": "淮海中路 100 号",
            "city": "上海",
            "province": "SH",
            "zip": "200021",
            "country_code": "CN",
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
        reason="defective",
        condition="worn",
        resolution="refund",
        photos=1,
        contact="200040",
        # A quality problem within 30 days with a photo: the merchant pays the label;
        # every request is reviewed by an agent within 1 business day.
        summary_text=(
            "¥199.00",
            t("zh-CN", "summary.shipping_merchant"),
            t("zh-CN", "summary.review_needed_days", n=1),
        ),
        reviewer="agent",
        submitted_next=t("zh-CN", "next.requested_days", n=1),
    ),
]


def _shop_on_preset(stack, journey: Journey) -> str:
    domain = stack.new_shop(**journey.shop)
    stack.install(domain)
    store = stack.container.store
    shop = store.get_shop(domain)
    fields: dict = {"policy_preset": journey.preset, "return_address": journey.return_address}
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


def _photos(folder: Path, count: int) -> list[str]:
    """Small real JPEGs, as a phone would send them (the portal checks the bytes)."""
    paths = []
    for n in range(count):
        path = folder / f"problem-{n + 1}.jpg"
        Image.new("RGB", (64, 48), (200, 40 + 60 * n, 40)).save(path, "JPEG", quality=85)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.preset for j in JOURNEYS])
def test_customer_returns_an_item_from_lookup_to_label_download(
    stack, portal_url, open_page, screenshot, journey, tmp_path
):
    from playwright.sync_api import expect

    shop = _shop_on_preset(stack, journey)
    view = _delivered_order(stack, shop, journey)
    lang = "zh-CN" if journey.locale.startswith("zh") else "en"

    def tr(key: str, **kw: object) -> str:
        return t(lang, key, **kw)

    page = open_page(journey.locale)

    def shot(name: str) -> None:
        """Screenshot a step, after checking nothing runs past the phone's width."""
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"{name}: the page is {overflow}px wider than the phone"
        screenshot(page, f"{journey.preset}-{name}")

    # 1. Look the order up.
    page.goto(f"{portal_url}/portal/{shop}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("lookup.title"))
    page.get_by_label(tr("lookup.order_number")).fill(view.order.name)
    page.get_by_label(tr("lookup.contact")).fill(journey.contact)
    shot("1-lookup")
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
    shot("2-order")

    # 3. Choose the item, reason, condition and resolution; photos where the policy wants them.
    item.get_by_label(tr("item.select")).check()
    item.get_by_label(tr("item.reason")).select_option(journey.reason)
    item.get_by_label(tr("item.condition")).select_option(journey.condition)
    item.get_by_label(tr("item.resolution")).select_option(journey.resolution)
    if journey.photos:
        photos = item.locator("details.photos")
        if photos.get_attribute("open") is None:
            photos.locator("summary").click()
        field = item.get_by_label(tr("item.photos"), exact=True)
        expect(field).to_be_visible()
        field.set_input_files(_photos(tmp_path, journey.photos))
    shot("3-choices")
    page.get_by_role("button", name=tr("order.review")).click()

    # 4. The summary: refund, who pays for shipping and who reviews, before anything is sent.
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("summary.title"))
    expect(page.get_by_text(tr("summary.item_ok"))).to_be_visible()
    for text in journey.summary_text:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    shot("4-summary")
    assert stack.container.store.rmas_for_order(shop, view.order.id) == []
    page.get_by_role("button", name=tr("summary.submit")).click()

    # 5. The status page of the new return: the label at once, or a review first.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(re.escape(tr("status.title", number="").strip())))
    number = page.url.rsplit("/", 1)[1]
    store = stack.container.store
    rma = store.get_rma(shop, number)
    assert rma is not None and rma.order_id == view.order.id and rma.prepaid_label
    assert [(ln.reason, ln.resolution, len(ln.photos)) for ln in rma.lines] == [
        (journey.reason, journey.resolution, journey.photos)
    ]
    assert rma.state == ("requested" if journey.reviewer else "label_issued")
    assert rma.approver_role == journey.reviewer
    expect(page.get_by_text(journey.submitted_next, exact=False)).to_be_visible()
    expect(page.get_by_text(tr("action.request"))).to_be_visible()
    shot("5-status")

    # 6. The merchant approves it as the policy's reviewer; the customer reloads the page.
    if journey.reviewer:
        expect(page.get_by_role("link", name=tr("status.download_label"))).to_have_count(0)
        returns.approve_return(
            stack.container.returns_context(),
            store.get_shop(shop),
            number,
            actor="staff:1",
            actor_role=journey.reviewer,
        )
        page.reload()
    rma = store.get_rma(shop, number)
    assert rma is not None and rma.state == "label_issued"
    tracking = rma.label["tracking_number"]
    assert tracking
    expect(page.get_by_text(tr("state.label_issued"), exact=True)).to_be_visible()
    expect(page.get_by_text(tr("next.label_ready"))).to_be_visible()
    expect(page.get_by_text(tracking, exact=False)).to_be_visible()
    expect(page.get_by_text(tr("action.issue_label"))).to_be_visible()
    download_link = page.get_by_role("link", name=tr("status.download_label"))
    expect(download_link).to_be_visible()
    # Every image on the page has loaded, the label's QR code included when there is one.
    page.wait_for_load_state("load")
    broken = page.locator("img").evaluate_all(
        "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == []
    shot("6-label")

    # 7. The customer downloads the label: the PDF Hemline stored, naming the RMA.
    with page.expect_download() as downloading:
        download_link.click()
    download = downloading.value
    assert download.failure() is None and download.suggested_filename.endswith(".pdf")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and number.encode() in pdf
    assert pdf == stack.container.files.get(rma.label["file_key"])

    # THEN the Shopify return is open and carries the label's tracking as its reverse delivery.
    sim_returns = stack.sim("GET", f"/shops/{shop}/returns")
    assert [r["status"] for r in sim_returns] == ["OPEN"]
    assert rma.shopify_return_id and rma.shopify_return_id.endswith(str(sim_returns[0]["id"]))
    deliveries = [
        d for rfo in sim_returns[0]["reverse_fulfillment_orders"] for d in rfo["reverse_deliveries"]
    ]
    assert [d["tracking_number"] for d in deliveries] == [tracking]

    # AND the customer got one approval email with the label, after the request email
    # when the return waited for a review, in the language of the portal.
    outbox = stack.container.outbox
    mails = [m for m in outbox.list() if number in m.subject]
    assert all(m.to == journey.email for m in mails)
    approved_subject = i18n.t(lang, "return_approved.subject", rma_number=number)
    requested_subject = i18n.t(lang, "return_requested.subject", rma_number=number)
    expected = [approved_subject] + ([requested_subject] if journey.reviewer else [])
    assert [m.subject for m in mails] == expected  # newest first
    approved = outbox.part(mails[0].id, "text")
    assert tracking in approved
    assert i18n.t(lang, "return_approved.label_button") in approved
    if lang == "zh-CN":
        assert "已获批准" in mails[0].subject
        assert "我们已收到您的退货申请" in mails[1].subject

    # AND the email's link opens the return, label included, in a browser with no session.
    link = re.search(rf"https?://\S+/returns/{number}\?t=\S+", approved)
    assert link is not None
    elsewhere = open_page(journey.locale)
    elsewhere.goto(link[0])
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text(
        tr("status.title", number=number)
    )
    expect(elsewhere.get_by_role("link", name=tr("status.download_label"))).to_have_attribute(
        "href", download_link.get_attribute("href") or ""
    )


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


def test_status_page_shows_a_qr_code_that_loads(stack, portal_url, open_page, screenshot):
    """'You can also show the QR code instead of printing': the page must then show one."""
    from app.services.eligibility import RequestedLine
    from app.web.portal import status_link

    journey = JOURNEYS[0]  # petite-plume, over 75.00: a free prepaid label at once
    shop = _shop_on_preset(stack, journey)
    view = _delivered_order(stack, shop, journey)
    rma = returns.request_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        view,
        [
            RequestedLine(
                view.order.line_items[0].id,
                1,
                journey.reason,
                journey.resolution,
                journey.condition,
            )
        ],
        customer_email=journey.email,
    )
    assert rma.state == "label_issued"
    page = open_page("en-US")
    page.goto(status_link(shop, rma.number, settings=stack.container.settings))
    page.wait_for_load_state("load")
    screenshot(page, "petite-plume-qr")
    qr = page.get_by_role("img", name=t("en", "status.qr_alt"))
    assert qr.count() == 1
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
