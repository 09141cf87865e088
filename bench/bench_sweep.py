"""Benchmark of the delay sweep's reads: they grow with the orders due, not with the table.

`python bench/bench_sweep.py [--quick]` starts DynamoDB Local (in memory, as the tests
do), batch-writes realistic order items (orders with their lines, fulfillments) for
100,000 orders across 20 shops (--quick: 5,000), schedules the delay checks of 100
late orders and of every order still inside its promise, and runs the sweep's read
path (`run_due` over GSI2, with a handler that leaves the work in place) twice: with a
tenth of the orders loaded, then with all of them. It prints figures, then one JSON
object as its last line; `sweep_reads_per_due` = consumed read units / due items.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from boto3.dynamodb.types import TypeSerializer

from app.adapters.dynamo import codec, keys
from app.adapters.dynamo.store import DynamoStore
from app.domain.orders import Fulfillment, FulfillmentLine, LineItem, OrderSnapshot, OrderView
from app.domain.shops import Shop
from app.observability import logger
from app.services import delays
from app.services.proactive import run_due
from infra.local import dynamodb_local
from infra.local.tables import ensure_table
from policies import load_preset

FULL = 100_000
QUICK = 5_000  # CI: a gross regression shows at any size
DUE = 100
SHOPS = 20
BUDGET = 1.2  # read units per due order
TABLE = "hemline-bench"
# A fixed "now" so that runs compare; orders are placed in the 120 days before it.
NOW = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)
POLICY = load_preset("lavish-ivy")
WORKERS = 8

_ser = TypeSerializer()
_TITLES = ["Cashmere throw", "Linen robe", "Silk pillowcase", "Bespoke gown", "Boxed loungewear"]
_SHIPPING = ["Standard Shipping"] * 6 + ["Expedited"] * 3 + ["Local pickup"]


def _shop(index: int) -> Shop:
    return Shop(
        domain=f"bench-{index:02d}.myshopify.com",
        status="installed",
        name=f"Bench shop {index}",
        country="US",
        timezone="America/New_York",
        policy_preset="lavish-ivy",
    )


def _order(rng: random.Random, order_id: int, placed: datetime, shipping: str) -> OrderSnapshot:
    lines = tuple(
        LineItem(
            id=order_id * 10 + n,
            title=rng.choice(_TITLES),
            quantity=rng.randrange(1, 3),
            price=Decimal(rng.randrange(2_000, 40_000)) / 100,
            sku=f"SKU-{rng.randrange(1, 500):04d}",
            variant_id=rng.randrange(1, 10**12),
            product_id=rng.randrange(1, 10**12),
        )
        for n in range(rng.randrange(1, 4))
    )
    subtotal = sum((ln.price * ln.quantity for ln in lines), Decimal("0.00"))
    return OrderSnapshot(
        id=order_id,
        name=f"#{order_id % 1_000_000}",
        created_at=placed,
        updated_at=placed,
        currency="USD",
        subtotal=subtotal,
        total=subtotal + Decimal("12.00"),
        line_items=lines,
        email=f"customer{order_id}@example.com",
        customer_id=order_id + 7,
        shipping_price=Decimal("12.00"),
        shipping_country="US",
        shipping_zip="11201",
        shipping_method=shipping,
        financial_status="paid",
    )


def _fulfillment(order: OrderSnapshot, delivered: bool) -> Fulfillment:
    shipped = order.created_at + timedelta(days=1)
    arrived = shipped + timedelta(days=4) if delivered else None
    return Fulfillment(
        id=order.id + 1,
        order_id=order.id,
        status="success",
        created_at=shipped,
        updated_at=arrived or shipped,
        shipment_status="delivered" if delivered else "in_transit",
        tracking_company="USPS",
        tracking_number=f"9400{order.id:018d}",
        lines=tuple(FulfillmentLine(ln.id, ln.quantity) for ln in order.line_items),
        delivered_at=arrived,
    )


def _items(shop: str, view: OrderView) -> list[dict[str, Any]]:
    """The items the app stores for an order (as save_order and save_fulfillment do)."""
    order = view.order
    items = [
        {
            "PK": keys.shop_pk(shop),
            "SK": keys.order_sk(order.id),
            **codec.order_to_item(order),
            "GSI3PK": keys.order_number_gsi3pk(shop, order.number),
            "GSI3SK": keys.order_sk(order.id),
            "GSI1PK": keys.customer_orders_gsi1pk(shop, order.customer_id or 0),
            "GSI1SK": keys.order_sk(order.id),
        }
    ]
    for f in view.fulfillments:
        items.append(
            {
                "PK": keys.shop_pk(shop),
                "SK": keys.fulfillment_sk(order.id, f.id),
                **codec.fulfillment_to_item(f),
            }
        )
    return items


def orders(start: int, count: int, late: int, seed: int = 11) -> Iterator[tuple[Shop, OrderView]]:
    """Orders `start`..`start + count`: the first `late` are late (not delivered 40-60 days
    on); of the rest, those placed in the last 10 days are in transit or unshipped
    (inside their promise) and the older ones were delivered."""
    rng = random.Random(seed + start)
    for n in range(start, start + count):
        order_id = 5_000_000_000 + n
        shop = _shop(n % SHOPS)
        if n - start < late:
            placed = NOW - timedelta(days=rng.randrange(40, 60), hours=rng.randrange(24))
            order = _order(rng, order_id, placed, rng.choice(["Standard Shipping", "Expedited"]))
            fulfillments = (_fulfillment(order, False),) if rng.random() < 0.5 else ()
        else:
            placed = NOW - timedelta(days=rng.randrange(0, 120), hours=rng.randrange(24))
            order = _order(rng, order_id, placed, rng.choice(_SHIPPING))
            recent = NOW - placed < timedelta(days=10)
            shipped = not recent or rng.random() < 0.6
            fulfillments = (_fulfillment(order, not recent),) if shipped else ()
        yield shop, OrderView(order, fulfillments)


def _batch(client: Any, items: list[dict[str, Any]]) -> None:
    pending = {
        TABLE: [
            {"PutRequest": {"Item": {k: _ser.serialize(v) for k, v in i.items()}}} for i in items
        ]
    }
    while pending:
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def load(client: Any, store: DynamoStore, start: int, count: int, late: int) -> tuple[int, int]:
    """Write `count` orders and schedule their delay checks; (items written, checks)."""
    batches: list[list[dict[str, Any]]] = [[]]
    checks = []
    for shop, view in orders(start, count, late):
        for item in _items(shop.domain, view):
            if len(batches[-1]) == 25:
                batches.append([])
            batches[-1].append(item)
        check = delays.delay_check(POLICY, shop, view)
        if check is not None:
            checks.append((shop.domain, str(view.order.id), *check))
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda b: _batch(client, b), batches))
        list(pool.map(lambda c: store.put_due(c[0], delays.KIND, c[1], c[2], c[3]), checks))
    return sum(len(b) for b in batches), len(checks)


def measure(store: DynamoStore) -> dict[str, float]:
    """Run the sweep's read path once; read units per due order and how long it took."""
    store.read_units = 0.0
    started = time.perf_counter()
    result = run_due(store, delays.KIND, NOW, lambda work, shop: False)
    elapsed = time.perf_counter() - started
    return {
        "due": result.due,
        "read_units": round(store.read_units, 2),
        "reads_per_due": round(store.read_units / max(result.due, 1), 4),
        "sweep_ms": round(elapsed * 1000, 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    total = QUICK if quick else FULL
    small = total // 10
    with dynamodb_local.running(in_memory=True) as ddb:
        client = boto3.client(
            "dynamodb",
            endpoint_url=ddb.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        ensure_table(client, TABLE)
        store = DynamoStore(client, TABLE)
        for index in range(SHOPS):
            store.put_shop(_shop(index))
        started = time.perf_counter()
        items_small, checks_small = load(client, store, 0, small, DUE)
        before = measure(store)
        items_rest, checks_rest = load(client, store, small, total - small, 0)
        load_s = time.perf_counter() - started
        after = measure(store)
    return {
        "backend": ddb.kind,
        "orders": total,
        "items": items_small + items_rest,
        "scheduled_checks": checks_small + checks_rest,
        "due": after["due"],
        "sweep_reads_per_due": after["reads_per_due"],
        "sweep_read_units": after["read_units"],
        "sweep_ms": after["sweep_ms"],
        "orders_small": small,
        "due_small": before["due"],
        "sweep_reads_per_due_small": before["reads_per_due"],
        "sweep_read_units_small": before["read_units"],
        "budget_reads_per_due": BUDGET,
        "load_s": round(load_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 orders instead of 100,000")
    args = parser.parse_args(argv)
    logger.setLevel("WARNING")  # the figures, not a log line per sweep
    figures = run(quick=args.quick)
    verdict = "within" if figures["sweep_reads_per_due"] <= BUDGET else "OVER"
    print(
        f"delay sweep ({figures['backend']}): {figures['orders']:,} orders"
        f" ({figures['items']:,} items, {figures['scheduled_checks']:,} scheduled checks,"
        f" loaded in {figures['load_s']:.1f} s), {figures['due']} due:"
        f" {figures['sweep_read_units']:.1f} read units, {figures['sweep_reads_per_due']:.3f}"
        f" per due order in {figures['sweep_ms']:.0f} ms ({verdict} the {BUDGET} budget)"
    )
    print(
        f"with {figures['orders_small']:,} orders, {figures['due_small']} due:"
        f" {figures['sweep_read_units_small']:.1f} read units,"
        f" {figures['sweep_reads_per_due_small']:.3f} per due order"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
