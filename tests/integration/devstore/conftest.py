"""A dev-store simulator and a webhook receiver on 127.0.0.1 for the session, a fresh shop per test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.shopify.client import AdminClient
from infra.local.devstore import DevStoreServer, start_in_thread
from infra.local.devstore.clock import OffsetClock

API_KEY = "devstore-test-key"
API_SECRET = "devstore-test-secret-4f1c2d9a7b3e5c1d8f60"
API_VERSION = "2026-04"
SCOPES = "read_orders,write_orders,read_returns,write_returns,read_inventory"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def topic(self) -> str:
        return self.headers["X-Shopify-Topic"]

    def json(self) -> Any:
        return json.loads(self.body)

    def signature_ok(self, secret: str = API_SECRET) -> bool:
        digest = hmac.new(secret.encode(), self.body, hashlib.sha256).digest()
        return hmac.compare_digest(
            base64.b64encode(digest).decode(), self.headers["X-Shopify-Hmac-Sha256"]
        )


@dataclass
class WebhookReceiver:
    """Records raw webhook requests; `fail_next` makes the next N answer 500."""

    url: str
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_shop(self, shop: str, topic: str | None = None) -> list[Received]:
        with self.lock:
            return [
                r
                for r in self.received
                if r.headers.get("X-Shopify-Shop-Domain") == shop
                and (topic is None or r.topic == topic)
            ]


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def clock() -> OffsetClock:
    """Shared by simulator and clients: a client's sleep moves the simulator's time too."""
    return OffsetClock()


@pytest.fixture(scope="session")
def devstore(receiver: WebhookReceiver, clock: OffsetClock) -> Iterator[DevStoreServer]:
    server = start_in_thread(
        api_key=API_KEY,
        api_secret=API_SECRET,
        app_url=receiver.url,
        clock=clock,
        webhook_retry_delays=(0.05, 0.1, 0.2),
        webhook_timeout=2.0,
    )
    yield server
    server.stop()


class Sim:
    """The control API of the session's simulator, for one test's shop."""

    def __init__(self, server: DevStoreServer, shop: str) -> None:
        self.server = server
        self.shop = shop
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def get(self, path: str, **params: Any) -> Any:
        res = self.http.get(self.url(path), params=params, timeout=10)
        assert res.status_code == 200, res.text
        return res.json()

    def post(self, path: str, body: dict[str, Any] | None = None, expect: int | None = None) -> Any:
        res = self.http.post(self.url(path), json=body or {}, timeout=10)
        if expect is not None:
            assert res.status_code == expect, res.text
        else:
            assert res.status_code in (200, 201, 202), res.text
        return res.json()

    def shop_path(self, tail: str = "") -> str:
        return f"/_sim/shops/{self.shop}{tail}"

    def product(self, title: str, *variants: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return self.post(
            self.shop_path("/products"), {"title": title, "variants": list(variants), **fields}
        )

    def order(self, **spec: Any) -> dict[str, Any]:
        return self.post(self.shop_path("/orders"), spec)

    def act(self, order: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
        return self.post(self.shop_path(f"/orders/{order['id']}/{action}"), body)

    def refresh(self, order: dict[str, Any]) -> dict[str, Any]:
        return self.get(self.shop_path(f"/orders/{order['id']}"))

    def fault(self, **spec: Any) -> None:
        self.post("/_sim/faults", {"shop": self.shop, **spec}, expect=201)

    def requests_for(self, operation: str) -> list[dict[str, Any]]:
        return [
            r for r in self.get("/_sim/requests", shop=self.shop) if r["operation"] == operation
        ]

    def wait_webhooks(self) -> None:
        self.post("/_sim/webhooks/wait", {"timeout": 10})

    def deliveries(self, topic: str | None = None) -> list[dict[str, Any]]:
        params = {"shop": self.shop}
        if topic:
            params["topic"] = topic
        return self.get("/_sim/webhooks", **params)


def install(server: DevStoreServer, shop: str, *, state: str = "st-1") -> dict[str, Any]:
    """Drive the OAuth install as the app does: authorize, then trade the code (expiring)."""
    res = requests.get(
        f"{server.url}/admin/oauth/authorize",
        params={
            "client_id": API_KEY,
            "scope": SCOPES,
            "redirect_uri": f"{server.simulator.config.app_url}/auth/callback",
            "state": state,
            "shop": shop,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert res.status_code == 302, res.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(res.headers["Location"]).query).items()}
    token = requests.post(
        f"{server.url}/admin/oauth/access_token",
        data={
            "client_id": API_KEY,
            "client_secret": API_SECRET,
            "code": query["code"],
            "expiring": "1",
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return {"redirect": query, **token.json()}


@pytest.fixture
def shop_domain() -> str:
    return f"plume-{uuid.uuid4().hex[:10]}.myshopify.com"


@pytest.fixture
def sim(devstore: DevStoreServer, shop_domain: str) -> Sim:
    """A new simulated shop (US, USD, New York) with one location; not installed yet."""
    helper = Sim(devstore, shop_domain)
    helper.post(
        "/_sim/shops",
        {
            "domain": shop_domain,
            "name": "Petite Plume",
            "locations": ["Brooklyn Studio", "Warehouse"],
        },
        expect=201,
    )
    return helper


@pytest.fixture
def tokens(devstore: DevStoreServer, sim: Sim) -> dict[str, Any]:
    return install(devstore, sim.shop)


@pytest.fixture
def admin(
    devstore: DevStoreServer, sim: Sim, tokens: dict[str, Any], clock: OffsetClock
) -> AdminClient:
    """The app's client, pointed at the simulator's per-shop URL, sleeping on the shared clock."""
    return AdminClient(
        sim.shop,
        tokens["access_token"],
        API_VERSION,
        base_url=devstore.shop_url(sim.shop),
        timeout=5.0,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        jitter=lambda: 0.5,
    )


@pytest.fixture
def catalogue(sim: Sim) -> dict[str, Any]:
    """A romper in stock (with a compare-at price), a final-sale bow, and a sold-out dress."""
    romper = sim.product(
        "Smocked Linen Romper",
        {
            "title": "3T",
            "sku": f"ROMP-3T-{sim.shop[:8]}",
            "price": "48.00",
            "compare_at_price": "60.00",
            "inventory": 10,
        },
        {"title": "4T", "sku": f"ROMP-4T-{sim.shop[:8]}", "price": "48.00", "inventory": 3},
        product_type="Rompers",
        tags=["romper"],
    )
    bow = sim.product(
        "Velvet Hair Bow",
        {"title": "Burgundy", "sku": f"BOW-{sim.shop[:8]}", "price": "14.00", "inventory": 40},
        product_type="Accessories",
        tags=["hair-bow", "final-sale"],
    )
    dress = sim.product(
        "Linen Sundress",
        {
            "title": "6",
            "sku": f"DRESS-6-{sim.shop[:8]}",
            "price": "64.00",
            "inventory": {"Brooklyn Studio": {"available": 0, "incoming": 12}},
        },
        product_type="Dresses",
    )
    return {"romper": romper, "bow": bow, "dress": dress}


@pytest.fixture
def delivered_order(sim: Sim, catalogue: dict[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
    """Two rompers and a bow, shipped by USPS and delivered."""
    romper, bow = catalogue["romper"]["variants"][0], catalogue["bow"]["variants"][0]
    order = sim.order(
        customer={"email": "olivia.hart@example.com", "first_name": "Olivia", "last_name": "Hart"},
        lines=[{"sku": romper["sku"], "quantity": 2}, {"sku": bow["sku"], "quantity": 1}],
        shipping={"title": "Standard Shipping", "price": "6.95", "code": "standard"},
    )
    sim.act(order, "fulfil", tracking_company="USPS", tracking_number="9400100000000000000001")
    return sim.act(order, "deliver")
