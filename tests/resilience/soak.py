"""`make soak`: storms and faults against the real local stack for a while (10 minutes by
default), then the figures: load held (webhooks/s), faults survived, inputs tried, lost and
doubled. Exits non-zero when anything was lost or doubled.

    python -m tests.resilience.soak [--seconds N] [--webhooks N]

Each round installs fresh shops, sends a storm of their webhooks (each delivered 1-10
times, shuffled, from 8 senders) with one fault injected mid-storm, works their returns,
compensates their late orders (the delay sweep from 4 threads) and takes a census. The faults take turns: DynamoDB Local stopped and restarted, the
simulator answering 429/500/slowly, the label provider failing, the mail sender failing.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.adapters.labels.ports import NothingBought
from infra.local import dynamodb_local as ddb_local
from infra.local.tables import ensure_table
from tests.resilience.storm import (
    LocalStack,
    SendReport,
    ShopPlan,
    Webhook,
    build_storm,
    local_stack,
    run_returns,
    send_storm,
    storm_schedule,
    take_census,
)

TABLE = "hemline-soak"


class Dynamo:
    """DynamoDB Local on disk, so that a restart keeps the data (as a real outage would)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hemline-soak-ddb-"))
        self.handle = ddb_local.start(db_path=self.folder)
        if self.handle.kind != "dynamodb-local":
            raise SystemExit("DynamoDB Local did not start (Java 17 and `make deps` are needed)")
        ensure_table(self.handle.client(), TABLE)

    def restart(self, down_s: float) -> None:
        self.handle.stop()
        time.sleep(down_s)  # the outage itself, not a wait for a result
        self.handle = ddb_local.start(self.handle.port, db_path=self.folder)

    def stop(self) -> None:
        self.handle.stop()


def _dynamo_outage(dynamo: Dynamo) -> Callable[[LocalStack, str], None]:
    return lambda stack, shop: dynamo.restart(down_s=3.0)


def _shopify_faults(stack: LocalStack, shop: str) -> None:
    for fault in (
        {"mode": "status", "status": 429, "count": 5, "retry_after": 0.2},
        {"mode": "status", "status": 500, "count": 3, "operation": "ReturnProcess", "apply": True},
        {"mode": "status", "status": 503, "count": 3, "operation": "OrderGet"},
        {"mode": "slow", "seconds": 11, "count": 1, "operation": "ReturnProcess"},
    ):
        stack.sim("POST", "/faults", json={"shop": shop, **fault})


def _label_failures(stack: LocalStack, shop: str) -> None:
    stack.labels.failures.extend(
        NothingBought("label provider unreachable", retryable=True) for _ in range(3)
    )


def _mail_failures(stack: LocalStack, shop: str) -> None:
    stack.mail.fail_next(10)


def storm_round(
    stack: LocalStack,
    inject: Callable[[LocalStack, str], None],
    webhooks: int,
    rng: random.Random,
) -> tuple[list[ShopPlan], list[Webhook], SendReport, dict[str, str]]:
    """One storm with `inject` fired a third of the way through, then the returns."""
    plans, hooks = build_storm(stack, webhooks=webhooks, shops=4, delay_shops=1, rng=rng)
    schedule = storm_schedule(hooks, rng)
    trigger = threading.Event()

    def fire() -> None:
        trigger.wait()
        inject(stack, plans[0].domain)

    injector = threading.Thread(target=fire)
    injector.start()
    third = len(schedule) // 3
    sent = send_storm(stack, schedule, on_progress=lambda i: trigger.set() if i >= third else None)
    trigger.set()
    injector.join()
    stack.settle(timeout=600)
    stack.run_sweeps()  # as the schedule does: work a fault left due
    stack.settle(timeout=600)
    rmas = run_returns(stack, plans, rng)
    stack.settle(timeout=600)
    stack.run_sweeps()  # emails the mail sender failed on
    stack.sweep_delays(plans)  # late orders, from 4 sweepers at once
    return plans, hooks, sent, rmas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--webhooks", type=int, default=1000, help="distinct webhooks per round")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the census is the report; the app's logs are noise here
    rng = random.Random(11)
    dynamo = Dynamo()
    faults: list[tuple[str, Callable[[LocalStack, str], None]]] = [
        ("DynamoDB Local stopped mid-storm and restarted", _dynamo_outage(dynamo)),
        ("Shopify 429, 500 (applied), 503 and slow answers", _shopify_faults),
        ("label provider failing, then recovering", _label_failures),
        ("mail sender failing, then recovering", _mail_failures),
    ]
    started = time.monotonic()
    rounds = survived = requests_sent = distinct = lost = doubled = 0
    send_seconds = 0.0
    failures: list[str] = []
    try:
        with (
            contextlib.redirect_stdout(sys.stderr),
            local_stack(dynamo.handle.endpoint, TABLE) as stack,
        ):
            while time.monotonic() - started < args.seconds:
                name, inject = faults[rounds % len(faults)]
                rounds += 1
                plans, hooks, sent, rmas = storm_round(stack, inject, args.webhooks, rng)
                census = take_census(stack, plans, rmas)
                requests_sent += sent.requests
                distinct += len(hooks)
                send_seconds += sent.seconds
                lost += census.lost + len(census.problems) + sent.gave_up
                doubled += census.doubled
                ok = not (census.lost or census.doubled or census.problems or sent.rejected)
                survived += ok
                if not ok:
                    failures.append(f"round {rounds} ({name}):\n{census.summary()}")
                print(
                    f"round {rounds}: {name}: {len(hooks)} webhooks, {sent.requests} requests, "
                    f"{sent.per_second:.0f}/s, {len(rmas)} returns, lost {census.lost}, "
                    f"doubled {census.doubled}",
                    file=sys.stderr,
                )
    finally:
        dynamo.stop()
    elapsed = time.monotonic() - started
    print(f"soak: {elapsed:.0f}s, {rounds} rounds")
    print(f"load held: {requests_sent / send_seconds if send_seconds else 0:.0f} webhooks/s")
    print(f"faults survived: {survived}/{rounds}")
    print(f"inputs tried: {requests_sent} deliveries of {distinct} distinct webhooks")
    print(f"lost: {lost}")
    print(f"doubled: {doubled}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 0 if lost == 0 and doubled == 0 and survived == rounds else 1


if __name__ == "__main__":
    sys.exit(main())
