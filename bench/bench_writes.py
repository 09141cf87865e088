"""Benchmark of DynamoDB writes per order over its life, and what they cost per 10,000 orders.

`python bench/bench_writes.py [--quick]` starts the local stack (bench/stack.py: DynamoDB
Local, the dev-store simulator, the app in local mode with its in-process webhook queue),
installs a shop through OAuth, then takes 10 orders (--quick: 3) through a whole life:
placed, fulfilled and delivered in Shopify (each webhook acked, recorded and processed
by the app as in production), then one return requested through the service (approved at
once by the policy: Shopify return, label, email), received, and refunded (Shopify's
refunds/create webhook comes back and is applied). Every call of the app's DynamoDB
client asks for ReturnConsumedCapacity=TOTAL; units are summed per step (install and set-up
not counted). Write units are billed as AWS bills them (a transactional write twice, a
write refused by its condition as one unit; DynamoDB Local reports neither), and priced at
on-demand list prices in us-east-1 per million request units. It prints the steps, then one
JSON object as its last line (`writes_per_order`, `cost_per_10k_orders_usd`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.observability import logger
from app.services import returns
from app.services.eligibility import RequestedLine
from bench.stack import Stack, local_stack

FULL = 10
QUICK = 3
# On-demand list prices in us-east-1, USD per million request units: the issue's figures,
# and the prices since AWS halved on-demand throughput prices on 1 November 2024.
PRICES = {"issue": (1.25, 0.25), "since_2024_11": (0.625, 0.125)}
# AWS Lambda list prices in us-east-1 (x86): USD per GB-second of duration and per million
# requests; the function's memory is zappa_settings.json's memory_size.
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_PER_MILLION_REQUESTS = 0.20
SETTINGS = Path(__file__).resolve().parent.parent / "zappa_settings.json"
STEPS = ("create", "fulfil", "deliver", "return", "receive", "refund")


def _life(
    stack: Stack, shop: str, sku: str, measure: Callable[[str, Callable[[], Any]], Any]
) -> None:
    """One order from checkout to refund, each step measured."""
    placed = datetime.now(UTC) - timedelta(days=6)
    order = measure(
        "create",
        lambda: _then_wait(
            stack,
            stack.sim(
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
                    "lines": [{"sku": sku, "quantity": 1}],
                    "created_at": placed.isoformat(),
                },
            ),
        ),
    )
    path = f"/shops/{shop}/orders/{order['id']}"
    at = (placed + timedelta(days=1)).isoformat()
    measure(
        "fulfil", lambda: _then_wait(stack, stack.sim("POST", f"{path}/fulfil", json={"at": at}))
    )
    at = (placed + timedelta(days=3)).isoformat()
    measure(
        "deliver", lambda: _then_wait(stack, stack.sim("POST", f"{path}/deliver", json={"at": at}))
    )
    ctx = stack.container.returns_context()
    known = stack.container.store.get_shop(shop)
    view = stack.container.store.get_order(shop, int(order["id"]))
    assert known is not None and view is not None and view.delivered_at is not None
    line = view.order.line_items[0]
    rma = measure(
        "return",
        lambda: _then_wait(
            stack,
            stack.invocations.timed(returns.request_return)(
                ctx,
                known,
                view,
                [RequestedLine(line.id, 1, "size_fit", "refund", "unworn_tags_attached")],
                customer_email="ada@example.com",
            ),
        ),
    )
    if rma.state not in ("approved", "label_issued"):
        raise RuntimeError(f"the return was not approved at once ({rma.state}: {rma.timeline})")
    measure(
        "receive",
        lambda: _then_wait(
            stack,
            stack.invocations.timed(returns.receive_return)(
                ctx,
                known,
                rma.number,
                actor="staff:1",
                received={line.id: (1, "unworn_tags_attached", True)},
            ),
        ),
    )
    refunded = measure(
        "refund",
        lambda: _then_wait(
            stack,
            stack.invocations.timed(returns.refund_return)(ctx, known, rma.number, actor="staff:1"),
        ),
    )
    if refunded.state != "refunded":
        raise RuntimeError(f"the return was not refunded ({refunded.state})")


def _then_wait(stack: Stack, result: Any) -> Any:
    """Let every webhook the step caused arrive and be processed, so its writes count here."""
    stack.wait_for_webhooks()
    return result


def run(quick: bool = False) -> dict[str, Any]:
    count = QUICK if quick else FULL
    per_step = {
        s: {
            "write_units": 0.0,
            "writes": 0,
            "read_units": 0.0,
            "reads": 0,
            "invocations": 0,
            "ms": 0.0,
        }
        for s in STEPS
    }
    by_op: dict[str, dict[str, float]] = {s: {} for s in STEPS}
    with local_stack() as stack:
        shop = stack.installed_shop()
        sku = stack.product(shop)
        meter = stack.meter

        def measure(step: str, action: Callable[[], Any]) -> Any:
            meter.reset()
            stack.invocations.reset()
            result = action()
            with stack.invocations.lock:
                per_step[step]["invocations"] += stack.invocations.count
                per_step[step]["ms"] += stack.invocations.seconds * 1000
            with meter.lock:
                tally = per_step[step]
                tally["write_units"] += meter.billed_write_units
                tally["writes"] += meter.total_calls(writes=True)
                tally["read_units"] += meter.read_units
                tally["reads"] += meter.total_calls(writes=False)
                for op, n in meter.calls.items():
                    entry = by_op[step].setdefault(op, 0.0)
                    by_op[step][op] = entry + n
                for op, units in meter.units.items():
                    key = f"{op} units"
                    by_op[step][key] = by_op[step].get(key, 0.0) + units
            return result

        for _ in range(count):
            _life(stack, shop, sku, measure)
        backend = stack.backend
    figures: dict[str, Any] = {"backend": backend, "orders": count}
    for step, tally in per_step.items():
        figures[f"writes_{step}"] = round(tally["write_units"] / count, 2)
        figures[f"write_calls_{step}"] = round(tally["writes"] / count, 2)
        figures[f"reads_{step}"] = round(tally["read_units"] / count, 2)
        figures[f"invocations_{step}"] = round(tally["invocations"] / count, 2)
        figures[f"lambda_ms_{step}"] = round(tally["ms"] / count, 1)
    figures["calls_by_step"] = {
        step: {op: round(n / count, 2) for op, n in sorted(ops.items())}
        for step, ops in by_op.items()
    }
    figures["writes_per_order"] = round(sum(t["write_units"] for t in per_step.values()) / count, 2)
    figures["write_calls_per_order"] = round(sum(t["writes"] for t in per_step.values()) / count, 2)
    figures["reads_per_order"] = round(sum(t["read_units"] for t in per_step.values()) / count, 2)
    for name, (write_price, read_price) in PRICES.items():
        suffix = "" if name == "issue" else f"_{name}"
        figures[f"cost_per_10k_orders_usd{suffix}"] = round(
            10_000
            * (figures["writes_per_order"] * write_price + figures["reads_per_order"] * read_price)
            / 1e6,
            4,
        )
    memory_mb = json.loads(SETTINGS.read_text())["prod"]["memory_size"]
    invocations = sum(t["invocations"] for t in per_step.values()) / count
    lambda_ms = sum(t["ms"] for t in per_step.values()) / count
    figures["lambda_memory_mb"] = memory_mb
    figures["lambda_invocations_per_order"] = round(invocations, 2)
    figures["lambda_ms_per_order"] = round(lambda_ms, 1)
    figures["lambda_cost_per_10k_orders_usd"] = round(
        10_000
        * (
            lambda_ms / 1000 * memory_mb / 1024 * LAMBDA_GB_SECOND
            + invocations * LAMBDA_PER_MILLION_REQUESTS / 1e6
        ),
        4,
    )
    figures["total_cost_per_10k_orders_usd"] = round(
        figures["cost_per_10k_orders_usd"] + figures["lambda_cost_per_10k_orders_usd"], 4
    )
    figures["prices_usd_per_million"] = {
        name: {"write": w, "read": r} for name, (w, r) in PRICES.items()
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} orders instead of {FULL}")
    args = parser.parse_args(argv)
    logger.setLevel("WARNING")  # the figures, not a log line per webhook
    f = run(quick=args.quick)
    print(f"DynamoDB units per order over its life ({f['backend']}, {f['orders']} orders):")
    for step in STEPS:
        print(
            f"  {step:8} {f[f'writes_{step}']:6.1f} write units ({f[f'write_calls_{step}']:.1f} calls),"
            f" {f[f'reads_{step}']:6.1f} read units; {f[f'invocations_{step}']:.1f} invocations,"
            f" {f[f'lambda_ms_{step}']:.0f} ms"
        )
    issue_w, issue_r = PRICES["issue"]
    now_w, now_r = PRICES["since_2024_11"]
    print(
        f"  total    {f['writes_per_order']:6.1f} write units ({f['write_calls_per_order']:.1f} calls),"
        f" {f['reads_per_order']:6.1f} read units: ${f['cost_per_10k_orders_usd']:.3f} per 10,000"
        f" orders at ${issue_w}/${issue_r} per million write/read units"
        f" (${f['cost_per_10k_orders_usd_since_2024_11']:.3f} at ${now_w}/${now_r}, the on-demand"
        " prices since November 2024; us-east-1)"
    )
    print(
        f"  Lambda   {f['lambda_invocations_per_order']:.1f} invocations, {f['lambda_ms_per_order']:.0f} ms"
        f" at {f['lambda_memory_mb']} MB: ${f['lambda_cost_per_10k_orders_usd']:.3f} per 10,000 orders"
        f" (${LAMBDA_GB_SECOND:.10f}/GB-s, ${LAMBDA_PER_MILLION_REQUESTS:.2f}/million requests)"
    )
    print(
        f"  DynamoDB + Lambda: ${f['total_cost_per_10k_orders_usd']:.3f} per 10,000 orders"
        " (at the issue's DynamoDB prices)"
    )
    print(json.dumps(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
