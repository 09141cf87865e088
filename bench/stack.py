"""The local stack for the benchmarks that need Shopify: DynamoDB Local, the dev-store
simulator and the app served on 127.0.0.1, wired as `make run` and the stack tests wire them.

Not a benchmark itself: bench_portal.py and bench_writes.py build on it. Nothing here
imports pytest.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from app.config import Settings
from app.container import Container, build_container, dynamodb_client
from app.domain.orders import OrderView
from app.web import create_app
from infra.local import dynamodb_local
from infra.local.devstore import DevStoreServer, start_in_thread
from infra.local.devstore.seed import new_shop_body
from infra.local.dynamodb_local import free_port
from infra.local.run import DEMO_RETURN_ADDRESSES, install_shop
from infra.local.tables import ensure_table

TABLE = "hemline-bench"
API_KEY = "bench-api-key"
SECRET = "bench-shopify-secret-0123456789abcdef"


def _scratch() -> str:
    """A folder for the app's local files and outbox, removed when the process ends."""
    path = tempfile.mkdtemp(prefix="hemline-bench-")
    atexit.register(shutil.rmtree, path, True)
    return path


logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the simulator's request lines


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Stack:
    app_url: str
    devstore: DevStoreServer
    container: Container
    app: Any
    dynamodb: Any
    meter: DynamoMeter
    backend: str
    invocations: InvocationMeter

    def sim(self, method: str, path: str, **kw: Any) -> Any:
        res = requests.request(method, f"{self.devstore.url}/_sim{path}", timeout=30, **kw)
        res.raise_for_status()
        return res.json()

    def installed_shop(self) -> str:
        """A new shop in the simulator, installed through the app's real OAuth flow."""
        domain = f"bench{uuid.uuid4().hex[:8]}.myshopify.com"
        self.sim("POST", "/shops", json=new_shop_body(domain))
        install_shop(self.app_url, domain)
        self.wait_for_webhooks()
        shop = self.container.store.get_shop(domain)
        if shop is None or not shop.is_installed:
            raise RuntimeError(f"{domain} was not installed")
        # As `make run` sets up its demo shop: labels need a return address.
        self.container.store.put_shop(
            replace(
                shop,
                return_address=DEMO_RETURN_ADDRESSES["hemline-demo.myshopify.com"],
                support_email="support@bench.example",
            )
        )
        return domain

    def product(self, shop: str, *, price: str = "48.00", sizes: int = 3) -> str:
        """A romper in `sizes` sizes; the SKU of the first."""
        sku = f"ROMP-{uuid.uuid4().hex[:6]}"
        self.sim(
            "POST",
            f"/shops/{shop}/products",
            json={
                "title": "Smocked romper",
                "product_type": "Rompers",
                "tags": [],
                "variants": [
                    {"title": f"{n + 2}T", "sku": f"{sku}-{n}", "price": price, "inventory": 50}
                    for n in range(sizes)
                ],
            },
        )
        return f"{sku}-0"

    def delivered_order(
        self, shop: str, sku: str, *, quantity: int = 1, days_ago: int = 3
    ) -> OrderView:
        """An order placed, fulfilled and delivered in Shopify, every webhook processed."""
        placed = datetime.now(UTC) - timedelta(days=days_ago + 3)
        order = self.sim(
            "POST",
            f"/shops/{shop}/orders",
            json={
                "customer": {
                    "email": "ada@example.com",
                    "first_name": "Ada",
                    "last_name": "L",
                    "address": {
                        "address1": "1 Park St",
                        "city": "Brooklyn",
                        "zip": "11201",
                        "country_code": "US",
                    },
                },
                "lines": [{"sku": sku, "quantity": quantity}],
                "created_at": placed.isoformat(),
            },
        )
        self.wait_for_webhooks()
        self.sim(
            "POST",
            f"/shops/{shop}/orders/{order['id']}/fulfil",
            json={"at": (placed + timedelta(days=1)).isoformat()},
        )
        self.wait_for_webhooks()
        self.sim(
            "POST",
            f"/shops/{shop}/orders/{order['id']}/deliver",
            json={"at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()},
        )
        self.wait_for_webhooks()
        view = self.container.store.get_order(shop, int(order["id"]))
        if view is None or view.delivered_at is None:
            raise RuntimeError(f"order {order['id']} was not stored as delivered")
        return view

    def wait_for_webhooks(self) -> None:
        """Until the simulator has delivered everything and the app has processed it."""
        self.sim("POST", "/webhooks/wait", json={})
        self.container.queue.drain(timeout=60)  # type: ignore[attr-defined]


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """Start everything (the app in local mode, the in-process webhook queue); stop it after.

    The app's DynamoDB client is built as the composition root builds it, with a
    DynamoMeter on it (`stack.meter`).
    """
    with dynamodb_local.running(in_memory=True) as ddb:
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        devstore = start_in_thread(
            api_key=API_KEY,
            api_secret=SECRET,
            app_url=app_url,
            webhook_retry_delays=(0.05, 0.1, 0.2),
        )
        settings = Settings.from_env(
            {
                "HEMLINE_ENV": "local",
                "SHOPIFY_API_KEY": API_KEY,
                "SHOPIFY_API_SECRET": SECRET,
                "DYNAMODB_ENDPOINT_URL": ddb.endpoint,
                "HEMLINE_TABLE": TABLE,
                "HEMLINE_APP_URL": app_url,
                "SHOPIFY_ADMIN_ORIGIN": devstore.url,
                "HEMLINE_LOCAL_DATA": _scratch(),
                "AWS_REGION": "us-east-1",
            }
        )
        client = dynamodb_client(settings)
        ensure_table(client, TABLE)
        meter = DynamoMeter(client)
        container = build_container(settings, dynamodb=client)
        app = create_app(container=container)
        invocations = InvocationMeter()
        queue = container.queue
        queue._processor = invocations.timed(queue._processor)  # type: ignore[attr-defined]
        server = make_server(
            "127.0.0.1",
            port,
            invocations.wsgi(app),
            threaded=True,
            request_handler=_QuietHandler,
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Stack(app_url, devstore, container, app, client, meter, ddb.kind, invocations)
        finally:
            server.shutdown()
            devstore.stop()
            container.queue.close()  # type: ignore[attr-defined]


class InvocationMeter:
    """What Lambda would bill for: each request the app served and each queued webhook the
    worker processed is one invocation, billed for its wall time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.seconds = 0.0

    def reset(self) -> None:
        with self.lock:
            self.count, self.seconds = 0, 0.0

    def _add(self, seconds: float) -> None:
        with self.lock:
            self.count += 1
            self.seconds += seconds

    def timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def invocation(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._add(time.perf_counter() - started)

        return invocation

    def wsgi(self, app: Any) -> Any:
        def served(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            started = time.perf_counter()
            try:
                return list(app(environ, start_response))  # the whole body, as Lambda returns it
            finally:
                self._add(time.perf_counter() - started)

        return served


WRITE_OPS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


class DynamoMeter:
    """Counts a boto3 DynamoDB client's calls, the time spent in them and the capacity
    they consumed (ReturnConsumedCapacity=TOTAL is added to every call that takes it).

    DynamoDB Local reports what it would charge with two differences from the bill:
    a transactional write is charged twice (AWS bills 2 write units per KB in a
    transaction) and a write refused by its condition reports nothing (AWS bills it as
    a write of at least 1 unit). `billed_write_units` applies both.
    """

    def __init__(self, client: Any):
        self.lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self.units: dict[str, float] = {}  # billed units by operation
        self.failed: dict[str, int] = {}
        self.seconds = 0.0
        self.read_units = 0.0
        self.write_units = 0.0
        self.billed_write_units = 0.0
        self._started = threading.local()
        events = client.meta.events
        events.register("before-parameter-build.dynamodb", self._ask_capacity)
        events.register("before-call.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)

    def reset(self) -> None:
        with self.lock:
            self.calls, self.units, self.failed = {}, {}, {}
            self.seconds = self.read_units = self.write_units = self.billed_write_units = 0.0

    def total_calls(self, *, writes: bool | None = None) -> int:
        return sum(
            n for op, n in self.calls.items() if writes is None or (op in WRITE_OPS) == writes
        )

    def _ask_capacity(self, params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _before(self, model: Any, **kwargs: Any) -> None:
        self._started.at = time.perf_counter()

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        spent = time.perf_counter() - getattr(self._started, "at", time.perf_counter())
        op = model.name
        consumed = parsed.get("ConsumedCapacity") or []
        if isinstance(consumed, dict):
            consumed = [consumed]
        units = sum(float(c.get("CapacityUnits", 0)) for c in consumed)
        with self.lock:
            self.seconds += spent
            self.calls[op] = self.calls.get(op, 0) + 1
            if op not in WRITE_OPS:
                self.read_units += units
                self.units[op] = self.units.get(op, 0.0) + units
                return
            self.write_units += units
            if "Error" in parsed:
                self.failed[op] = self.failed.get(op, 0) + 1
                billed = 2.0 if op == "TransactWriteItems" else 1.0
            else:
                billed = units * (2 if op == "TransactWriteItems" else 1)
            self.billed_write_units += billed
            self.units[op] = self.units.get(op, 0.0) + billed
