"""Data protection against the served stack: secrets never stored or logged in plain text,
personal data never logged, and Shopify's erasure topics leaving nothing of the customer or
the shop behind in the table or the file store.

One shop lives through the whole module: installed through OAuth, a label API key saved in
the admin, two customers' orders, a portal return with a label and a refund, a data
request; then customers/redact for one customer and shop/redact for the shop, each sent
signed to POST /webhooks as Shopify sends it. The tests read the raw table (a Scan, which
only a test may do) and walk the file store's folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import re
import string
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from app.services.settings import decrypt_label_key
from tests.conftest import TEST_SECRET, TEST_SECRET_PREVIOUS
from tests.integration.stack.test_admin_pages import form
from tests.integration.stack.test_admin_pages import page as admin_page
from tests.integration.stack.test_admin_pages import submit as admin_submit
from tests.integration.stack.test_admin_settings import (
    ADDRESS,
    settings_form,
)
from tests.integration.stack.test_admin_settings import (
    page as settings_page,
)
from tests.integration.stack.test_admin_settings import (
    submit as settings_submit,
)
from tests.integration.stack.test_api import OWNER, token

SHOPIFY = Path(__file__).resolve().parents[3] / "shared" / "shopify" / "webhooks"
EASYPOST_KEY = "EZTK_quistgaard_live_9c41d7e2b8a5"
CARD = "4111111111111111"


def _word(n: int = 7) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n)).capitalize()


@dataclass
class Person:
    """A customer whose every personal field is unique to this run, so a find is theirs."""

    email: str
    first_name: str
    last_name: str
    phone: str
    address1: str
    address2: str

    @classmethod
    def make(cls, first: str) -> Person:
        last = "Quist" + _word().lower()
        return cls(
            # Not made of the names, so a find of the name is not a find of the email.
            email=f"{_word().lower()}.{_word(5).lower()}@example.com",
            first_name=first + _word(3).lower(),
            last_name=last,
            phone=f"+1 718 555 {random.randint(1000, 9999)}",
            address1=f"{random.randint(100, 999)} {_word()} Lane",
            address2=f"Apartment {_word(4)}",
        )

    @property
    def personal(self) -> dict[str, str]:
        return {
            "email": self.email,
            "first name": self.first_name,
            "last name": self.last_name,
            "phone": self.phone,
            "address line 1": self.address1,
            "address line 2": self.address2,
        }


class Captured(logging.Handler):
    """Every log line of the process as it would be written, JSON extras and tracebacks too."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._plain = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        formatter = self._plain
        if record.name == "hemline" or record.name.startswith("hemline."):
            # powertools' JSON formatter: it adds the appended keys (webhook id, shop...).
            formatter = logging.getLogger("hemline").handlers[0].formatter or self._plain
        self.lines.append(formatter.format(record))


@dataclass
class Flow:
    shop: str
    ada: Person
    bo: Person
    ada_order: int
    bo_order: int
    ada_customer: int
    rma: str
    access_token: str
    refresh_token: str | None
    session_tokens: list[str] = field(default_factory=list)
    hmacs: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)


# -- raw reads: the table and the file store ----------------------------------------------------


def scan_table(stack, ddb_client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.container.store.table_name, "ConsistentRead": True}
    while True:
        res = ddb_client.scan(**kwargs)
        items.extend(res["Items"])
        if "LastEvaluatedKey" not in res:
            return items
        kwargs["ExclusiveStartKey"] = res["LastEvaluatedKey"]


def _flatten(value: Any) -> Iterator[str]:
    """Every string a raw item holds; binary values as their bytes and as base64."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    elif isinstance(value, bytes):
        yield value.decode("latin-1")
        yield base64.b64encode(value).decode()
    else:
        yield str(value)


def item_text(item: dict[str, Any]) -> str:
    return "\n".join(_flatten(item))


def shop_items(items: list[dict[str, Any]], shop: str) -> list[dict[str, Any]]:
    return [i for i in items if shop in item_text(i)]


def found(haystacks: dict[str, str], needles: dict[str, str]) -> list[tuple[str, str]]:
    """(what, where) for each needle found in a haystack, case-insensitively."""
    return [
        (what, where)
        for what, needle in needles.items()
        for where, hay in haystacks.items()
        if needle.lower() in hay.lower()
    ]


def table_text(stack, ddb_client) -> dict[str, str]:
    """Every item of the table, whoever's, as text (the values sought are unique to this run)."""
    return {f"{i['PK']['S']} | {i['SK']['S']}": item_text(i) for i in scan_table(stack, ddb_client)}


# -- Shopify's side -------------------------------------------------------------------------------


def send_webhook(stack, flow: Flow, topic: str, body: dict[str, Any]) -> None:
    """Deliver a webhook as Shopify does: signed with the app secret, to POST /webhooks."""
    raw = json.dumps(body).encode()
    sig = base64.b64encode(hmac.new(TEST_SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    flow.hmacs.append(sig)
    res = requests.post(
        f"{stack.app_url}/webhooks",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": flow.shop,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Hmac-Sha256": sig,
        },
        timeout=30,
    )
    assert res.status_code == 200, res.text
    stack.container.queue.drain(timeout=30)


def shopify_payload(name: str) -> dict[str, Any]:
    return json.loads((SHOPIFY / name).read_text(encoding="utf-8"))


def delivered_order(stack, shop: str, person: Person) -> dict[str, Any]:
    sku = f"SKU-{uuid.uuid4().hex[:8]}"
    stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Smocked romper",
            "product_type": "Rompers",
            "variants": [{"title": "3T", "sku": sku, "price": "48.00", "inventory": 50}],
        },
    )
    placed = datetime.now(UTC) - timedelta(days=6)
    order = stack.sim(
        "POST",
        f"/shops/{shop}/orders",
        json={
            "customer": {
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "phone": person.phone,
                "address": {
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "address1": person.address1,
                    "address2": person.address2,
                    "city": "Brooklyn",
                    "province": "NY",
                    "zip": "11201",
                    "country_code": "US",
                    "phone": person.phone,
                },
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
        json={"at": (datetime.now(UTC) - timedelta(days=3)).isoformat()},
    )
    stack.wait_for_webhooks()
    return order


def _field(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html)[1]


def portal_return(stack, shop: str, person: Person, order_id: int) -> str:
    """The customer looks the order up by email, asks to return it with a note, and submits."""
    browser = requests.Session()
    base = f"{stack.app_url}/portal/{shop}"
    view = stack.container.store.get_order(shop, order_id)
    lookup = browser.get(base, timeout=30)
    res = browser.post(
        base,
        data={
            "csrf_token": _field(lookup.text, "csrf_token"),
            "order_number": view.order.name,
            "contact": person.email,
        },
        timeout=30,
    )
    assert res.status_code == 200 and "/orders/" in res.url, res.text
    line = view.order.line_items[0].id
    summary = browser.post(
        f"{base}/orders/{order_id}/review",
        data={
            "csrf_token": _field(res.text, "csrf_token"),
            f"item-{line}": "1",
            f"qty-{line}": "1",
            f"reason-{line}": "size_fit",
            f"condition-{line}": "unworn_tags_attached",
            f"resolution-{line}": "refund",
            f"note-{line}": f"Too small. Call me on {person.phone} if needed.",
        },
        timeout=30,
    )
    assert summary.status_code == 200, summary.text
    done = browser.post(
        f"{base}/orders/{order_id}/submit",
        data={
            "csrf_token": _field(summary.text, "csrf_token"),
            "selection": _field(summary.text, "selection"),
        },
        timeout=60,
    )
    assert done.status_code == 200 and "/returns/" in done.url, done.text
    return urlsplit(done.url).path.rsplit("/", 1)[1]


# -- the flow --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flow(stack, ddb_client) -> Iterator[Flow]:
    """The shop's life up to the erasure webhooks, with every log line of it captured."""
    captured = Captured()
    root, app_logger = logging.getLogger(), logging.getLogger("hemline")
    levels = (root.level, app_logger.level)
    # The app at DEBUG; libraries at INFO, as their DEBUG output is off in every deployment.
    root.setLevel(logging.INFO)
    app_logger.setLevel(logging.DEBUG)
    root.addHandler(captured)
    try:
        yield _live(stack, ddb_client, captured)
    finally:
        root.removeHandler(captured)
        root.setLevel(levels[0])
        app_logger.setLevel(levels[1])


def _live(stack, ddb_client, captured: Captured) -> Flow:
    shop = stack.new_shop()
    # GIVEN the merchant installs through OAuth and saves an EasyPost key in Settings
    stack.install(shop)
    res = settings_page(stack, shop, OWNER)
    fields = {**settings_form(res).fields, **ADDRESS}
    saved = settings_submit(stack, fields, label_provider="easypost", label_api_key=EASYPOST_KEY)
    assert saved.status_code == 303, saved.text
    # ...then goes back to the built-in labels (the key is kept, as the page says)
    fields = settings_form(settings_page(stack, shop, OWNER)).fields
    assert settings_submit(stack, fields, label_provider="builtin").status_code == 303
    sh = stack.container.store.get_shop(shop)
    assert decrypt_label_key(stack.container.cipher, sh) == EASYPOST_KEY
    stored = stack.container.store.get_tokens(shop)
    refresh = stored.get("refresh_token")
    flow = Flow(
        shop=shop,
        ada=Person.make("Adelheid"),
        bo=Person.make("Bodil"),
        ada_order=0,
        bo_order=0,
        ada_customer=0,
        rma="",
        access_token=stack.container.tokens.access_token(shop),
        refresh_token=(
            stack.container.cipher.decrypt(refresh, {"shop": shop, "purpose": "refresh_token"})
            if refresh
            else None
        ),
    )
    flow.session_tokens.append(fields["id_token"])
    # AND two customers order and receive their parcels
    ada, bo = delivered_order(stack, shop, flow.ada), delivered_order(stack, shop, flow.bo)
    flow.ada_order, flow.bo_order = int(ada["id"]), int(bo["id"])
    flow.ada_customer = int(ada["customer"]["id"])
    # AND a Shopify order body with card details and notes arrives for Ada as well
    body = shopify_payload("orders_create__shopify-docs-2024-01.json")
    body.update(
        id=int("9" + str(flow.ada_order)[-12:]),
        email=flow.ada.email,
        contact_email=flow.ada.email,
        customer={**body["customer"], "id": flow.ada_customer, "email": flow.ada.email},
        note=f"Gift for my niece, card {CARD}",
        payment_details={
            "credit_card_bin": CARD[:6],
            "credit_card_number": f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}",
            "credit_card_company": "Visa",
        },
    )
    send_webhook(stack, flow, "orders/create", body)
    # WHEN Ada and Bo each return theirs in the portal (Ada's is approved with a prepaid label)
    flow.rma = portal_return(stack, shop, flow.ada, flow.ada_order)
    portal_return(stack, shop, flow.bo, flow.bo_order)
    rma = stack.container.store.get_rma(shop, flow.rma)
    assert rma.label, "the return got no label"
    # AND the merchant receives Ada's parcel and refunds her in the admin
    detail = admin_page(stack, f"/admin/returns/{flow.rma}", shop, OWNER)
    url, fields = form(detail, "receive")
    assert admin_submit(stack, url, fields).status_code == 303
    url, fields = form(admin_page(stack, f"/admin/returns/{flow.rma}", shop, OWNER), "refund")
    flow.session_tokens.append(fields["id_token"])
    assert admin_submit(stack, url, fields).status_code == 303
    assert stack.container.store.get_rma(shop, flow.rma).state == "refunded"
    # AND Shopify asks for Ada's data
    request = shopify_payload("customers_data_request__shopify-docs-2026-04.json")
    request.update(
        shop_domain=shop,
        customer={"id": flow.ada_customer, "email": flow.ada.email, "phone": flow.ada.phone},
        orders_requested=[flow.ada_order],
    )
    send_webhook(stack, flow, "customers/data_request", request)
    flow.session_tokens.append(token(shop, OWNER))
    flow.logs = captured.lines
    return flow


# -- secrets at rest ----------------------------------------------------------------------------


def _pdf_streams(data: bytes) -> Iterator[bytes]:
    """The decoded content streams of a PDF (reportlab writes ASCII85 over Flate)."""
    for m in re.finditer(
        rb"/Filter\s*(\[[^\]]*\]|/\w+)[^>]*>>\s*stream\r?\n(.*?)endstream", data, re.S
    ):
        body = m[2].strip()
        try:
            if b"ASCII85" in m[1]:
                body = base64.a85decode(body.removesuffix(b"~>"))
            if b"Flate" in m[1]:
                body = zlib.decompress(body)
        except (ValueError, zlib.error):
            continue
        yield body


def stored_files(stack) -> dict[str, str]:
    """Every file of the file store, as the text a reader could get out of it."""
    root = Path(stack.container.settings.local_data_dir) / "files"
    out = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = [data.decode("latin-1"), *(s.decode("latin-1") for s in _pdf_streams(data))]
            out[path.relative_to(root).as_posix()] = "\n".join(text)
    return out


def shop_files(stack, shop: str) -> dict[str, str]:
    return {k: v for k, v in stored_files(stack).items() if f"/{shop}/" in k}


def test_tokens_and_the_label_key_are_stored_only_encrypted(stack, ddb_client, flow):
    items = shop_items(scan_table(stack, ddb_client), flow.shop)
    # THEN the table does hold the shop's token and settings items (so the search sees them)
    assert any("label_api_key_encrypted" in i for i in items)
    assert any("access_token" in i for i in items)
    secrets = {
        "access token": flow.access_token,
        "label API key": EASYPOST_KEY,
        "app secret": TEST_SECRET,
    }
    if flow.refresh_token:
        secrets["refresh token"] = flow.refresh_token
    for what, secret in list(secrets.items()):
        secrets[f"{what} (base64)"] = base64.b64encode(secret.encode()).decode()
        secrets[f"{what} (base64url)"] = base64.urlsafe_b64encode(secret.encode()).decode()
    text = {f"{i['PK']['S']} | {i['SK']['S']}": item_text(i) for i in items}
    # AND no secret is readable in any raw item
    assert found(text, secrets) == []


# -- logs ---------------------------------------------------------------------------------------------


def test_logs_of_the_whole_flow_carry_no_secret_and_no_personal_data(flow):
    lines = [ln for ln in flow.logs if not ln.startswith("werkzeug ")]
    # THEN the flow did log (ids only), so the search below reads real lines
    assert sum(flow.rma in ln for ln in lines) >= 2
    assert any(flow.shop in ln for ln in lines)
    needles = {
        "access token": flow.access_token,
        "app secret": TEST_SECRET,
        "previous app secret": TEST_SECRET_PREVIOUS,
        "label API key": EASYPOST_KEY,
        "card number": CARD,
        "card number, grouped": f"{CARD[:4]} {CARD[4:8]}",
        **{f"webhook HMAC {n}": h for n, h in enumerate(flow.hmacs)},
        **{f"session token {n}": t for n, t in enumerate(flow.session_tokens)},
        **{f"Ada's {k}": v for k, v in flow.ada.personal.items()},
        **{f"Bo's {k}": v for k, v in flow.bo.personal.items()},
    }
    if flow.refresh_token:
        needles["refresh token"] = flow.refresh_token
    assert found({f"line {n}": ln for n, ln in enumerate(lines)}, needles) == []


# -- erasure -------------------------------------------------------------------------------------------


def test_customers_redact_erases_that_customer_from_orders_and_returns(stack, ddb_client, flow):
    def records() -> dict[str, str]:
        # Orders, fulfillments, refunds, returns, webhook records, data exports: everything
        # in the table, and every file of the shop (labels, photos).
        return {**table_text(stack, ddb_client), **shop_files(stack, flow.shop)}

    ada = {f"Ada's {k}": v for k, v in flow.ada.personal.items()}
    bo = {f"Bo's {k}": v for k, v in flow.bo.personal.items()}
    # GIVEN Ada's order and return hold her email, and her return note her phone number
    before = found(records(), {**ada, **bo})
    ada_rma = f"RMA#{flow.rma}"
    assert ("Ada's email", next(k for k in records() if k.endswith(ada_rma))) in before
    assert ("Ada's phone", next(k for k in records() if k.endswith(ada_rma))) in before
    assert any(what == "Ada's email" and "| ORDER#" in where for what, where in before)
    assert any(what == "Bo's email" and "| RMA#" in where for what, where in before)
    assert any(what == "Ada's email" and "DATAREQUEST#" in where for what, where in before)
    assert any(what == "Ada's address line 1" and "labels/" in where for what, where in before)
    # WHEN Shopify sends customers/redact for Ada
    body = shopify_payload("customers_redact__shopify-docs-2026-04.json")
    body.update(
        shop_domain=flow.shop,
        customer={"id": flow.ada_customer, "email": flow.ada.email, "phone": flow.ada.phone},
        orders_to_redact=[flow.ada_order],
    )
    send_webhook(stack, flow, "customers/redact", body)
    # THEN nothing of Ada is left in any order, return or other record
    after = records()
    assert found(after, ada) == []
    # AND Bo's data is where it was
    assert found(after, bo) == [(w, k) for w, k in before if w.startswith("Bo's")]
    # AND Ada's order and return remain as records, for the merchant's books
    assert stack.container.store.get_order(flow.shop, flow.ada_order).order.email is None
    rma = stack.container.store.get_rma(flow.shop, flow.rma)
    assert rma.state == "refunded" and rma.customer_email is None and rma.refund_total > 0
    # AND the merchant's return page shows the return without her email
    detail = admin_page(stack, f"/admin/returns/{flow.rma}", flow.shop, OWNER)
    assert detail.status_code == 200 and flow.ada.email not in detail.text


def test_shop_redact_leaves_no_item_of_the_shop(stack, ddb_client, flow):
    people = {
        **{f"Ada's {k}": v for k, v in flow.ada.personal.items()},
        **{f"Bo's {k}": v for k, v in flow.bo.personal.items()},
    }
    # GIVEN the shop has items, among them Bo's return with his email, and files
    assert len(shop_items(scan_table(stack, ddb_client), flow.shop)) > 10
    assert shop_files(stack, flow.shop)
    assert found(table_text(stack, ddb_client), people)
    # WHEN the merchant uninstalls and Shopify sends shop/redact (48 hours later)
    stack.sim("POST", f"/shops/{flow.shop}/uninstall", json={})
    stack.wait_for_webhooks()
    body = shopify_payload("shop_redact__shopify-docs-2026-04.json")
    body.update(shop_domain=flow.shop)
    send_webhook(stack, flow, "shop/redact", body)
    # THEN no item of the shop is left in the table (tokens, settings, orders, returns,
    # ledger, webhook records, exports, counters), nor anyone's personal data
    assert shop_items(scan_table(stack, ddb_client), flow.shop) == []
    assert found(table_text(stack, ddb_client), people) == []
    # AND none of its files (labels, photos) is left
    assert shop_files(stack, flow.shop) == {}
    # AND the portal no longer knows the shop
    assert requests.get(f"{stack.app_url}/portal/{flow.shop}", timeout=30).status_code == 404
