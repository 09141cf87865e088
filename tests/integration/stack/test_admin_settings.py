"""The Settings page of the embedded admin over HTTP against the whole stack: saving, field
errors, roles, the label API key stored encrypted and used for labels, refused tokens."""

from __future__ import annotations

import html
import time
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import requests

from app.adapters.dynamo import keys
from app.adapters.labels.builtin import BuiltinLabelProvider
from app.adapters.labels.easypost import EasyPostLabelProvider
from app.adapters.labels.shippo import ShippoLabelProvider
from app.services.settings import decrypt_label_key
from tests.integration.stack.test_api import OWNER, STAFF, call, token

MANAGER = "300"
EASYPOST_KEY = "EZTK_petiteplume_secret_5f1e"
SHIPPO_KEY = "shippo_test_petiteplume_secret_77aa"


@pytest.fixture
def shop(stack) -> str:
    """GIVEN an installed shop whose owner (user 100) opened Hemline first."""
    domain = stack.new_shop()
    stack.install(domain)
    res = page(stack, domain, OWNER)
    assert res.status_code == 200 and "Signed in as owner" in res.text
    return domain


def page(stack, shop: str, user: str = OWNER, **params: str) -> requests.Response:
    """The Settings page as Shopify loads it: the session token in the query."""
    params = {"shop": shop, "id_token": token(shop, user), **params}
    return requests.get(f"{stack.app_url}/admin/settings", params=params, timeout=30)


def text(res: requests.Response) -> str:
    return html.unescape(res.text)


class _Form(HTMLParser):
    """What a browser would send from the page's settings form, as the page left it."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.disabled: set[str] = set()
        self._in_form = self._in_disabled = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self._in_form, self.action = True, a["action"]
        elif not self._in_form:
            return
        elif tag == "fieldset" and "disabled" in a:
            self._in_disabled = True
        elif tag == "input" and "name" in a:
            if self._in_disabled:
                self.disabled.add(a["name"])
            elif a.get("type") != "checkbox" or "checked" in a:
                default = "on" if a.get("type") == "checkbox" else ""
                self.fields[a["name"]] = a.get("value", default)
        elif tag == "select":
            self._select = a["name"]
            if self._in_disabled:
                self.disabled.add(a["name"])
        elif tag == "option" and self._select and "selected" in a and not self._in_disabled:
            self.fields[self._select] = a["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "fieldset":
            self._in_disabled = False
        elif tag == "select":
            self._select = None


def settings_form(res: requests.Response) -> _Form:
    parsed = _Form()
    parsed.feed(res.text)
    assert parsed.action == "/admin/settings", "no settings form on the page"
    return parsed


def submit(stack, fields: dict[str, str], **changes: str) -> requests.Response:
    return requests.post(
        f"{stack.app_url}/admin/settings",
        data={**fields, **changes},
        allow_redirects=False,
        timeout=30,
    )


ADDRESS = {
    "address_name": "Petite Plume Returns",
    "address_line1": "18 Orchard Street",
    "address_line2": "Unit 4",
    "address_city": "Brooklyn",
    "address_province": "NY",
    "address_zip": "11201",
    "address_country_code": "us",
    "address_phone": "+1 212 555 0100",
}


def raw_shop_item(stack, ddb_client, shop: str) -> dict:
    return ddb_client.get_item(
        TableName=stack.container.store.table_name,
        Key={"PK": {"S": keys.shop_pk(shop)}, "SK": {"S": keys.SHOP_SK}},
    )["Item"]


def test_owner_saves_address_email_and_bonus_and_sees_them_after_reload(stack, shop):
    # GIVEN the owner opens Settings: the nav marks it, the form starts from the shop
    res = page(stack, shop)
    assert res.status_code == 200
    assert res.headers["Content-Security-Policy"].startswith(f"frame-ancestors https://{shop}")
    assert 'aria-current="page">Settings</a>' in res.text and res.text.count("<h1") == 1
    form = settings_form(res)
    assert (
        form.fields["address_name"] == "Petite Plume"
        and form.fields["address_country_code"] == "US"
    )
    assert form.fields["label_provider"] == "builtin" and form.fields["id_token"]
    assert "No key is saved" in text(res)
    # WHEN they fill in the return address, a reply-to email and a bonus, and save
    saved = submit(
        stack,
        form.fields,
        **ADDRESS,
        sender_email="Hello@PetitePlume.com",
        store_credit_bonus_percent="7.5",
    )
    # THEN they are sent back to the page with a success banner, still signed in
    assert saved.status_code == 303, saved.text
    location = saved.headers["Location"]
    assert location.startswith("/admin/settings?") and "saved=1" in location
    assert f"shop={shop}" in location and "id_token=" in location
    back = requests.get(f"{stack.app_url}{location}", timeout=30)
    assert back.status_code == 200 and 'role="status">Settings saved.' in back.text
    # AND a fresh load shows what they typed (the email's domain lower-cased, the code upper)
    reloaded = settings_form(page(stack, shop)).fields
    assert {k: reloaded[k] for k in ADDRESS} == {**ADDRESS, "address_country_code": "US"}
    assert reloaded["sender_email"] == "Hello@petiteplume.com"
    assert reloaded["store_credit_bonus_percent"] == "7.5"
    assert "Settings saved." not in page(stack, shop).text
    # AND the shop Hemline works with has them, the bonus as an exact Decimal
    got = stack.container.store.get_shop(shop)
    assert got.return_address["line1"] == "18 Orchard Street"
    assert got.return_address["country_code"] == "US"
    assert got.store_credit_bonus_percent == Decimal("7.5")
    assert got.sender_email == "Hello@petiteplume.com" and got.label_provider == "builtin"


def test_a_bad_field_is_422_next_to_it_with_the_typed_values_kept(stack, shop):
    fields = settings_form(page(stack, shop)).fields
    res = submit(
        stack,
        fields,
        **{**ADDRESS, "address_zip": ""},
        sender_email="hello at petiteplume",
        store_credit_bonus_percent="55",
    )
    assert res.status_code == 422
    body = text(res)
    # Each error sits under its field, which points at it and is marked invalid
    assert '<p class="field-error" id="address_zip-error">Enter the ZIP or postal code.</p>' in body
    assert 'aria-invalid="true" aria-describedby="address_zip-error"' in res.text
    assert 'id="sender_email-error">Remove the spaces.' in body
    assert 'aria-describedby="sender_email-hint sender_email-error"' in res.text
    assert 'id="store_credit_bonus_percent-error">Enter a number from 0 to 50.' in body
    # AND a summary links to each field
    assert 'role="alert"' in res.text and '<a href="#address_zip">' in res.text
    # AND what was typed is still there
    kept = settings_form(res).fields
    assert (
        kept["address_line1"] == "18 Orchard Street"
        and kept["sender_email"] == "hello at petiteplume"
    )
    assert kept["store_credit_bonus_percent"] == "55"
    # AND nothing was saved
    got = stack.container.store.get_shop(shop)
    assert got.return_address is None and got.sender_email is None
    assert got.store_credit_bonus_percent == Decimal("0")


def test_staff_see_settings_read_only_and_their_post_changes_nothing(stack, shop):
    owner_form = settings_form(page(stack, shop)).fields
    assert submit(stack, owner_form, **ADDRESS).status_code == 303
    # GIVEN a staff member opens Settings: they can read it, not change it, and are told why
    res = page(stack, shop, STAFF)
    assert res.status_code == 200 and "Signed in as staff" in res.text
    assert "Only an owner or a manager can change settings" in text(res)
    assert "Save settings" not in res.text
    form = settings_form(res)
    assert {"address_line1", "label_provider", "store_credit_bonus_percent"} <= form.disabled
    assert 'value="18 Orchard Street"' in res.text
    # WHEN they post the form anyway
    forged = submit(
        stack,
        {**owner_form, **ADDRESS, "id_token": token(shop, STAFF)},
        address_line1="1 Elsewhere Road",
        store_credit_bonus_percent="50",
    )
    # THEN it is refused and nothing changes
    assert forged.status_code == 403
    assert "Only an owner or a manager can change settings" in text(forged)
    got = stack.container.store.get_shop(shop)
    assert got.return_address["line1"] == "18 Orchard Street"
    assert got.store_credit_bonus_percent == Decimal("0")


def test_a_manager_may_save(stack, shop):
    assert call(stack, "PUT", f"/api/staff/{MANAGER}", shop, json={"role": "manager"}).ok
    res = page(stack, shop, MANAGER)
    assert "Signed in as manager" in res.text and "Save settings" in res.text
    fields = {**settings_form(res).fields, **ADDRESS, "store_credit_bonus_percent": "10"}
    assert submit(stack, fields).status_code == 303
    assert stack.container.store.get_shop(shop).store_credit_bonus_percent == Decimal("10")


def test_easypost_key_is_stored_encrypted_and_used_for_labels(stack, ddb_client, shop):
    fields = {**settings_form(page(stack, shop)).fields, **ADDRESS}
    # GIVEN EasyPost is chosen without a key: the key field asks for one
    missing = submit(stack, fields, label_provider="easypost")
    assert missing.status_code == 422
    assert 'id="label_api_key-error">Enter your EasyPost API key.' in text(missing)
    assert isinstance(
        stack.container.label_provider_for(stack.container.store.get_shop(shop)),
        BuiltinLabelProvider,
    )
    # WHEN the owner pastes their key and saves
    res = submit(stack, fields, label_provider="easypost", label_api_key=EASYPOST_KEY)
    assert res.status_code == 303, res.text
    # THEN the table holds only ciphertext
    item = raw_shop_item(stack, ddb_client, shop)
    assert item["label_provider"] == {"S": "easypost"}
    stored = item["label_api_key_encrypted"]["B"]
    assert EASYPOST_KEY.encode() not in stored and EASYPOST_KEY not in repr(item)
    # AND labels are bought through EasyPost with that key
    got = stack.container.store.get_shop(shop)
    assert isinstance(stack.container.label_provider_for(got), EasyPostLabelProvider)
    assert decrypt_label_key(stack.container.cipher, got) == EASYPOST_KEY
    # AND the page says a key is saved but never shows it, not even its end
    again = page(stack, shop)
    assert "A key is saved." in text(again)
    assert EASYPOST_KEY not in again.text and EASYPOST_KEY[-4:] not in again.text
    assert 'name="remove_label_api_key"' not in again.text  # EasyPost still uses it
    # AND saving again with the key field empty keeps it
    fields = settings_form(again).fields
    assert "label_api_key" not in fields or fields["label_api_key"] == ""
    assert submit(stack, fields, sender_email="ops@petiteplume.com").status_code == 303
    assert raw_shop_item(stack, ddb_client, shop)["label_api_key_encrypted"]["B"] == stored


def test_a_bad_key_is_never_echoed_back(stack, shop):
    fields = {**settings_form(page(stack, shop)).fields, **ADDRESS}
    res = submit(stack, fields, label_provider="easypost", label_api_key=SHIPPO_KEY)
    assert res.status_code == 422
    assert "This looks like a key for Shippo, not EasyPost." in text(res)
    assert SHIPPO_KEY not in res.text
    # Another field's error does not echo a good key either
    res = submit(
        stack, fields, label_provider="easypost", label_api_key=EASYPOST_KEY, address_city=""
    )
    assert res.status_code == 422 and EASYPOST_KEY not in res.text
    assert stack.container.store.get_shop(shop).label_api_key_encrypted is None


def test_shippo_then_back_to_builtin_and_remove_the_key(stack, ddb_client, shop):
    fields = {**settings_form(page(stack, shop)).fields, **ADDRESS}
    assert (
        submit(stack, fields, label_provider="shippo", label_api_key=SHIPPO_KEY).status_code == 303
    )
    got = stack.container.store.get_shop(shop)
    assert isinstance(stack.container.label_provider_for(got), ShippoLabelProvider)
    # Back to the built-in labels: the key is kept, and now it can be removed
    assert submit(stack, fields, label_provider="builtin").status_code == 303
    res = page(stack, shop)
    assert "A key is saved." in text(res) and 'name="remove_label_api_key"' in res.text
    assert (
        submit(stack, fields, label_provider="builtin", remove_label_api_key="1").status_code == 303
    )
    res = page(stack, shop)
    assert "No key is saved" in text(res) and "A key is saved." not in text(res)
    assert "label_api_key_encrypted" not in raw_shop_item(stack, ddb_client, shop)
    # AND Shippo now needs a key again
    again = submit(stack, fields, label_provider="shippo")
    assert again.status_code == 422 and "Enter your Shippo API key." in text(again)


@pytest.mark.parametrize(
    "bad",
    [
        lambda s: token(s, secret="forged-secret-0123456789abcdef0123"),
        lambda s: token(s, exp=int(time.time()) - 120),
        lambda s: "",
    ],
    ids=["forged", "expired", "missing"],
)
def test_bad_tokens_get_the_sign_in_page_and_change_nothing(stack, shop, bad):
    fields = {**settings_form(page(stack, shop)).fields, **ADDRESS}
    for method in ("GET", "POST"):
        res = requests.request(
            method,
            f"{stack.app_url}/admin/settings",
            params={"shop": shop, "id_token": bad(shop)} if method == "GET" else {"shop": shop},
            data={**fields, "id_token": bad(shop)} if method == "POST" else None,
            allow_redirects=False,
            timeout=10,
        )
        assert res.status_code == 401, method
        assert "Open Hemline from your Shopify admin" in text(res)
        assert "Return address" not in res.text
    assert stack.container.store.get_shop(shop).return_address is None
