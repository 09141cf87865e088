"""The storm harness: a whole local stack of its own, realistic webhooks captured from the
simulator, sent duplicated and shuffled from concurrent senders, and a census that counts
every order, fulfillment, refund, notice, label, credit and email in the store, the
simulator and the outbox, and says how many were lost or doubled.

Shared by tests/resilience (a storm of 1,000 webhooks, the faults) and `make soak`.
"""

from __future__ import annotations

import contextlib
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.labels.memory import InMemoryLabelProvider
from app.adapters.mail import Mailer, Message
from app.adapters.queues import InProcessWebhookQueue
from app.container import Container, build_container, dynamodb_client
from app.errors import Conflict, InvalidInput, InvalidTransition, UpstreamError
from app.services import returns
from app.services.eligibility import RequestedLine
from app.web import create_app
from infra.local.devstore import DevStoreServer, start_in_thread
from infra.local.devstore import state as sim_state
from infra.local.devstore.seed import new_shop_body
from infra.local.devstore.webhooks import API_VERSION, sign
from infra.local.dynamodb_local import free_port
from tests.conftest import TEST_SECRET, make_settings

API_KEY = "test-api-key"
SENDERS = 8
IN_STOCK, OUT_OF_STOCK = "STORM-IN", "STORM-OUT"
CUSTOMER = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "L",
    "address": {"address1": "1 Park St", "city": "Brooklyn", "zip": "11201", "country_code": "US"},
}
RETURN_ADDRESS = {
    "line1": "18 Orchard Street",
    "city": "New York",
    "province": "NY",
    "zip": "10002",
    "country_code": "US",
}
_ORDER_SK = re.compile(r"^ORDER#\d{20}$")
_FUL_SK = re.compile(r"^ORDER#\d{20}#FUL#\d{20}$")
_REF_SK = re.compile(r"^ORDER#\d{20}#REF#\d{20}$")


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        return  # thousands of requests: the census is the record, not the access log


@dataclass(frozen=True)
class Webhook:
    """One event as Shopify delivers it: the same id, headers and bytes on every attempt."""

    shop: str
    topic: str
    body: bytes
    headers: dict[str, str]
    order_id: int | None


class FlakyMailer:
    """The mail sender, unreachable for the next `failures` emails, then back (thread-safe)."""

    def __init__(self, mailer: Mailer):
        self._mailer = mailer
        self._lock = threading.Lock()
        self.failures = 0
        self.refused = 0

    def fail_next(self, count: int) -> None:
        with self._lock:
            self.failures += count

    def send(self, message: Message) -> str:
        with self._lock:
            if self.failures > 0:
                self.failures -= 1
                self.refused += 1
                raise UpstreamError("mail sender unreachable", retryable=True)
        return self._mailer.send(message)


@dataclass
class LocalStack:
    """DynamoDB (given), the simulator, and the app served over HTTP, wired as `make run` is."""

    app_url: str
    devstore: DevStoreServer
    container: Container
    labels: InMemoryLabelProvider
    mail: FlakyMailer
    ddb: Any
    table: str
    clock: ShiftedClock
    captured: list[Webhook] = field(default_factory=list)
    # The last error each return's steps met (the census says it of a return left stuck).
    last_errors: dict[str, str] = field(default_factory=dict)

    def sim(self, method: str, path: str, **kw: Any) -> Any:
        res = requests.request(method, f"{self.devstore.url}/_sim{path}", timeout=30, **kw)
        res.raise_for_status()
        return res.json()

    def run_sweeps(self) -> None:
        """Run the sweeps of work left due by failures, as the 15-minute schedule would once
        their retry times have come: the hooks of orders whose worker died, backorder notices
        and RMA emails the mail sender failed on. (Not the delay and digest sweeps, whose
        emails and credits this census does not count.)"""
        from app.services import backorders, return_effects, sweeps
        from app.services.orders import ORDER_HOOKS_GRACE

        later = self.clock.now() + max(ORDER_HOOKS_GRACE, return_effects.EMAIL_RETRY_AFTER)
        later += timedelta(minutes=1)
        proactive = self.container.proactive_context()
        sweeps.sweep_order_hooks(proactive, later)
        backorders.sweep(proactive, later)
        return_effects.send_due_emails(self.container.returns_context(), later)

    def sweep_delays(self, plans: list[ShopPlan], *, sweepers: int = 4) -> None:
        """Run the delay sweep as if every delivery promise had passed long ago: from
        `sweepers` threads at once (schedules overlapping), then again until nothing of
        these shops is due. Reads each delay shop's checks first, for the census."""
        from app.services import delays

        store = self.container.store
        for plan in plans:
            if plan.delays:
                checks = (
                    (oid, store.get_due(plan.domain, delays.KIND, str(oid))) for oid in plan.orders
                )
                plan.delay_checks = {oid: work.due_at for oid, work in checks if work}
        later = self.clock.now() + timedelta(days=60)
        ctx = self.container.proactive_context()
        threads = [
            threading.Thread(target=delays.sweep, args=(ctx, later)) for _ in range(sweepers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        domains = {p.domain for p in plans}
        for _ in range(5):
            if not any(w.shop in domains for w in store.due_work(delays.KIND, later)):
                break
            delays.sweep(ctx, later)
        self.settle()  # the order edits' own webhooks

    def settle(self, timeout: float = 120.0) -> None:
        """Wait (polling, with a deadline) until the simulator has nothing left to deliver
        and the app's worker nothing left to process, twice in a row: processing can make
        the app call Shopify, and Shopify then sends webhooks of its own."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the stack did not settle")
            idle = self.devstore.simulator.webhooks.wait_idle(timeout=remaining)
            self.container.queue.drain(timeout=max(remaining, 1))  # type: ignore[attr-defined]
            quiet = quiet + 1 if idle else 0
            time.sleep(0.05)

    @contextlib.contextmanager
    def capturing(self) -> Iterator[list[Webhook]]:
        """While open, the simulator's webhooks are kept (to be sent by the storm) instead of sent."""
        store = self.devstore.simulator.store
        kept: list[Webhook] = []

        def capture(shop: sim_state.Shop, topic: str, payload: dict[str, Any]) -> None:
            if not shop.installed:
                return
            import json

            body = json.dumps(payload, separators=(",", ":")).encode()
            now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
            order_id = payload.get("order_id") if topic.startswith(("fulfill", "refund")) else None
            if topic.startswith("orders/"):
                order_id = payload.get("id")
            kept.append(
                Webhook(
                    shop=shop.domain,
                    topic=topic,
                    body=body,
                    order_id=order_id if isinstance(order_id, int) else None,
                    headers={
                        "Content-Type": "application/json",
                        "X-Shopify-Topic": topic,
                        "X-Shopify-Shop-Domain": shop.domain,
                        "X-Shopify-API-Version": API_VERSION,
                        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                        "X-Shopify-Event-Id": str(uuid.uuid4()),
                        "X-Shopify-Triggered-At": now,
                        "X-Shopify-Hmac-Sha256": sign(TEST_SECRET, body),
                    },
                )
            )

        store.set_emitter(capture)
        try:
            yield kept
        finally:
            store.set_emitter(self.devstore.simulator.webhooks.submit)
            self.captured.extend(kept)


class ShiftedClock:
    """The real time plus an offset that a test moves on (a lease running out, say)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@contextlib.contextmanager
def local_stack(
    ddb_endpoint: str, table: str, *, data_dir: str | None = None
) -> Iterator[LocalStack]:
    """Start the simulator and the app against the DynamoDB at `ddb_endpoint` (table exists)."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    scratch = data_dir or tempfile.mkdtemp(prefix="hemline-storm-")  # outbox and files
    devstore = start_in_thread(
        api_key=API_KEY,
        api_secret=TEST_SECRET,
        app_url=app_url,
        webhook_retry_delays=(0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0),
    )
    settings = make_settings(
        DYNAMODB_ENDPOINT_URL=ddb_endpoint,
        HEMLINE_TABLE=table,
        HEMLINE_APP_URL=app_url,
        SHOPIFY_ADMIN_ORIGIN=devstore.url,
        HEMLINE_LOCAL_DATA=scratch,
    )
    # The app's own DynamoDB client (its timeouts and retries), as in production.
    clock = ShiftedClock()
    container = build_container(settings, clock=clock)
    # SQS redelivers a failing message for VisibilityTimeout x maxReceiveCount (minutes);
    # the local worker's retries stand in for that, so give them a comparable window.
    container.queue = InProcessWebhookQueue(
        container.process_webhook, workers=4, max_attempts=8, backoff_s=0.25
    )  # about 30 s of retries in all: longer than the outages injected here
    labels = InMemoryLabelProvider()
    container.label_provider_for = lambda shop: labels  # type: ignore[method-assign]
    assert container.outbox is not None
    mail = FlakyMailer(container.outbox)
    container.mailer = mail
    server = make_server(
        "127.0.0.1", port, create_app(container=container), threaded=True, request_handler=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalStack(
            app_url=app_url,
            devstore=devstore,
            container=container,
            labels=labels,
            mail=mail,
            ddb=dynamodb_client(settings),
            table=table,
            clock=clock,
        )
    finally:
        server.shutdown()
        devstore.stop()
        container.queue.close()  # type: ignore[attr-defined]
        if data_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)


# -- building a realistic set of webhooks --------------------------------------------------


@dataclass
class ShopPlan:
    """What one shop's storm is made of (order ids from the simulator)."""

    domain: str
    orders: list[int] = field(default_factory=list)
    backordered: list[int] = field(default_factory=list)
    returnable: list[int] = field(default_factory=list)
    # A shop on the lavish-ivy preset (delay compensation) whose orders carry a shipping
    # method, so the late ones are owed an upgrade, a credit and an apology; it has no
    # returnable orders (its returns policy is another shop's story).
    delays: bool = False
    # Its orders' delay checks, read just before the delay sweep: {order id: due at}.
    delay_checks: dict[int, datetime] = field(default_factory=dict)


def new_installed_shop(stack: LocalStack, *, delays: bool = False) -> ShopPlan:
    domain = f"storm{uuid.uuid4().hex[:10]}.myshopify.com"
    stack.sim("POST", "/shops", json=new_shop_body(domain))
    # /auth -> Shopify's grant screen -> /auth/callback -> the admin (which wants a session
    # token, so the last answer is 401): the store says whether the install happened.
    requests.get(f"{stack.app_url}/auth", params={"shop": domain}, timeout=60)
    shop = stack.container.store.get_shop(domain)
    if shop is None or not shop.is_installed:
        raise RuntimeError(f"{domain} did not install")
    # Labels need somewhere to send the parcels (the merchant's settings page sets it).
    shop = replace(shop, return_address=RETURN_ADDRESS)
    if delays:
        shop = replace(shop, policy_preset="lavish-ivy")
    stack.container.store.put_shop(shop)
    for sku, stock in ((IN_STOCK, 100_000), (OUT_OF_STOCK, 0)):
        stack.sim(
            "POST",
            f"/shops/{domain}/products",
            json={
                "title": "Smocked romper" if sku == IN_STOCK else "Linen dress",
                "product_type": "Rompers",
                "variants": [{"title": "3T", "sku": sku, "price": "48.00", "inventory": stock}],
            },
        )
        stack.sim(
            "POST",
            f"/shops/{domain}/inventory",
            json={"sku": sku, "available": stock, "incoming": 0},
        )
    stack.settle()
    return ShopPlan(domain, delays=delays)


def add_orders(stack: LocalStack, plan: ShopPlan, count: int, rng: random.Random) -> None:
    """Orders with everything that happens to orders: shipped, delivered, refunded by hand,
    put on hold, or waiting for stock that is not coming (a backorder notice)."""
    now = datetime.now(UTC)
    for _ in range(count):
        kind = rng.choices(
            ["returnable", "delivered", "shipped", "refunded", "held", "backordered", "placed"],
            # (A delay shop's preset sends no backorder notices and takes no returns of
            # worn items: its orders are about delivery promises.)
            weights=[0 if plan.delays else 3, 2, 2, 2, 1, 0 if plan.delays else 2, 1],
        )[0]
        placed = now - timedelta(days=8, minutes=rng.randint(0, 600))
        body: dict[str, Any] = {
            "customer": CUSTOMER,
            "lines": [{"sku": OUT_OF_STOCK if kind == "backordered" else IN_STOCK, "quantity": 1}],
            "created_at": placed.isoformat(),
        }
        if plan.delays:
            body["shipping"] = {"title": "Standard Shipping", "price": "8.00", "code": "std"}
        order = stack.sim("POST", f"/shops/{plan.domain}/orders", json=body)
        oid = int(order["id"])
        plan.orders.append(oid)
        path = f"/shops/{plan.domain}/orders/{oid}"
        if kind in ("returnable", "delivered", "shipped", "refunded"):
            stack.sim(
                "POST", f"{path}/fulfil", json={"at": (placed + timedelta(days=1)).isoformat()}
            )
        if kind in ("returnable", "delivered"):
            stack.sim("POST", f"{path}/deliver", json={"at": (now - timedelta(days=3)).isoformat()})
        if kind == "refunded":
            stack.sim("POST", f"{path}/refund", json={"at": (now - timedelta(days=2)).isoformat()})
        if kind == "held":
            stack.sim("POST", f"{path}/hold", json={"reason": "OTHER"})
        if kind == "backordered":
            plan.backordered.append(oid)
        if kind == "returnable":
            plan.returnable.append(oid)


def build_storm(
    stack: LocalStack, *, webhooks: int, shops: int, rng: random.Random, delay_shops: int = 0
) -> tuple[list[ShopPlan], list[Webhook]]:
    """Installed shops (`delay_shops` of them owing compensation for late orders) and at
    least `webhooks` distinct webhooks about their orders."""
    plans = [new_installed_shop(stack) for _ in range(shops)]
    plans += [new_installed_shop(stack, delays=True) for _ in range(delay_shops)]
    with stack.capturing() as kept:
        while len(kept) < webhooks:
            for plan in plans:
                add_orders(stack, plan, 5, rng)
    return plans, kept


# -- sending --------------------------------------------------------------------------------


@dataclass
class SendReport:
    deliveries: int = 0  # distinct webhooks
    requests: int = 0  # HTTP requests made, retries included
    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0  # connection refused or timed out (Shopify retries those too)
    rejected: list[tuple[str, int]] = field(default_factory=list)  # 4xx that is not a retry signal
    gave_up: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def storm_schedule(
    hooks: list[Webhook], rng: random.Random, *, max_copies: int = 10
) -> list[Webhook]:
    """Each webhook 1..max_copies times, shuffled; some fulfillments go before their orders."""
    copies = [h for h in hooks for _ in range(rng.randint(1, max_copies))]
    rng.shuffle(copies)
    early = [h for h in hooks if h.topic == "fulfillments/create"]
    early = rng.sample(early, k=max(1, len(early) // 5)) if early else []
    return early + copies


def send_storm(
    stack: LocalStack,
    schedule: list[Webhook],
    *,
    senders: int = SENDERS,
    deadline_s: float = 300.0,
    on_progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Send every delivery from `senders` threads; like Shopify, retry whatever is not
    answered 2xx (5xx, 429, no answer) with backoff until it is, or the deadline passes."""
    report = SendReport(deliveries=len({h.headers["X-Shopify-Webhook-Id"] for h in schedule}))
    lock = threading.Lock()
    cursor = iter(enumerate(schedule))
    deadline = time.monotonic() + deadline_s

    def sender() -> None:
        http = requests.Session()
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            index, hook = item
            if on_progress is not None:
                on_progress(index)
            delay = 0.05
            while True:
                try:
                    res = http.post(
                        f"{stack.app_url}/webhooks",
                        data=hook.body,
                        headers=hook.headers,
                        timeout=15,
                    )
                    status: int | None = res.status_code
                except requests.RequestException:
                    status = None
                with lock:
                    report.requests += 1
                    if status is None:
                        report.unanswered += 1
                    else:
                        report.statuses[status] += 1
                if status is not None and 200 <= status < 300:
                    break
                if status is not None and 400 <= status < 500 and status != 429:
                    with lock:
                        report.rejected.append((hook.topic, status))
                    break
                if time.monotonic() > deadline:
                    with lock:
                        report.gave_up += 1
                    break
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    started = time.monotonic()
    threads = [threading.Thread(target=sender, name=f"sender-{i}") for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.seconds = time.monotonic() - started
    return report


# -- returns under load: labels, refunds, credits, emails ------------------------------------

_EXPECTED_RETURN_ERRORS = (InvalidInput, InvalidTransition, Conflict)


def run_returns(
    stack: LocalStack,
    plans: list[ShopPlan],
    rng: random.Random,
    *,
    senders: int = SENDERS,
    max_copies: int = 4,
    deadline_s: float = 180.0,
) -> dict[str, str]:
    """Customers ask to return each returnable order (each ask repeated, as double clicks and
    retries do), then staff receive and refund or credit each return (also repeated), all
    from concurrent threads. Returns {rma number: shop}."""
    ctx = stack.container.returns_context()
    store = stack.container.store
    created: dict[str, str] = {}
    last_error: dict[str, str] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + deadline_s

    def ask(shop: str, order_id: int) -> None:
        view = store.get_order(shop, order_id)
        if view is None:
            raise RuntimeError(f"order {order_id} was never stored")
        line = view.order.line_items[0]
        try:
            rma = returns.request_return(
                ctx,
                store.get_shop(shop),  # type: ignore[arg-type]
                view,
                [RequestedLine(line.id, 1, "size_fit", "refund", "unworn_tags_attached")],
                customer_email=CUSTOMER["email"],
            )
        except _EXPECTED_RETURN_ERRORS:
            return  # a twin got the items first
        with lock:
            created[rma.number] = shop

    def settle_one(shop: str, number: str) -> None:
        known = store.get_shop(shop)
        assert known is not None
        while time.monotonic() < deadline:
            rma = store.get_rma(shop, number)
            assert rma is not None
            if rma.state in ("refunded", "credited"):
                return
            try:
                if rma.state == "approved" and rma.prepaid_label and not rma.label:
                    from app.services import return_effects

                    return_effects.issue_label(ctx, known, rma)
                elif rma.state in ("approved", "label_issued", "in_transit", "delivered"):
                    line = rma.lines[0]
                    returns.receive_return(
                        ctx,
                        known,
                        number,
                        actor="staff:1",
                        received={line.line_item_id: (1, "unworn_tags_attached", True)},
                    )
                elif wants_refund(number):
                    returns.refund_return(ctx, known, number, actor="staff:1")
                else:
                    returns.credit_return(ctx, known, number, actor="staff:1")
            except (InvalidTransition, Conflict) as exc:
                last_error[number] = f"{type(exc).__name__}: {exc}"  # a twin moved it on
                time.sleep(0.05)
            except UpstreamError as exc:
                last_error[number] = f"{type(exc).__name__}: {exc}"
                if not exc.retryable:
                    raise
                time.sleep(0.5)  # as the queue or a staff member would try again

    def run(tasks: list[Callable[[], None]]) -> None:
        rng.shuffle(tasks)
        errors: list[BaseException] = []
        it = iter(tasks)

        def worker() -> None:
            while True:
                with lock:
                    task = next(it, None)
                if task is None:
                    return
                try:
                    task()
                except BaseException as exc:  # re-raised after the join
                    with lock:
                        errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    asks: list[Callable[[], None]] = []
    for plan in plans:
        for oid in plan.returnable:
            for _ in range(rng.randint(1, max_copies)):
                asks.append(lambda s=plan.domain, o=oid: ask(s, o))
    run(asks)
    settles: list[Callable[[], None]] = []
    for number, shop in created.items():
        for _ in range(rng.randint(1, max_copies)):
            settles.append(lambda s=shop, n=number: settle_one(s, n))
    run(settles)
    stack.last_errors.update(last_error)
    return created


# -- the census -----------------------------------------------------------------------------


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    lost: int = 0
    doubled: int = 0

    def add(
        self, expected: int, found: int, *, lost: int | None = None, doubled: int | None = None
    ) -> None:
        self.expected += expected
        self.found += found
        self.lost += max(0, expected - found) if lost is None else lost
        self.doubled += max(0, found - expected) if doubled is None else doubled


@dataclass
class Census:
    kinds: dict[str, Tally] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def tally(self, kind: str) -> Tally:
        return self.kinds.setdefault(kind, Tally())

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.kinds.values())

    @property
    def doubled(self) -> int:
        return sum(t.doubled for t in self.kinds.values())

    def summary(self) -> str:
        rows = [
            f"{k}: expected {t.expected}, found {t.found}, lost {t.lost}, doubled {t.doubled}"
            for k, t in sorted(self.kinds.items())
        ]
        return "\n".join(rows + self.problems)


def _table_items(stack: LocalStack, shop: str, prefix: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": stack.table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :p)",
        "ExpressionAttributeValues": {":pk": {"S": f"SHOP#{shop}"}, ":p": {"S": prefix}},
        "ProjectionExpression": "SK",
        "ConsistentRead": True,
    }
    while True:
        page = stack.ddb.query(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def take_census(
    stack: LocalStack, plans: list[ShopPlan], rmas: dict[str, str], *, returns_asked: bool = True
) -> Census:
    """Count everything the storm should have made, where it lives, against what should exist
    (a return for every returnable order when `returns_asked`)."""
    census = Census()
    store = stack.container.store
    outbox = stack.container.outbox
    assert outbox is not None
    mails = Counter(m.headers.get("X-Entity-Ref-ID", "") for m in outbox.list())
    purchases = Counter(ref for ref in stack.labels.labels)
    ledger = DynamoLedger(store)
    for plan in plans:
        shop = plan.domain
        known = store.get_shop(shop)
        assert known is not None
        sim_orders = {int(o["id"]): o for o in stack.sim("GET", f"/shops/{shop}/orders")}
        sim_fulfillments = {int(f["id"]) for o in sim_orders.values() for f in o["fulfillments"]}
        sim_refunds = stack.sim("GET", f"/shops/{shop}/refunds")
        sks = [i["SK"]["S"] for i in _table_items(stack, shop, "ORDER#")]
        stored_orders = [int(sk[6:26]) for sk in sks if _ORDER_SK.match(sk)]
        stored_fuls = [int(sk[-20:]) for sk in sks if _FUL_SK.match(sk)]
        stored_refs = [int(sk[-20:]) for sk in sks if _REF_SK.match(sk)]
        census.tally("orders").add(
            len(sim_orders),
            len(set(stored_orders) & set(sim_orders)),
            lost=len(set(sim_orders) - set(stored_orders)),
            doubled=0,
        )
        # Analytics count each order once, when first stored: a double shows here.
        months = {
            known.month_of(datetime.fromisoformat(o["created_at"])) for o in sim_orders.values()
        }
        counted = sum(int(store.stats_for_month(shop, m).get("orders", 0)) for m in months)
        census.tally("orders counted in analytics").add(len(sim_orders), counted)
        census.tally("fulfillments").add(
            len(sim_fulfillments),
            len(set(stored_fuls) & sim_fulfillments),
            lost=len(sim_fulfillments - set(stored_fuls)),
            doubled=0,
        )
        sim_refund_ids = {int(r["id"]) for r in sim_refunds}
        census.tally("refunds recorded").add(
            len(sim_refund_ids),
            len(set(stored_refs) & sim_refund_ids),
            lost=len(sim_refund_ids - set(stored_refs)),
            doubled=0,
        )
        # Backorder notices: one per order waiting for stock, one email each, counted once.
        notices = [oid for oid in plan.backordered if store.get_backorder_notice(shop, oid)]
        census.tally("backorder notices").add(len(plan.backordered), len(notices))
        month_now = known.month_of(datetime.now(UTC))
        counted_notices = int(store.stats_for_month(shop, month_now).get("backorder_notices", 0))
        census.tally("backorder notices counted").add(len(plan.backordered), counted_notices)
        census.tally("backorder emails").add(
            len(plan.backordered),
            sum(min(mails[f"backorder:{oid}"], 1) for oid in plan.backordered),
            doubled=sum(max(0, mails[f"backorder:{oid}"] - 1) for oid in plan.backordered),
        )
        # Returns: one RMA per returnable order, one Shopify return, one label, one refund
        # or credit in Shopify, and each of its emails once.
        shop_rmas = [n for n, s in rmas.items() if s == shop]
        by_order = Counter(store.get_rma(shop, n).order_id for n in shop_rmas)  # type: ignore[union-attr]
        census.tally("returns").add(
            len(plan.returnable) if returns_asked else 0,
            len(by_order),
            lost=sum(1 for oid in plan.returnable if oid not in by_order) if returns_asked else 0,
            doubled=sum(c - 1 for c in by_order.values()),
        )
        sim_returns = Counter(r["order_gid"] for r in stack.sim("GET", f"/shops/{shop}/returns"))
        census.tally("Shopify returns").add(
            len(shop_rmas),
            sum(min(c, 1) for c in sim_returns.values()),
            doubled=sum(c - 1 for c in sim_returns.values()),
        )
        credits = [
            t for a in stack.sim("GET", f"/shops/{shop}/store_credit") for t in a["transactions"]
        ]
        refunded_by_return = Counter(
            r["order_gid"]
            for r in sim_refunds
            if int(r["order_gid"].rsplit("/", 1)[1]) in plan.returnable
        )
        final = {n: store.get_rma(shop, n) for n in shop_rmas}
        want_refund = [n for n, r in final.items() if r and r.state != "credited"]
        want_credit = [n for n, r in final.items() if r and r.state == "credited"]
        census.tally("return refunds in Shopify").add(
            len(want_refund),
            sum(min(c, 1) for c in refunded_by_return.values()),
            doubled=sum(c - 1 for c in refunded_by_return.values()),
        )
        if not plan.delays:  # a delay shop's credits are counted by _delay_census
            census.tally("store credits in Shopify").add(len(want_credit), len(credits))
        for number, rma in final.items():
            assert rma is not None
            if rma.state not in ("refunded", "credited"):
                census.problems.append(
                    f"{shop} return {number} stuck in {rma.state} "
                    f"(last error: {stack.last_errors.get(number, 'none')})"
                )
            reference = f"{shop}/{number}"
            census.tally("labels").add(
                1 if rma.prepaid_label else 0,
                min(purchases[reference], 1) if rma.label else 0,
                doubled=max(0, purchases[reference] - 1),
            )
            keys = [f"{number}:return_approved:label", f"{number}:return_received"]
            keys.append(
                f"{number}:{'store_credit' if rma.state == 'credited' else 'refund'}_issued"
            )
            # An email a later one overtook while the mail sender was down is dropped, on
            # record: accounted for, not lost.
            dropped = [k for k in keys if not mails[k] and _dropped(ledger, shop, k)]
            census.tally("return emails dropped as overtaken").add(len(dropped), len(dropped))
            census.problems.extend(
                f"{shop} email {k} never sent" for k in keys if not mails[k] and k not in dropped
            )
            census.tally("return emails").add(
                len(keys),
                sum(min(mails[k], 1) for k in keys) + len(dropped),
                doubled=sum(max(0, mails[k] - 1) for k in keys),
            )
        if plan.delays:
            _delay_census(census, stack, plan, sim_orders, mails)
    census.tally("emails (any)").add(
        sum(1 for c in mails.values() if c),
        sum(mails.values()),
        lost=0,
        doubled=sum(c - 1 for c in mails.values() if c > 1),
    )
    return census


def _delivered_at(sim_order: dict[str, Any]) -> datetime | None:
    """When the whole order arrived (its last parcel), or None while any is still out."""
    parcels = [f for f in sim_order["fulfillments"] if f.get("status", "SUCCESS") == "SUCCESS"]
    if not parcels or any(not f.get("delivered_at") for f in parcels):
        return None
    return max(datetime.fromisoformat(f["delivered_at"]) for f in parcels)


def _delay_census(
    census: Census,
    stack: LocalStack,
    plan: ShopPlan,
    sim_orders: dict[int, dict[str, Any]],
    mails: Counter[str],
) -> None:
    """Late orders: each owed one compensation (a DELAY record), one upgrade, one credit in
    Shopify for the amount recorded, one apology, counted once in the month's analytics."""
    from app.services import delays

    store = stack.container.store
    shop = plan.domain
    owed: list[int] = []
    for oid in plan.orders:
        arrived = _delivered_at(sim_orders[oid])
        due_at = plan.delay_checks.get(oid)
        if due_at is None:
            # No check means it was delivered in time (the check was dropped then).
            if arrived is None:
                census.problems.append(f"{shop} order {oid} undelivered without a delay check")
            continue
        if arrived is None or arrived > due_at:
            owed.append(oid)
    records = {oid: store.get_delay(shop, oid) for oid in plan.delay_checks}
    done = {oid: r for oid, r in records.items() if r}
    census.tally("late orders compensated").add(
        len(owed), sum(1 for oid in owed if oid in done), doubled=len(set(done) - set(owed))
    )
    later = stack.clock.now() + timedelta(days=60)
    census.problems.extend(
        f"{shop} delay check for order {w.ref} still due"
        for w in store.due_work(delays.KIND, later)
        if w.shop == shop
    )
    given = [r["credit"] for r in done.values() if r["credit"].get("kind")]
    census.problems.extend(
        f"{shop} delay credit for order {oid} unconfirmed"
        for oid, r in done.items()
        if r["credit"].get("unconfirmed")
    )
    credits = [
        Decimal(t["amount"])
        for a in stack.sim("GET", f"/shops/{shop}/store_credit")
        for t in a["transactions"]
    ]
    cards = [Decimal(c["balance"]) for c in stack.sim("GET", f"/shops/{shop}/gift_cards")]
    census.tally("delay credits in Shopify").add(len(given), len(credits) + len(cards))
    recorded = sum((Decimal(str(g["amount"])) for g in given), Decimal("0.00"))
    if recorded != sum(credits + cards, Decimal("0.00")):
        census.problems.append(
            f"{shop} delay credits recorded {recorded} but Shopify holds {sum(credits + cards)}"
        )
    # An upgraded order has one shipping line, renamed to the faster method (at its price).
    edited = [oid for oid, r in done.items() if r["upgrade"].get("mode") == "order_edit"]
    census.tally("shipping upgrades (order edits)").add(
        len(edited),
        sum(
            1
            for oid in edited
            if [sl["title"] for sl in sim_orders[oid]["shipping_lines"]] == ["Expedited"]
        ),
    )
    census.tally("delay apology emails").add(
        len(done),
        sum(min(mails[f"delay:{oid}"], 1) for oid in done),
        doubled=sum(max(0, mails[f"delay:{oid}"] - 1) for oid in done),
    )
    month = store.get_shop(shop).month_of(stack.clock.now())  # type: ignore[union-attr]
    census.tally("delays counted in analytics").add(
        len(done), int(store.stats_for_month(shop, month).get("delays", 0))
    )


def _dropped(ledger: DynamoLedger, shop: str, key: str) -> bool:
    record = ledger.get(shop, f"mail:{key}")
    return bool(record and record.result and record.result.get("dropped"))


def wants_refund(number: str) -> bool:
    """Half the returns end in a refund, half in store credit (decided by the number)."""
    return sum(map(ord, number)) % 2 == 1


def returnable_orders(plans: list[ShopPlan]) -> int:
    return sum(len(p.returnable) for p in plans)
