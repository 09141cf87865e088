"""A storm of 1,000 webhooks across every topic the simulator sends, each delivered 1 to 10
times, shuffled, from 8 concurrent senders (some fulfillments before their orders), with
customers and staff working returns at the same time, and the delay sweep compensating late
orders from 4 threads: afterwards every order, fulfillment, refund, notice, label, credit,
upgrade and email exists exactly once."""

from __future__ import annotations

import random

import pytest

from tests.resilience.storm import (
    LocalStack,
    build_storm,
    local_stack,
    run_returns,
    send_storm,
    storm_schedule,
    take_census,
)

WEBHOOKS = 1000


@pytest.fixture(scope="module")
def stack(dynamodb_local, ddb_client):
    with local_stack(dynamodb_local.endpoint, "hemline-test") as s:
        yield s


def test_a_storm_of_duplicated_shuffled_webhooks_loses_and_doubles_nothing(stack: LocalStack):
    rng = random.Random(11)
    # GIVEN five installed shops (one compensating late orders) and 1,000 distinct webhooks
    # about their orders
    plans, hooks = build_storm(stack, webhooks=WEBHOOKS, shops=4, delay_shops=1, rng=rng)
    topics = {h.topic for h in hooks}
    assert len(hooks) >= WEBHOOKS
    assert {
        "orders/create",
        "orders/updated",
        "orders/fulfilled",
        "fulfillments/create",
        "fulfillments/update",
        "refunds/create",
        "fulfillment_orders/placed_on_hold",
    } <= topics
    # WHEN each is delivered 1-10 times, shuffled, from 8 senders
    schedule = storm_schedule(hooks, rng)
    sent = send_storm(stack, schedule)
    stack.settle()
    # AND customers ask for returns (repeatedly) while staff settle them (repeatedly)
    rmas = run_returns(stack, plans, rng)
    stack.settle()
    # AND the delay sweep runs from 4 threads at once once every delivery promise has passed
    stack.sweep_delays(plans)
    # THEN every delivery was acknowledged, none refused
    assert sent.rejected == [] and sent.gave_up == 0, sent
    assert sent.requests >= len(schedule)
    # AND everything exists exactly once, in the store, the simulator and the outbox
    census = take_census(stack, plans, rmas)
    assert census.lost == 0 and census.doubled == 0 and not census.problems, census.summary()
    assert census.kinds["orders"].found == sum(len(p.orders) for p in plans)
    assert census.kinds["backorder emails"].found == sum(len(p.backordered) for p in plans) > 0
    assert census.kinds["labels"].found == len(rmas) > 0
    assert census.kinds["store credits in Shopify"].found > 0
    assert census.kinds["return refunds in Shopify"].found > 0
    assert census.kinds["late orders compensated"].found > 0
    assert census.kinds["delay credits in Shopify"].found > 0
    assert census.kinds["shipping upgrades (order edits)"].found > 0
    print(
        f"\nstorm: {len(hooks)} webhooks, {sent.requests} requests in {sent.seconds:.1f}s "
        f"({sent.per_second:.0f}/s), {len(rmas)} returns\n{census.summary()}"
    )
