"""Hostile customers against the returns portal on the served app, over HTTP.

Brute force of order numbers, other customers' returns, forged and expired sessions,
forms posted without their CSRF token, nonsense in the request form and photos that are
not photos. Each gets the page a customer should see, in their words, and nothing is
stored: no RMA, no Shopify return, no photo on file, no session for the order.
"""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import itsdangerous
import pytest
import requests

from app.i18n_portal import PORTAL
from app.web import portal
from tests.conftest import LOCAL_DATA
from tests.integration.stack.test_portal import delivered_order, service_return

EN = PORTAL["en"]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32
MAX_PHOTO_BYTES = 10 * 1024 * 1024


@pytest.fixture
def installed(stack) -> str:
    shop = stack.new_shop()
    stack.install(shop)
    return shop


@pytest.fixture
def order(stack, installed):
    """GIVEN a delivered order of one dress bought by ada@example.com (ZIP 11201)."""
    return delivered_order(stack, installed, [{"title": "Linen dress"}])


def text(res: requests.Response) -> str:
    return unescape(res.text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def selection_of(html: str) -> str:
    return re.search(r'name="selection" value="([^"]+)"', html)[1]


class Customer:
    """One browser on the portal (its own cookies)."""

    def __init__(self, stack, shop: str):
        self.base = f"{stack.app_url}/portal/{shop}"
        self.http = requests.Session()

    def get(self, path: str = "", **kw) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, allow_redirects=False, **kw)

    def post(self, path: str = "", **kw) -> requests.Response:
        return self.http.post(self.base + path, timeout=30, allow_redirects=False, **kw)

    def look_up(self, number: str, contact: str) -> requests.Response:
        token = csrf_of(self.get().text)
        return self.post(data={"csrf_token": token, "order_number": number, "contact": contact})

    def open(self, view) -> str:
        res = self.look_up(view.order.name, "ada@example.com")
        assert res.status_code == 303, res.text
        page = self.get(f"/orders/{view.order.id}")
        assert page.status_code == 200
        return page.text

    def review(self, view, page: str, fields: dict, files=None) -> requests.Response:
        data = {"csrf_token": csrf_of(page), **fields}
        return self.post(
            f"/orders/{view.order.id}/review", data=data, files=files or {"_": ("", b"")}
        )

    def can_open(self, view) -> bool:
        return self.get(f"/orders/{view.order.id}").status_code == 200


def line_fields(line_id: int, **kw: str) -> dict[str, str]:
    fields = {
        f"item-{line_id}": "1",
        f"qty-{line_id}": "1",
        f"reason-{line_id}": "size_fit",
        f"condition-{line_id}": "unworn_tags_attached",
        f"resolution-{line_id}": "refund",
    }
    fields.update({f"{k}-{line_id}": v for k, v in kw.items()})
    return fields


def photos_on_file(shop: str) -> list[Path]:
    return [p for p in Path(LOCAL_DATA).rglob("*") if p.is_file() and shop in str(p)]


def assert_no_return(stack, shop: str, view) -> None:
    assert stack.container.store.rmas_for_order(shop, view.order.id) == []
    assert stack.sim("GET", f"/shops/{shop}/returns") == []
    assert photos_on_file(shop) == []


# -- brute force of order numbers --------------------------------------------------------------


def test_guessing_order_numbers_is_held_at_ten_tries_per_address(stack, installed, order):
    # GIVEN someone trying order numbers with a known email from one address
    guesser = Customer(stack, installed)
    for n in range(10):
        res = guesser.look_up(f"#{7000 + n}", "ada@example.com")
        assert res.status_code == 422 and EN["lookup.not_found"] in text(res)
    # WHEN they go on, even with the right pair, THEN every try is a 429 with Retry-After
    for number in (order.order.name, "#7011", "#7012"):
        res = guesser.look_up(number, "ada@example.com")
        assert res.status_code == 429, res.text
        assert 0 < int(res.headers["Retry-After"]) <= 600
        assert EN["error.rate.title"] in text(res)
    # AND no session for the order came out of it
    assert not guesser.can_open(order)


def test_guessing_the_contact_of_one_order_is_held_at_five_tries(stack, installed, order):
    guesser = Customer(stack, installed)
    for contact in ("eve@example.com", "bo@example.com", "90210", "10001", "ada@example.org"):
        assert guesser.look_up(order.order.name, contact).status_code == 422
    res = guesser.look_up(order.order.name.lstrip("#"), "ada@example.com")
    assert res.status_code == 429
    assert not guesser.can_open(order)


# -- other customers' returns ------------------------------------------------------------------


def test_another_customers_return_is_a_404_whatever_the_way_in(stack, installed, order):
    # GIVEN Bo's return on Bo's order, and Ada signed in to her own order
    theirs = delivered_order(stack, installed, [{"title": "Bo's coat"}], email="bo@example.com")
    their_rma = service_return(stack, installed, theirs)
    mine = service_return(stack, installed, order)
    ada = Customer(stack, installed)
    ada.open(order)
    my_token = urlsplit(
        portal.status_link(installed, mine.number, settings=stack.container.settings)
    ).query
    # WHEN Ada asks for Bo's return by number, in any case, or with her own status link
    for path in (
        f"/returns/{their_rma.number}",
        f"/returns/{their_rma.number.lower()}",
        f"/returns/{their_rma.number}?{my_token}",
        f"/returns/{their_rma.number}/qr.svg",
        f"/returns/{'A' * 3000}",
    ):
        res = ada.get(path)
        # THEN it is the 404 page, showing nothing of Bo's
        assert res.status_code == 404, path
        assert EN["error.not_found.title"] in text(res)
        # (the language links repeat the address asked for, nothing more)
        assert "Bo's coat" not in text(res) and theirs.order.name not in text(res)
        assert f"Return {their_rma.number}" not in text(res)
    # AND her own return still opens
    assert ada.get(f"/returns/{mine.number}").status_code == 200


def _cookie(secret: str, payload: dict, *, age_s: int = 0) -> str:
    serializer = itsdangerous.URLSafeTimedSerializer(secret, salt="hemline-portal")
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - age_s):
        return serializer.dumps(payload)


@pytest.mark.parametrize(
    "kind", ["forged", "expired", "another-shop", "another-order", "garbage", "no-sid"]
)
def test_a_forged_or_foreign_session_opens_nothing(stack, installed, order, kind):
    secret = stack.container.settings.secret_key
    mine = {"sid": "s1", "shop": installed, "order": str(order.order.id)}
    value = {
        "forged": lambda: _cookie("not-the-apps-secret-0123456789abcdef", mine),
        "expired": lambda: _cookie(secret, mine, age_s=2 * 3600 + 60),
        "another-shop": lambda: _cookie(secret, {**mine, "shop": "other.myshopify.com"}),
        "another-order": lambda: _cookie(secret, {**mine, "order": "1"}),
        "garbage": lambda: "x" * 4000,
        "no-sid": lambda: _cookie(secret, {"shop": installed, "order": str(order.order.id)}),
    }[kind]()
    intruder = Customer(stack, installed)
    intruder.http.cookies.set(portal.SESSION_COOKIE, value, path="/portal")
    res = intruder.get(f"/orders/{order.order.id}")
    assert res.status_code == 302
    assert urlsplit(res.headers["Location"]).path == f"/portal/{installed}"
    assert "Linen dress" not in res.text


def test_the_right_session_cookie_does_open_the_order(stack, installed, order):
    """The check above is not vacuous: the same cookie, made with the app's secret, works."""
    mine = {"sid": "s1", "shop": installed, "order": str(order.order.id)}
    customer = Customer(stack, installed)
    cookie = _cookie(stack.container.settings.secret_key, mine)
    customer.http.cookies.set(portal.SESSION_COOKIE, cookie, path="/portal")
    assert customer.can_open(order)


# -- CSRF on every portal form -----------------------------------------------------------------

FORMS = ["look-up", "review", "edit", "submit", "sign-out"]
BAD_TOKENS = ["missing", "wrong", "another-sessions"]


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize("form", FORMS)
def test_a_form_without_its_csrf_token_is_400_and_changes_nothing(
    stack, installed, order, form, token
):
    # GIVEN Ada with her order open and a reviewed request (a valid summary in hand)
    ada = Customer(stack, installed)
    page = ada.open(order)
    line = order.order.line_items[0]
    summary = ada.review(order, page, line_fields(line.id))
    assert summary.status_code == 200, summary.text
    selection = selection_of(summary.text)
    other = Customer(stack, installed)
    tokens = {
        "missing": None,
        "wrong": "0" * 64,
        "another-sessions": csrf_of(other.get().text),
    }
    fields = {
        "look-up": ("", {"order_number": order.order.name, "contact": "ada@example.com"}),
        "review": (f"/orders/{order.order.id}/review", line_fields(line.id)),
        "edit": (f"/orders/{order.order.id}/edit", {"selection": selection}),
        "submit": (f"/orders/{order.order.id}/submit", {"selection": selection}),
        "sign-out": ("/sign-out", {}),
    }
    path, data = fields[form]
    if tokens[token]:
        data = {**data, "csrf_token": tokens[token]}
    # WHEN the form is posted from elsewhere (no token, a made-up one, someone else's)
    res = ada.post(path, data=data)
    # THEN it is refused, in the customer's words
    assert res.status_code == 400, res.text
    assert EN["error.csrf.title"] in text(res)
    # AND nothing was created and Ada's session is as it was
    assert_no_return(stack, installed, order)
    assert ada.can_open(order)


def test_a_tampered_summary_is_refused_at_submit(stack, installed, order):
    ada = Customer(stack, installed)
    page = ada.open(order)
    summary = ada.review(order, page, line_fields(order.order.line_items[0].id))
    selection = selection_of(summary.text)
    tampered = selection[:-4] + ("AAAA" if not selection.endswith("AAAA") else "BBBB")
    res = ada.post(
        f"/orders/{order.order.id}/submit",
        data={"csrf_token": csrf_of(summary.text), "selection": tampered},
    )
    assert res.status_code == 400 and EN["error.csrf.title"] in text(res)
    assert_no_return(stack, installed, order)


# -- nonsense in the request form --------------------------------------------------------------

HOSTILE_FIELDS = {
    "quantity-negative": ("qty", "-1", "err.quantity"),
    "quantity-zero": ("qty", "0", "err.quantity"),
    "quantity-fractional": ("qty", "0.5", "err.quantity"),
    "quantity-more-than-bought": ("qty", "2", "err.quantity"),
    "quantity-huge": ("qty", "9" * 5000, "err.quantity"),
    "quantity-superscript-two": ("qty", "\u00b2", "err.quantity"),
    "quantity-empty": ("qty", "", "err.quantity"),
    "reason-unknown": ("reason", "i_just_feel_like_it", "err.reason"),
    "reason-empty": ("reason", "", "err.reason"),
    "reason-markup": ("reason", "<script>alert(1)</script>", "err.reason"),
    "condition-unknown": ("condition", "like_new_honest", "err.condition"),
    "resolution-unknown": ("resolution", "cash_in_an_envelope", "err.resolution"),
    "note-too-long": ("note", "n" * 1001, "err.too_long"),
}


@pytest.mark.parametrize("field,value,message", HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
def test_nonsense_in_the_request_form_is_422_in_the_customers_words(
    stack, installed, order, field, value, message
):
    ada = Customer(stack, installed)
    page = ada.open(order)
    line = order.order.line_items[0]
    res = ada.review(order, page, line_fields(line.id, **{field: value}))
    assert res.status_code == 422, res.text[:300]
    expected = EN[message].split("{")[0].strip()
    assert expected in text(res)
    # the message sits next to the field it concerns
    assert f'id="err-{field}-{line.id}"' in res.text
    assert_no_return(stack, installed, order)


# -- photos that are not photos ----------------------------------------------------------------

PHOTOS = {
    "gif": [("bow.gif", GIF)],
    "text-renamed-jpg": [("label.jpg", b"just some text, renamed")],
    "html-renamed-png": [("x.png", b"<html><script>alert(1)</script></html>")],
    "empty": [("empty.jpg", b"")],
    "ten-mb-plus-one": [("huge.jpg", JPEG + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(JPEG)))],
    "six-photos": [(f"p{n}.jpg", JPEG) for n in range(6)],
}
PHOTO_MESSAGES = {
    "gif": "“bow.gif” is not a JPEG, PNG or HEIC photo.",
    "text-renamed-jpg": "“label.jpg” is not a JPEG, PNG or HEIC photo.",
    "html-renamed-png": "“x.png” is not a JPEG, PNG or HEIC photo.",
    "empty": "“empty.jpg” is empty.",
    "ten-mb-plus-one": "“huge.jpg” is larger than 10 MB.",
    "six-photos": "Add at most 5 photos for each item.",
}


@pytest.mark.parametrize("kind", PHOTOS)
def test_a_photo_of_the_wrong_type_or_size_is_refused_and_nothing_is_filed(
    stack, installed, order, kind
):
    # GIVEN a damaged-item claim, which asks for photos
    ada = Customer(stack, installed)
    page = ada.open(order)
    line = order.order.line_items[0]
    files = [(f"photos-{line.id}", (name, data)) for name, data in PHOTOS[kind]]
    # WHEN the photos are not photos, or too big, or too many
    res = ada.review(order, page, line_fields(line.id, reason="defective"), files=files)
    # THEN the form comes back naming the file, and nothing is on file
    assert res.status_code == 422, res.text[:300]
    assert PHOTO_MESSAGES[kind] in text(res)
    assert f'id="err-photos-{line.id}"' in res.text
    assert_no_return(stack, installed, order)


def test_an_unknown_shop_is_a_404_page_not_an_error(stack):
    for shop in ("nobody.myshopify.com", "not-a-shop", "a" * 3000, "%00"):
        res = requests.get(f"{stack.app_url}/portal/{shop}", timeout=30)
        assert res.status_code == 404, shop
        assert EN["error.not_found.title"] in text(res)
