"""The customer returns portal against the stack: DynamoDB Local, the simulator, the real app.

Pages are driven through the Flask client of an app built on the stack's
container (so each test can choose its client address), the orders come from
the simulator's webhooks, and RMAs land in DynamoDB Local and in Shopify.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from io import BytesIO
from urllib.parse import urlsplit

import pytest

from app.i18n_portal import PORTAL, format_date
from app.services import returns
from app.services.eligibility import RequestedLine, decide
from app.shopify.errors import ShopifyUnavailableError
from app.web import create_app, portal

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32
NOT_FOUND_TEXT = PORTAL["en"]["lookup.not_found"]
MINUS = "\u2212"  # fees are shown as deductions


class StandInFiles:
    """Used only while the container has no file store yet (app/adapters/files.py is new)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.files[key] = (data, content_type)

    def get(self, key: str) -> bytes:
        return self.files[key][0]

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"http://files.test/{key}"


@pytest.fixture(scope="module")
def portal_app(stack):
    app = create_app(container=stack.container)
    if "portal" not in app.blueprints:  # until the lead registers it in create_app
        app.register_blueprint(portal.bp)
    if getattr(stack.container, "files", None) is None:
        stack.container.files = StandInFiles()
    return app


@pytest.fixture
def client(portal_app):
    return portal_app.test_client()


@pytest.fixture
def installed(stack):
    shop = stack.new_shop()
    stack.install(shop)
    return shop


def delivered_order(
    stack,
    shop,
    items,
    *,
    days_ago=3,
    email="ada@example.com",
    zip_code="11201",
    country="US",
    products=None,
):
    """An order of `items` ({title, price, quantity, tags, product_type}) delivered `days_ago`.

    An item's `other_sizes` ([(title, inventory)]) are more variants of its product, not
    bought; the simulator's answers for the products created are appended to `products`.
    """
    lines = []
    for item in items:
        sku = f"SKU-{uuid.uuid4().hex[:8]}"
        others = [
            {
                "title": title,
                "sku": f"{sku}-{n}",
                "price": item.get("price", "48.00"),
                "inventory": qty,
            }
            for n, (title, qty) in enumerate(item.get("other_sizes", ()))
        ]
        product = stack.sim(
            "POST",
            f"/shops/{shop}/products",
            json={
                "title": item.get("title", "Smocked romper"),
                "product_type": item.get("product_type", "Rompers"),
                "tags": item.get("tags", []),
                "variants": [
                    {
                        "title": "3T",
                        "sku": sku,
                        "price": item.get("price", "48.00"),
                        "inventory": 50,
                    },
                    *others,
                ],
            },
        )
        if products is not None:
            products.append(product)
        lines.append({"sku": sku, "quantity": item.get("quantity", 1)})
    placed = datetime.now(UTC) - timedelta(days=days_ago + 3)
    order = stack.sim(
        "POST",
        f"/shops/{shop}/orders",
        json={
            "customer": {
                "email": email,
                "first_name": "Ada",
                "last_name": "L",
                "address": {
                    "address1": "1 Park St",
                    "city": "Brooklyn",
                    "zip": zip_code,
                    "country_code": country,
                },
            },
            "lines": lines,
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


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def selection_of(html: str) -> str:
    return re.search(r'name="selection" value="([^"]+)"', html)[1]


def text_of(res) -> str:
    return unescape(res.get_data(as_text=True))


def look_up(client, shop, number, contact, **kw):
    page = client.get(f"/portal/{shop}", **kw)
    assert page.status_code == 200
    token = csrf_of(page.get_data(as_text=True))
    return client.post(
        f"/portal/{shop}",
        data={"csrf_token": token, "order_number": number, "contact": contact},
        **kw,
    )


def open_order(client, shop, view, contact="ada@example.com"):
    res = look_up(client, shop, view.order.name, contact)
    assert res.status_code == 303, res.get_data(as_text=True)
    page = client.get(res.headers["Location"])
    assert page.status_code == 200
    return page


def review(client, shop, view, page, fields, files=None):
    data = {"csrf_token": csrf_of(page.get_data(as_text=True)), **fields}
    if files:
        data.update(files)
    return client.post(
        f"/portal/{shop}/orders/{view.order.id}/review",
        data=data,
        content_type="multipart/form-data",
    )


def line_fields(line_id, **kw):
    fields = {
        f"item-{line_id}": "1",
        f"qty-{line_id}": "1",
        f"reason-{line_id}": "size_fit",
        f"condition-{line_id}": "unworn_tags_attached",
        f"resolution-{line_id}": "refund",
    }
    fields.update({f"{k}-{line_id}": v for k, v in kw.items()})
    return fields


def service_return(stack, shop, view, qty=1):
    line = view.order.line_items[0]
    return returns.request_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        view,
        [RequestedLine(line.id, qty, "size_fit", "refund", "unworn_tags_attached")],
        customer_email="ada@example.com",
    )


# -- look-up -----------------------------------------------------------------------------------


def test_lookup_by_email_opens_the_order_page(stack, installed, client):
    view = delivered_order(stack, installed, [{"title": "Knitted romper"}])
    res = look_up(client, installed, view.order.name.lstrip("#"), "  ADA@example.com ")
    assert res.status_code == 303
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=7200" in cookie
    page = client.get(res.headers["Location"])
    assert page.status_code == 200
    assert "Knitted romper" in text_of(page)
    assert text_of(page).count("<h1") == 1


def test_lookup_by_postal_code_opens_the_order_page(stack, installed, client):
    view = delivered_order(stack, installed, [{}], zip_code="11201")
    res = look_up(client, installed, view.order.name, "11201-4410")
    assert res.status_code == 303
    assert client.get(res.headers["Location"]).status_code == 200


def test_wrong_pairs_get_the_same_generic_message(stack, installed, client):
    view = delivered_order(stack, installed, [{}])
    unknown = look_up(client, installed, "#999999", "ada@example.com")
    wrong_email = look_up(client, installed, view.order.name, "eve@example.com")
    wrong_zip = look_up(client, installed, view.order.name, "90210")
    for res in (unknown, wrong_email, wrong_zip):
        assert res.status_code == 422
        assert NOT_FOUND_TEXT in text_of(res)
        assert "Set-Cookie" not in res.headers or "order" not in res.headers["Set-Cookie"]
    assert {r.status_code for r in (unknown, wrong_email, wrong_zip)} == {422}
    # No session came out of it: the order page still sends the browser to the look-up.
    res = client.get(f"/portal/{installed}/orders/{view.order.id}")
    assert (
        res.status_code == 302 and urlsplit(res.headers["Location"]).path == f"/portal/{installed}"
    )


def test_lookups_are_rate_limited_per_client_address(stack, installed, portal_app):
    view = delivered_order(stack, installed, [{}])
    client = portal_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for n in range(10):
        assert look_up(client, installed, f"#{5000 + n}", "ada@example.com").status_code == 422
    res = look_up(client, installed, view.order.name, "ada@example.com")
    assert res.status_code == 429
    assert int(res.headers["Retry-After"]) <= 600
    assert "Try again in" in text_of(res)
    # Another address is not held back by this one.
    other = portal_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert look_up(other, installed, view.order.name, "ada@example.com").status_code == 303


def test_lookups_are_rate_limited_per_order_number(stack, installed, portal_app):
    view = delivered_order(stack, installed, [{}])
    for n in range(5):
        client = portal_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        assert look_up(client, installed, view.order.name, "eve@example.com").status_code == 422
    client = portal_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    # Even the right pair waits once the order number has had its attempts.
    assert look_up(client, installed, view.order.name, "ada@example.com").status_code == 429


def test_unknown_or_uninstalled_shop_is_a_404_page(stack, client):
    assert client.get("/portal/nobody-here.myshopify.com").status_code == 404
    assert client.get("/portal/not-a-shop").status_code == 404
    shop = stack.new_shop()
    stack.install(shop)
    stack.sim("POST", f"/shops/{shop}/uninstall", json={})
    stack.wait_for_webhooks()
    res = client.get(f"/portal/{shop}")
    assert res.status_code == 404 and "Page not found" in text_of(res)


# -- sessions ------------------------------------------------------------------------------------


def test_pages_without_a_session_redirect_to_the_lookup(stack, installed, client):
    view = delivered_order(stack, installed, [{}])
    rma = service_return(stack, installed, view)
    lookup = f"/portal/{installed}"
    for res in (
        client.get(f"/portal/{installed}/orders/{view.order.id}"),
        client.post(f"/portal/{installed}/orders/{view.order.id}/review", data={}),
        client.post(f"/portal/{installed}/orders/{view.order.id}/submit", data={}),
        client.get(f"/portal/{installed}/returns/{rma.number}"),
    ):
        assert res.status_code == 302 and urlsplit(res.headers["Location"]).path == lookup


def test_a_session_for_one_order_never_opens_another(stack, installed, client):
    mine = delivered_order(stack, installed, [{"title": "Mine"}])
    theirs = delivered_order(stack, installed, [{"title": "Theirs"}], email="bo@example.com")
    their_rma = service_return(stack, installed, theirs)
    open_order(client, installed, mine)
    res = client.get(f"/portal/{installed}/orders/{theirs.order.id}")
    assert res.status_code == 302 and "Theirs" not in text_of(res)
    res = client.get(f"/portal/{installed}/returns/{their_rma.number}")
    assert res.status_code == 404 and "Page not found" in text_of(res)
    assert f"Return {their_rma.number}" not in text_of(res) and theirs.order.name not in text_of(
        res
    )
    # Nor does it open the same order id under another shop.
    other = stack.new_shop()
    stack.install(other)
    res = client.get(f"/portal/{other}/orders/{mine.order.id}")
    assert res.status_code == 302 and urlsplit(res.headers["Location"]).path == f"/portal/{other}"


def test_a_tampered_session_cookie_is_no_session(stack, installed, client):
    view = delivered_order(stack, installed, [{}])
    open_order(client, installed, view)
    cookie = client.get_cookie(portal.SESSION_COOKIE, path="/portal")
    client.set_cookie(portal.SESSION_COOKIE, cookie.value[:-2] + "xx", path="/portal")
    assert client.get(f"/portal/{installed}/orders/{view.order.id}").status_code == 302


# -- eligibility --------------------------------------------------------------------------------


def test_items_show_window_date_reasons_and_what_open_returns_hold(stack, installed, client):
    view = delivered_order(stack, installed, [{"title": "Linen dress", "quantity": 4}])
    service_return(stack, installed, view, qty=1)
    line = view.order.line_items[0]
    shop = stack.container.store.get_shop(installed)
    expected = decide(
        shop,
        view,
        [RequestedLine(line.id, 1, "changed_mind", "refund", "unworn_tags_attached")],
        datetime.now(UTC),
    ).items[0]
    page = text_of(open_order(client, installed, view))
    when = format_date("en", expected.window_ends)
    assert f"Return by {when}" in page
    assert f"Returns for change of mind end 30 days after delivery: {when}" in page
    assert "1 already returned or in a return; 3 left to return." in page
    options = re.search(rf'<select id="qty-{line.id}".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="(\d+)"', options) == ["1", "2", "3"]


def test_a_final_sale_item_is_not_returnable_for_a_change_of_mind(stack, installed, client):
    view = delivered_order(
        stack,
        installed,
        [{"title": "Plain tee"}, {"title": "Velvet bow", "tags": ["final-sale"]}],
    )
    bow = next(li for li in view.order.line_items if li.title == "Velvet bow")
    page = open_order(client, installed, view)
    html = text_of(page)
    section = re.search(
        rf'<section class="card item" aria-labelledby="title-{bow.id}">.*?</section>', html, re.S
    )[0]
    assert "Only if damaged or faulty" in section
    assert "This item is final sale (tagged 'final-sale')" in section
    reasons = re.findall(
        r'<option value="([a-z_]+)"',
        re.search(rf'<select id="reason-{bow.id}".*?</select>', section, re.S)[0],
    )
    assert "changed_mind" not in reasons and "defective" in reasons
    # Asking anyway is refused next to the field.
    res = review(client, installed, view, page, line_fields(bow.id, reason="changed_mind"))
    assert res.status_code == 422
    assert f'id="err-reason-{bow.id}"' in text_of(res)
    assert f'href="#reason-{bow.id}"' in text_of(res)


def test_a_final_sale_item_past_the_claim_window_is_not_returnable(stack, installed, client):
    view = delivered_order(
        stack, installed, [{"title": "Velvet bow", "tags": ["final-sale"]}], days_ago=10
    )
    line = view.order.line_items[0]
    html = text_of(open_order(client, installed, view))
    assert "Not returnable" in html
    assert "This item is final sale (tagged 'final-sale')" in html
    assert f'name="item-{line.id}"' not in html


# -- request and submit ---------------------------------------------------------------------------


def test_a_full_request_creates_an_rma_and_lands_on_its_status_page(stack, installed, client):
    view = delivered_order(stack, installed, [{"title": "Smocked romper", "price": "48.00"}])
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    summary = review(client, installed, view, page, line_fields(line.id))
    assert summary.status_code == 200
    html = text_of(summary)
    # petite-plume: subtotal 48.00 is not over 75.00, so the 6.95 label fee comes off the refund.
    assert "Return label fee" in html and MINUS + "$6.95" in html
    assert re.search(r"Estimated refund</span>\s*<strong>\$41.05</strong>", html)
    assert "You pay for return shipping." in html
    assert "approved as soon as you submit" in html
    res = client.post(
        f"/portal/{installed}/orders/{view.order.id}/submit",
        data={"csrf_token": csrf_of(html), "selection": selection_of(html)},
    )
    assert res.status_code == 303
    number = urlsplit(res.headers["Location"]).path.rsplit("/", 1)[1]
    rma = stack.container.store.get_rma(installed, number)
    assert rma is not None and rma.order_id == view.order.id and rma.state == "approved"
    assert [(ln.line_item_id, ln.quantity, ln.reason) for ln in rma.lines] == [
        (line.id, 1, "size_fit")
    ]
    assert [r["status"] for r in stack.sim("GET", f"/shops/{installed}/returns")] == ["OPEN"]
    status = client.get(res.headers["Location"])
    body = text_of(status)
    assert status.status_code == 200 and f"Return {number}" in body
    assert "Return requested" in body and "Approved" in body
    assert "prepaid return label" in body  # the label fee buys a prepaid label
    # Submitting the same summary again does not make a second return.
    again = client.post(
        f"/portal/{installed}/orders/{view.order.id}/submit",
        data={"csrf_token": csrf_of(html), "selection": selection_of(html)},
    )
    assert again.status_code == 303 and again.headers["Location"] == res.headers["Location"]
    assert len(stack.container.store.rmas_for_order(installed, view.order.id)) == 1


def test_changing_the_request_keeps_the_choices(stack, installed, client):
    view = delivered_order(stack, installed, [{}])
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    summary = text_of(
        review(client, installed, view, page, line_fields(line.id, reason="color_style"))
    )
    res = client.post(
        f"/portal/{installed}/orders/{view.order.id}/edit",
        data={"csrf_token": csrf_of(summary), "selection": selection_of(summary)},
    )
    html = text_of(res)
    assert res.status_code == 200
    assert f'name="item-{line.id}" value="1" checked' in html
    assert '<option value="color_style" selected>' in html


def test_submit_without_csrf_is_refused_and_nothing_is_stored(stack, installed, client):
    view = delivered_order(stack, installed, [{}])
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    html = text_of(review(client, installed, view, page, line_fields(line.id)))
    url = f"/portal/{installed}/orders/{view.order.id}/submit"
    for token in (None, "0" * 64):
        data = {"selection": selection_of(html)}
        if token:
            data["csrf_token"] = token
        res = client.post(url, data=data)
        assert res.status_code == 400 and "This form has expired" in text_of(res)
    assert stack.container.store.rmas_for_order(installed, view.order.id) == []
    assert stack.sim("GET", f"/shops/{installed}/returns") == []
    # The look-up form is protected the same way.
    res = client.post(
        f"/portal/{installed}", data={"order_number": view.order.name, "contact": "ada@example.com"}
    )
    assert res.status_code == 400


def test_customer_text_is_shown_as_text(stack, installed, client):
    products = []
    view = delivered_order(stack, installed, [{"other_sizes": [("4T", 5)]}], products=products)
    four_t = products[0]["variants"][1]
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    res = review(
        client,
        installed,
        view,
        page,
        line_fields(
            line.id, note=evil, resolution="exchange", wanted=evil, exchange_variant=four_t["id"]
        ),
    )
    raw = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "<script>alert" not in raw and "<img src=x" not in raw
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in raw


def test_a_photo_that_is_not_an_image_is_refused_with_the_field_named(stack, installed, client):
    view = delivered_order(stack, installed, [{"title": "Torn dress"}])
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    assert "at least 2 photo(s)" in text_of(page)
    fields = line_fields(line.id, reason="defective")
    for name, data in (("bow.gif", GIF), ("label.jpg", b"just some text, renamed")):
        res = review(
            client,
            installed,
            view,
            page,
            fields,
            files={f"photos-{line.id}": (BytesIO(data), name)},
        )
        html = text_of(res)
        assert res.status_code == 422
        assert f"“{name}” is not a JPEG, PNG or HEIC photo." in html
        assert f'id="err-photos-{line.id}"' in html and f'href="#photos-{line.id}"' in html
        assert f'aria-describedby="err-photos-{line.id} hint-photos-{line.id}"' in html
    files = stack.container.files
    before = set(getattr(files, "files", {}))
    # Too few photos: the summary says how many are missing and offers no submit button.
    res = review(
        client,
        installed,
        view,
        page,
        fields,
        files={f"photos-{line.id}": [(BytesIO(JPEG), "a.jpg")]},
    )
    html = text_of(res)
    assert "need at least 2 photos; we have 1, please add 1 more" in html
    assert "Submit return request" not in html
    res = review(
        client,
        installed,
        view,
        page,
        fields,
        files={f"photos-{line.id}": [(BytesIO(JPEG), "a.jpg"), (BytesIO(PNG), "b.png")]},
    )
    html = text_of(res)
    assert "Submit return request" in html and "Return shipping is free for you" in html
    done = client.post(
        f"/portal/{installed}/orders/{view.order.id}/submit",
        data={"csrf_token": csrf_of(html), "selection": selection_of(html)},
    )
    assert done.status_code == 303
    rma = stack.container.store.rmas_for_order(installed, view.order.id)[0]
    keys = rma.lines[0].photos
    assert len(keys) == 2
    for key, data in zip(keys, (JPEG, PNG), strict=True):
        assert re.fullmatch(rf"photos/{installed}/{view.order.id}/[0-9a-f]{{32}}\.(jpg|png)", key)
        assert files.get(key) == data
    assert len(set(getattr(files, "files", {})) - before) >= 2 or not hasattr(files, "files")


# -- language -------------------------------------------------------------------------------------


def test_simplified_chinese_is_chosen_from_accept_language(stack, installed, client):
    view = delivered_order(stack, installed, [{"title": "Linen dress"}])
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    page = client.get(f"/portal/{installed}", headers=zh)
    html = text_of(page)
    assert '<html lang="zh-CN">' in html and "申请退换货" in html and "查询订单" in html
    res = client.post(
        f"/portal/{installed}",
        data={"csrf_token": csrf_of(html), "order_number": "#424242", "contact": "x@example.com"},
        headers=zh,
    )
    assert PORTAL["zh-CN"]["lookup.not_found"] in text_of(res)
    res = look_up(client, installed, view.order.name, "ada@example.com", headers=zh)
    html = text_of(client.get(res.headers["Location"], headers=zh))
    assert "退货截止日期" in html and "年" in html
    assert "因个人原因" in html and "签收后30天内" in html
    # The switch: ?lang=en answers in English and is remembered for later pages.
    html = text_of(client.get(f"/portal/{installed}/orders/{view.order.id}?lang=en", headers=zh))
    assert '<html lang="en">' in html and "Return by" in html
    html = text_of(client.get(f"/portal/{installed}/orders/{view.order.id}", headers=zh))
    assert '<html lang="en">' in html


@pytest.mark.parametrize(
    ("header", "lang"),
    [("zh", "zh-CN"), ("zh-Hans", "zh-CN"), ("zh-TW", "en"), ("fr-FR", "en"), ("", "en")],
)
def test_accept_language_maps_to_a_portal_locale(stack, installed, client, header, lang):
    html = client.get(f"/portal/{installed}", headers={"Accept-Language": header}).get_data(
        as_text=True
    )
    assert f'<html lang="{lang}">' in html


def test_every_string_exists_in_both_locales():
    assert set(PORTAL["en"]) == set(PORTAL["zh-CN"])


# -- status page ----------------------------------------------------------------------------------


def test_status_link_works_without_a_session_and_a_tampered_one_is_404(
    stack, installed, portal_app
):
    view = delivered_order(stack, installed, [{}])
    rma = service_return(stack, installed, view)
    other = service_return(
        stack, installed, delivered_order(stack, installed, [{}], email="bo@example.com")
    )
    link = portal.status_link(installed, rma.number, settings=stack.container.settings)
    parts = urlsplit(link)
    assert link.startswith(stack.container.settings.app_url)
    client = portal_app.test_client()
    res = client.get(f"{parts.path}?{parts.query}")
    assert res.status_code == 200 and f"Return {rma.number}" in text_of(res)
    token = parts.query.removeprefix("t=")
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.get(f"{parts.path}?t={tampered}").status_code == 404
    # A good token names one return only.
    assert client.get(f"/portal/{installed}/returns/{other.number}?t={token}").status_code == 404
    assert client.get(f"/portal/{installed}/returns/NOSUCH22?t={token}").status_code == 404


def test_status_page_of_a_declined_return_gives_the_reason(stack, installed, client):
    view = delivered_order(stack, installed, [{"quantity": 4}])
    rma = service_return(stack, installed, view, qty=4)  # 192.00 > 150.00: waits for review
    shop = stack.container.store.get_shop(installed)
    page = text_of(client.get(portal_link(stack, installed, rma.number)))
    assert "Waiting for review" in page and "We'll review your request" in page
    returns.decline_return(
        stack.container.returns_context(),
        shop,
        rma.number,
        actor="staff:1",
        reason="Worn <b>items</b>",
    )
    page = client.get(portal_link(stack, installed, rma.number)).get_data(as_text=True)
    assert "Declined" in page and "Reason: Worn &lt;b&gt;items&lt;/b&gt;" in page


def portal_link(stack, shop, number):
    parts = urlsplit(portal.status_link(shop, number, settings=stack.container.settings))
    return f"{parts.path}?{parts.query}"


def test_status_page_shows_the_label_and_its_qr_code(stack, installed, client):
    view = delivered_order(stack, installed, [{}])
    rma = service_return(stack, installed, view)
    stack.container.store.update_rma(
        installed,
        replace(
            rma,
            label={
                "url": "https://labels.example/l.pdf",
                "qr_code_url": "https://labels.example/qr.png",
                "tracking_number": "9400100000000000000000",
                "carrier": "USPS",
            },
        ),
        rma,
    )
    page = client.get(portal_link(stack, installed, rma.number)).get_data(as_text=True)
    assert 'href="https://labels.example/l.pdf"' in page
    assert '<img class="qr" src="https://labels.example/qr.png" alt="QR code' in page
    assert "USPS tracking number: 9400100000000000000000" in page
    assert "Print the prepaid label" in page


def test_outside_local_mode_photos_go_straight_to_the_file_store(stack, installed):
    """With presigned uploads (S3 in AWS), the page renders one upload form per photo and the
    review accepts what arrived under the pre-assigned keys, typed by its bytes."""
    from app.adapters.files import InMemoryFileStore

    container = copy.copy(stack.container)
    container.settings = replace(stack.container.settings, env="prod")
    container.files = InMemoryFileStore()
    app = create_app(container=container)
    if "portal" not in app.blueprints:
        app.register_blueprint(portal.bp)
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # the session cookie is Secure now
    view = delivered_order(stack, installed, [{"title": "Torn dress"}])
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    html = text_of(page)
    assert 'enctype="multipart/form-data" target="upload-frame"' in html
    keys = re.findall(rf'name="upload-{line.id}" value="([^"]+)"', html)
    assert len(keys) == 3  # two photos required, one spare
    assert all(k.startswith(f"photos/{installed}/{view.order.id}/") for k in keys)
    assert f'form="up-{line.id}-1" name="key" value="{keys[0]}"' in html
    fields = line_fields(line.id, reason="defective")
    # A GIF uploaded to the second slot is refused, named by its slot.
    container.files.put(keys[0], JPEG, "image/jpeg")
    container.files.put(keys[1], GIF, "image/jpeg")
    data = {**fields, f"upload-{line.id}": keys}
    res = review(client, installed, view, page, data)
    assert res.status_code == 422
    assert "“Photo 2” is not a JPEG, PNG or HEIC photo." in text_of(res)
    assert keys[1] not in container.files.files  # deleted, never filed as a photo
    # Two real photos (the third slot left empty) make the claim complete.
    page = open_order(client, installed, view)
    keys = re.findall(rf'name="upload-{line.id}" value="([^"]+)"', text_of(page))
    container.files.put(keys[0], JPEG, "image/jpeg")
    container.files.put(keys[1], PNG, "image/png")
    res = review(client, installed, view, page, {**fields, f"upload-{line.id}": keys})
    html = text_of(res)
    assert res.status_code == 200 and "Submit return request" in html
    # Filed under their type: the two of this review, and the JPEG of the refused one.
    filed = [k for k in container.files.files if re.search(r"/[0-9a-f]{32}\.(jpg|png)$", k)]
    assert len(filed) == 3 and all(
        k.startswith(f"photos/{installed}/{view.order.id}/") for k in filed
    )


def test_status_page_says_where_to_send_a_return_the_customer_ships(stack, installed, client):
    store = stack.container.store
    store.put_shop(
        replace(
            store.get_shop(installed),
            policy_preset="lavish-ivy",
            return_address={
                "name": "Lavish Ivy Returns",
                "line1": "9 Elm Rd",
                "city": "Austin",
                "province": "TX",
                "zip": "73301",
                "country_code": "US",
            },
        )
    )
    view = delivered_order(stack, installed, [{"price": "120.00"}])
    line = view.order.line_items[0]
    rma = returns.request_return(
        stack.container.returns_context(),
        store.get_shop(installed),
        view,
        [RequestedLine(line.id, 1, "changed_mind", "refund", "unopened")],
        customer_email="ada@example.com",
    )
    assert (rma.state, rma.prepaid_label) == ("approved", False)
    page = client.get(portal_link(stack, installed, rma.number)).get_data(as_text=True)
    assert f"write your return number {rma.number} on the parcel" in page
    assert "Lavish Ivy Returns<br>9 Elm Rd<br>Austin TX 73301<br>US" in page


def test_a_refused_submit_goes_back_to_the_form_with_the_message(stack, installed, client):
    view = delivered_order(stack, installed, [{"quantity": 2}])
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    html = text_of(review(client, installed, view, page, line_fields(line.id, qty="2")))
    service_return(stack, installed, view, qty=1)  # meanwhile, from another tab
    res = client.post(
        f"/portal/{installed}/orders/{view.order.id}/submit",
        data={"csrf_token": csrf_of(html), "selection": selection_of(html)},
    )
    body = text_of(res)
    assert res.status_code == 422
    assert PORTAL["en"]["err.quantity_taken"] in body and 'href="#items"' in body
    assert f'name="item-{line.id}" value="1" checked' in body  # the choices are still there
    assert len(stack.container.store.rmas_for_order(installed, view.order.id)) == 1


# -- exchanges: the size or colour wanted instead ----------------------------------------------


def romper_order(stack, shop):
    """A 3T romper bought and delivered; the 4T is in stock, the 5T is not."""
    products = []
    view = delivered_order(
        stack, shop, [{"other_sizes": [("4T", 5), ("5T", 0)]}], products=products
    )
    three_t, four_t, five_t = products[0]["variants"]
    return view, three_t, four_t, five_t


def test_order_page_lists_the_other_sizes_of_the_product(stack, installed, client):
    view, three_t, four_t, five_t = romper_order(stack, installed)
    line = view.order.line_items[0]
    html = text_of(open_order(client, installed, view))
    select = re.search(
        rf'<select id="exchange_variant-{line.id}" name="exchange_variant-{line.id}"[^>]*>(.*?)</select>',
        html,
        re.S,
    )
    assert select is not None
    options = re.findall(r'<option value="(\d*)"([^>]*)>([^<]*)</option>', select[1])
    assert [(value, attrs.strip(), label) for value, attrs, label in options] == [
        ("", "", "Choose a size or colour"),
        (str(four_t["id"]), "", "4T"),
        (str(five_t["id"]), "disabled", "5T (out of stock)"),
    ]
    assert str(three_t["id"]) not in select[1]  # not the size bought
    assert f'for="exchange_variant-{line.id}"' in html


def _size_requests(stack, shop):
    requests_ = stack.sim("GET", "/requests", params={"shop": shop})
    return [r for r in requests_ if r["operation"] == "ProductVariants"]


def test_the_sizes_are_asked_once_per_page_and_never_for_another_orders_page(
    stack, installed, client
):
    # GIVEN a customer who looked up one order (its page asks Shopify for other sizes once)
    view, *_ = romper_order(stack, installed)
    before = len(_size_requests(stack, installed))
    assert "4T" in text_of(open_order(client, installed, view))
    assert len(_size_requests(stack, installed)) == before + 1
    # WHEN the same browser asks for the page of an order it did not look up
    other, *_ = romper_order(stack, installed)
    asked = len(_size_requests(stack, installed))
    res = client.get(f"/portal/{installed}/orders/{other.order.id}")
    # THEN it goes back to the look-up, and nothing about that order was asked of Shopify
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/portal/{installed}")
    assert len(_size_requests(stack, installed)) == asked


def test_exchange_with_a_chosen_size_reaches_the_rma_and_shopify(stack, installed, client):
    view, _, four_t, _ = romper_order(stack, installed)
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    fields = line_fields(line.id, resolution="exchange", exchange_variant=four_t["id"])
    summary = review(client, installed, view, page, fields)
    html = text_of(summary)
    assert summary.status_code == 200, html
    assert re.search(r"<dt>Exchange for</dt><dd>4T</dd>", html)
    res = client.post(
        f"/portal/{installed}/orders/{view.order.id}/submit",
        data={"csrf_token": csrf_of(html), "selection": selection_of(html)},
    )
    assert res.status_code == 303, text_of(res)
    number = urlsplit(res.headers["Location"]).path.rsplit("/", 1)[1]
    rma = stack.container.store.get_rma(installed, number)
    assert rma is not None
    assert [(ln.line_item_id, ln.resolution, ln.exchange_variant_id) for ln in rma.lines] == [
        (line.id, "exchange", int(four_t["id"]))
    ]
    [ret] = stack.sim("GET", f"/shops/{installed}/returns")
    assert ret["gid"] == rma.shopify_return_id
    assert [(e["variant_gid"], e["quantity"]) for e in ret["exchange_line_items"]] == [
        (four_t["gid"], 1)
    ]


def test_changing_an_exchange_keeps_the_chosen_size(stack, installed, client):
    view, _, four_t, _ = romper_order(stack, installed)
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    fields = line_fields(line.id, resolution="exchange", exchange_variant=four_t["id"])
    html = text_of(review(client, installed, view, page, fields))
    back = client.post(
        f"/portal/{installed}/orders/{view.order.id}/edit",
        data={"csrf_token": csrf_of(html), "selection": selection_of(html)},
    )
    assert back.status_code == 200
    assert f'<option value="{four_t["id"]}" selected>4T</option>' in text_of(back)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_exchange_without_a_size_shows_the_field_error_and_stores_nothing(
    stack, installed, client, lang
):
    view, _, _, _ = romper_order(stack, installed)
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    page = client.get(f"/portal/{installed}/orders/{view.order.id}?lang={lang}")
    res = review(client, installed, view, page, line_fields(line.id, resolution="exchange"))
    html = text_of(res)
    assert res.status_code == 422
    message = PORTAL[lang]["err.exchange_variant"]
    assert f'<p class="field-error" id="err-exchange_variant-{line.id}">{message}</p>' in html
    assert f'href="#exchange_variant-{line.id}"' in html
    assert (
        f'aria-describedby="err-exchange_variant-{line.id} hint-exchange_variant-{line.id}"' in html
    )
    assert stack.container.store.rmas_for_order(installed, view.order.id) == []
    assert stack.sim("GET", f"/shops/{installed}/returns") == []


def test_a_tampered_exchange_size_is_refused(stack, installed, client):
    view, three_t, _, five_t = romper_order(stack, installed)
    other = delivered_order(stack, installed, [{"title": "Other dress"}], email="bo@example.com")
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    # The size bought, one out of stock, another product's variant, not a number.
    for value in (three_t["id"], five_t["id"], other.order.line_items[0].variant_id, "12x"):
        fields = line_fields(line.id, resolution="exchange", exchange_variant=value)
        res = review(client, installed, view, page, fields)
        html = text_of(res)
        assert res.status_code == 422
        assert PORTAL["en"]["err.exchange_variant_invalid"] in html
        assert f'id="err-exchange_variant-{line.id}"' in html
    assert stack.container.store.rmas_for_order(installed, view.order.id) == []
    assert stack.sim("GET", f"/shops/{installed}/returns") == []


def test_a_selection_without_a_size_is_refused_at_submit_next_to_the_picker(
    stack, installed, client, portal_app
):
    view, _, _, _ = romper_order(stack, installed)
    line = view.order.line_items[0]
    page = open_order(client, installed, view)
    html = text_of(review(client, installed, view, page, line_fields(line.id)))
    # A summary signed before the picker existed: an exchange with only a free-text wish.
    with portal_app.test_request_context():
        serializer = portal._serializer(portal.SELECTION_SALT)
        selection = serializer.loads(selection_of(html))
        selection["lines"][0].update(resolution="exchange", wanted="4T", exchange_variant=None)
        forged = serializer.dumps(selection)
    res = client.post(
        f"/portal/{installed}/orders/{view.order.id}/submit",
        data={"csrf_token": csrf_of(html), "selection": forged},
    )
    body = text_of(res)
    assert res.status_code == 422
    assert f'id="err-exchange_variant-{line.id}">{PORTAL["en"]["err.exchange_variant"]}' in body
    assert stack.container.store.rmas_for_order(installed, view.order.id) == []


def test_without_shopify_the_page_shows_no_picker_and_says_so(
    stack, installed, client, monkeypatch
):
    view, _, four_t, _ = romper_order(stack, installed)
    line = view.order.line_items[0]

    def down(shop):
        raise ShopifyUnavailableError("Shopify is down")

    monkeypatch.setattr(stack.container, "admin_for", down)
    page = open_order(client, installed, view)
    html = text_of(page)
    assert PORTAL["en"]["order.exchange_unavailable"] in html
    assert "exchange_variant-" not in html
    fields = line_fields(line.id, resolution="exchange", exchange_variant=four_t["id"])
    res = review(client, installed, view, page, fields)
    assert res.status_code == 422
    assert PORTAL["en"]["err.exchange_unavailable"] in text_of(res)
    # A refund still works.
    assert review(client, installed, view, page, line_fields(line.id)).status_code == 200
