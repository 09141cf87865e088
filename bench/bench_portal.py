"""Benchmark of the customers' portal: from the look-up form to the eligibility page, p95.

`python bench/bench_portal.py [--quick]` starts the local stack (bench/stack.py: DynamoDB
Local, the dev-store simulator, the app in local mode), installs a shop through the real
OAuth flow and puts one order through Shopify (placed, fulfilled, delivered; every
webhook processed), then copies it in the store under 300 order numbers (--quick: 60),
so that each look-up is a customer's first within the portal's rate-limit windows (each
also comes from its own client address). For each order a new visitor opens the look-up
form (not timed), posts the order number and email, and follows the redirect to the
order page, which decides every item's eligibility and asks Shopify (the simulator) for
the product's other sizes. The server time of those two requests (WSGI call in to status
line out, in-process) is summed per look-up; it prints p50/p95/max, then one JSON object
as its last line (`portal_p95_ms`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.observability import logger
from bench.stack import Stack, local_stack

FULL = 300
QUICK = 60
WARMUP = 10
BUDGET_MS = 50.0
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _timed(wsgi: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    """Records each request's server time: WSGI call in to status line out."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()

        def timed_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            spent.append(time.perf_counter() - started)
            return start_response(status, headers, exc_info)

        return wsgi(environ, timed_start)

    return app


def _orders(stack: Stack, shop: str, count: int) -> list[str]:
    """`count` delivered orders of one customer: one through Shopify, the rest copies of it."""
    sku = stack.product(shop)
    view = stack.delivered_order(shop, sku)
    numbers = [view.order.name]
    for n in range(1, count):
        order_id = view.order.id + n
        stack.container.store.save_order(shop, replace(view.order, id=order_id, name=f"#B{n}"))
        for f in view.fulfillments:
            stack.container.store.save_fulfillment(shop, replace(f, id=f.id + n, order_id=order_id))
        numbers.append(f"#B{n}")
    return numbers


def _look_up(stack: Stack, shop: str, number: str, visitor: int, spent: list[float]) -> Sample:
    """One visitor's look-up: form (untimed), POST, the order page; their server time."""
    client = stack.app.test_client()
    client.environ_base["REMOTE_ADDR"] = (
        f"10.{visitor // 65536 % 256}.{visitor // 256 % 256}.{visitor % 256}"
    )
    form = client.get(f"/portal/{shop}")
    token = CSRF_RE.search(form.get_data(as_text=True))
    if form.status_code != 200 or token is None:
        raise RuntimeError(f"look-up form answered {form.status_code}")
    spent.clear()
    stack.meter.reset()
    res = client.post(
        f"/portal/{shop}",
        data={"csrf_token": token[1], "order_number": number, "contact": "ada@example.com"},
    )
    if res.status_code != 303:
        raise RuntimeError(f"look-up of {number} answered {res.status_code}")
    page = client.get(res.headers["Location"])
    if page.status_code != 200 or "csrf_token" not in page.get_data(as_text=True):
        raise RuntimeError(f"order page of {number} answered {page.status_code}")
    if len(spent) != 2:
        raise RuntimeError(f"expected two timed requests, got {len(spent)}")
    return Sample(sum(spent), stack.meter.seconds, stack.meter.total_calls())


@dataclass(frozen=True)
class Sample:
    server_s: float
    dynamodb_s: float
    dynamodb_calls: int


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(quick: bool = False) -> dict[str, Any]:
    count = QUICK if quick else FULL
    with local_stack() as stack:
        shop = stack.installed_shop()
        numbers = _orders(stack, shop, count + WARMUP)
        spent: list[float] = []
        stack.app.wsgi_app = _timed(stack.app.wsgi_app, spent)
        for visitor, number in enumerate(numbers[:WARMUP]):
            _look_up(stack, shop, number, visitor, spent)
        samples = [
            _look_up(stack, shop, number, visitor, spent)
            for visitor, number in enumerate(numbers[WARMUP:], start=WARMUP)
        ]
        backend = stack.backend
    times = [s.server_s for s in samples]
    return {
        "backend": backend,
        "lookups": len(times),
        "portal_p50_ms": round(_pct(times, 50) * 1000, 2),
        "portal_p95_ms": round(_pct(times, 95) * 1000, 2),
        "portal_max_ms": round(max(times) * 1000, 2),
        "portal_dynamodb_calls": max(s.dynamodb_calls for s in samples),
        "portal_dynamodb_p50_ms": round(_pct([s.dynamodb_s for s in samples], 50) * 1000, 2),
        "budget_portal_p95_ms": BUDGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} look-ups instead of {FULL}")
    args = parser.parse_args(argv)
    logger.setLevel("WARNING")  # the figures, not a log line per request
    f = run(quick=args.quick)
    verdict = "within" if f["portal_p95_ms"] <= BUDGET_MS else "OVER"
    print(
        f"portal look-up to eligibility page ({f['backend']}, simulator for Shopify):"
        f" {f['lookups']} look-ups, server time p50 {f['portal_p50_ms']:.1f} ms,"
        f" p95 {f['portal_p95_ms']:.1f} ms, max {f['portal_max_ms']:.1f} ms"
        f" ({verdict} the {BUDGET_MS:.0f} ms budget); {f['portal_dynamodb_calls']} DynamoDB calls"
        f" per look-up, {f['portal_dynamodb_p50_ms']:.1f} ms in them (p50)"
    )
    print(json.dumps(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
