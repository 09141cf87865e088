"""Faults during storms, each ending with lost = 0 and doubled = 0: DynamoDB Local stopped
mid-storm and restarted, the simulator answering 429, 500 and slowly during returns and
refunds, the label provider and the mail sender failing then recovering, and a worker
killed between buying a label and storing it."""

from __future__ import annotations

import random
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from app.adapters.labels.ports import NothingBought
from app.services import return_effects, returns
from app.services.eligibility import RequestedLine
from infra.local import dynamodb_local as ddb_local
from infra.local.tables import ensure_table
from tests.resilience.storm import (
    CUSTOMER,
    LocalStack,
    ShopPlan,
    add_orders,
    build_storm,
    local_stack,
    new_installed_shop,
    run_returns,
    send_storm,
    storm_schedule,
    take_census,
)

TABLE = "hemline-faults"


@pytest.fixture(scope="module")
def disk_dynamo() -> Iterator[tuple[ddb_local.LocalDynamo, Path]]:
    """A DynamoDB Local of this module's own, on disk, so its data survives a restart."""
    folder = Path(tempfile.mkdtemp(prefix="hemline-faults-ddb-"))
    handle = ddb_local.start(db_path=folder)
    assert handle.kind == "dynamodb-local", "DynamoDB Local did not start (Java 17, `make deps`)"
    ensure_table(handle.client(), TABLE)
    yield handle, folder
    handle.stop()


@pytest.fixture(scope="module")
def stack(disk_dynamo) -> Iterator[LocalStack]:
    with local_stack(disk_dynamo[0].endpoint, TABLE) as s:
        yield s


def _assert_nothing_lost_or_doubled(stack, plans, rmas, **kw):
    census = take_census(stack, plans, rmas, **kw)
    assert census.lost == 0 and census.doubled == 0 and not census.problems, census.summary()
    return census


def test_dynamodb_stopped_mid_storm_answers_5xx_and_loses_nothing_after_redelivery(
    stack, disk_dynamo
):
    dynamo, folder = disk_dynamo
    rng = random.Random(21)
    # GIVEN two installed shops and 300 distinct webhooks about their orders
    plans, hooks = build_storm(stack, webhooks=300, shops=2, rng=rng)
    schedule = storm_schedule(hooks, rng, max_copies=3)
    # WHEN DynamoDB Local is stopped a third of the way through the storm, then restarted
    third = threading.Event()
    outage_over = threading.Event()
    statuses_during_outage: list[int] = []

    def outage() -> None:
        third.wait()
        dynamo.stop()
        # While it is down, a delivery is refused with a retryable status (Shopify retries).
        res = requests.post(
            f"{stack.app_url}/webhooks", data=hooks[0].body, headers=hooks[0].headers, timeout=30
        )
        statuses_during_outage.append(res.status_code)
        restarted = ddb_local.start(dynamo.port, db_path=folder)
        dynamo.process = restarted.process  # the fixture stops whichever runs at the end
        outage_over.set()

    controller = threading.Thread(target=outage)
    controller.start()
    sent = send_storm(
        stack,
        schedule,
        on_progress=lambda i: third.set() if i >= len(schedule) // 3 else None,
    )
    controller.join()
    stack.settle(timeout=300)
    stack.run_sweeps()  # orders whose hooks met the outage: the schedule's next sweep
    stack.settle()
    # THEN the app said 503 while its store was down, and redeliveries were accepted
    assert outage_over.is_set()
    assert statuses_during_outage == [503]
    assert sent.rejected == [] and sent.gave_up == 0, sent
    assert sent.statuses[500] == 0, sent.statuses
    assert sent.statuses[503] + sent.unanswered > 0, "the outage happened after the storm"
    # AND every order, fulfillment, refund, notice and email exists exactly once
    _assert_nothing_lost_or_doubled(stack, plans, {}, returns_asked=False)


def _shop_with_returnable_orders(stack: LocalStack, rng: random.Random, count: int) -> ShopPlan:
    plan = new_installed_shop(stack)
    while len(plan.returnable) < count:
        add_orders(stack, plan, 4, rng)
    stack.settle()
    return plan


def test_shopify_429_500_and_slow_answers_during_returns_and_refunds_double_nothing(stack):
    rng = random.Random(22)
    plan = _shop_with_returnable_orders(stack, rng, 6)
    # GIVEN Shopify throttles, fails and stalls calls of the return and refund steps,
    # some of the 500s after applying the mutation (the answer was lost, not the work)
    faults = [
        {"mode": "status", "status": 429, "count": 4, "retry_after": 0.2},
        {"mode": "status", "status": 500, "count": 2, "operation": "ReturnCreate"},
        {"mode": "status", "status": 500, "count": 2, "operation": "ReturnProcess", "apply": True},
        {"mode": "status", "status": 503, "count": 2, "operation": "OrderGet"},
        # Answered after the client gave up, and done by Shopify all the same: read back.
        {"mode": "slow", "seconds": 11, "count": 1, "operation": "ReturnProcess"},
        {"mode": "status", "status": 502, "count": 2, "operation": "ReturnGet"},
    ]
    for fault in faults:
        stack.sim("POST", "/faults", json={"shop": plan.domain, **fault})
    # WHEN customers and staff work the returns, each step repeated from 8 threads
    rmas = run_returns(stack, [plan], rng)
    stack.settle()
    # THEN every fault was met, and each return has one label, one refund or credit, each
    # email once
    left = [f for f in stack.sim("GET", "/faults") if f.get("count", 0) > 0]
    assert left == [], left
    met = [r for r in stack.sim("GET", f"/requests?shop={plan.domain}") if r["fault"]]
    assert len(met) >= 10, met
    census = _assert_nothing_lost_or_doubled(stack, [plan], rmas)
    assert census.kinds["returns"].found == len(plan.returnable)


def test_label_provider_failing_then_recovering_loses_and_doubles_nothing(stack):
    rng = random.Random(23)
    plan = _shop_with_returnable_orders(stack, rng, 4)
    # GIVEN the label provider is unreachable for its next three purchases (nothing bought;
    # a purchase whose outcome is unknown is the killed worker's case below)
    stack.labels.failures.extend(
        NothingBought("label provider unreachable", retryable=True) for _ in range(3)
    )
    # WHEN the returns are worked through
    rmas = run_returns(stack, [plan], rng)
    stack.settle()
    # THEN the failures happened, and afterwards everything exists exactly once
    assert stack.labels.failures == []
    _assert_nothing_lost_or_doubled(stack, [plan], rmas)


def test_mail_sender_failing_then_recovering_loses_and_doubles_no_email(stack):
    rng = random.Random(26)
    # GIVEN the mail sender is unreachable while orders arrive (backorder notices) and again
    # while their returns are worked (approvals, receipts, refunds, credits)
    stack.mail.fail_next(3)
    plan = _shop_with_returnable_orders(stack, rng, 6)
    stack.mail.fail_next(8)
    # WHEN the returns are worked through, and the 15-minute sweep runs once the sender is back
    rmas = run_returns(stack, [plan], rng)
    stack.settle()
    assert stack.mail.failures == 0, "the sender was not asked as often as it failed"
    stack.run_sweeps()
    # THEN all 11 failures happened, and every email was sent exactly once afterwards (or, if
    # a later email overtook it while the sender was down, dropped on record)
    assert stack.mail.refused == 11
    _assert_nothing_lost_or_doubled(stack, [plan], rmas)


class Killed(BaseException):
    """The process died here (nothing after this line ran)."""


def test_a_worker_killed_between_buying_a_label_and_storing_it_is_finished_with_the_same_label(
    stack,
):
    rng = random.Random(24)
    plan = _shop_with_returnable_orders(stack, rng, 1)
    shop = stack.container.store.get_shop(plan.domain)
    files = stack.container.files
    # GIVEN the file store dies on its next write: the label is bought but never stored
    real_put = files.put
    killed = threading.Event()

    def put_then_die(key, data, content_type):
        if not killed.is_set():
            killed.set()
            raise Killed
        return real_put(key, data, content_type)

    files.put = put_then_die  # type: ignore[method-assign]
    before = stack.labels.purchases
    view = stack.container.store.get_order(plan.domain, plan.returnable[0])
    line = view.order.line_items[0]
    ctx = stack.container.returns_context()
    with pytest.raises(Killed):
        returns.request_return(
            ctx,
            shop,
            view,
            [RequestedLine(line.id, 1, "size_fit", "refund", "unworn_tags_attached")],
            customer_email=CUSTOMER["email"],
        )
    bought = stack.labels.purchases
    assert bought == before + 1
    [rma] = stack.container.store.rmas_for_order(plan.domain, plan.returnable[0])
    assert rma.state == "approved" and rma.label is None
    # WHEN the claim's lease has run out and a retry issues the label
    stack.clock.offset += timedelta(minutes=4)
    try:
        issued = return_effects.issue_label(ctx, shop, rma)
    finally:
        stack.clock.offset -= timedelta(minutes=4)
    # THEN the retry found the label bought before the kill: no second purchase
    assert stack.labels.purchases == bought
    assert issued.state == "label_issued"
    reference = f"{plan.domain}/{rma.number}"
    assert issued.label["tracking_number"] == stack.labels.labels[reference].tracking_number
    assert files.get(issued.label["file_key"])  # the PDF is stored now
    mails = [
        m
        for m in stack.container.outbox.list()
        if m.headers.get("X-Entity-Ref-ID") == f"{rma.number}:return_approved:label"
    ]
    assert len(mails) == 1


def test_a_return_asked_while_shopify_is_down_is_opened_in_shopify_once_it_answers(stack):
    rng = random.Random(25)
    plan = _shop_with_returnable_orders(stack, rng, 1)
    shop = stack.container.store.get_shop(plan.domain)
    view = stack.container.store.get_order(plan.domain, plan.returnable[0])
    line = view.order.line_items[0]
    # GIVEN Shopify answers 503 to every try of the order read that opening a return needs
    stack.sim(
        "POST",
        "/faults",
        json={
            "shop": plan.domain,
            "mode": "status",
            "status": 503,
            "count": 5,
            "operation": "OrderGet",
        },
    )
    ctx = stack.container.returns_context()
    # WHEN the customer asks for a return
    rma = returns.request_return(
        ctx,
        shop,
        view,
        [RequestedLine(line.id, 1, "size_fit", "refund", "unworn_tags_attached")],
        customer_email=CUSTOMER["email"],
    )
    # THEN the ask is not an error: the return stands, and the label step opened it in Shopify
    assert rma.state == "label_issued" and rma.shopify_return_id
    assert len(stack.sim("GET", f"/shops/{plan.domain}/returns")) == 1
    # AND it is refunded once when it comes back
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={line.id: (1, "unworn_tags_attached", True)},
    )
    assert returns.refund_return(ctx, shop, rma.number, actor="staff:1").state == "refunded"
    stack.settle()
    order_gid = f"gid://shopify/Order/{plan.returnable[0]}"
    refunds = stack.sim("GET", f"/shops/{plan.domain}/refunds")
    assert [r["order_gid"] for r in refunds].count(order_gid) == 1
    assert len(stack.sim("GET", f"/shops/{plan.domain}/returns")) == 1
