"""Throttling, injected failures and bad tokens: what the client retries, and what it must not."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest
import requests

from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyAuthError, ShopifyGraphQLError, ShopifyOutcomeUnknownError
from app.shopify.models import Money, RefundLineRequest, RefundTransactionRequest

from .conftest import API_VERSION

pytestmark = pytest.mark.integration


def test_client_waits_then_succeeds_when_bucket_is_nearly_empty(admin, sim, delivered_order, clock):
    sim.post(
        sim.shop_path("/throttle"),
        {"maximumAvailable": 1000, "restoreRate": 50, "currentlyAvailable": 100},
    )
    started = clock.monotonic()

    first = admin.get_order(delivered_order["gid"])
    second = admin.get_order(delivered_order["gid"])

    assert first == second
    calls = sim.requests_for("OrderGet")
    # One THROTTLED answer; the wait it caused and the client's proactive wait
    # before the second read kept every other call inside the budget.
    assert [c["throttled"] for c in calls] == [True, False, False]
    requested = calls[0]["cost"]["requestedQueryCost"]
    assert clock.monotonic() - started >= (requested - 100) / 50


def test_mutation_is_retried_when_it_was_throttled(admin, sim, delivered_order):
    customer = delivered_order["customer"]["gid"]
    sim.post(
        sim.shop_path("/throttle"),
        {"maximumAvailable": 1000, "restoreRate": 50, "currentlyAvailable": 0},
    )
    admin.credit_store_credit(customer, Money(Decimal("10.00"), "USD"))
    # THROTTLED requests never run, so repeating even a non-idempotent mutation is safe.
    assert [a["balance"] for a in sim.get(sim.shop_path("/store_credit"))] == ["10.00"]
    assert [c["throttled"] for c in sim.requests_for("StoreCreditAccountCredit")] == [True, False]


@pytest.mark.parametrize(
    "fault",
    [
        {"mode": "status", "status": 429, "retry_after": 2},
        {"mode": "status", "status": 500},
        {"mode": "status", "status": 503, "count": 2},
    ],
    ids=["429", "500", "503-twice"],
)
def test_read_is_retried_when_shopify_fails(admin, sim, delivered_order, fault):
    sim.fault(operation="OrderGet", **fault)
    assert admin.get_order(delivered_order["gid"]).name == delivered_order["name"]
    statuses = [c["status"] for c in sim.requests_for("OrderGet")]
    assert statuses == [fault["status"]] * fault.get("count", 1) + [200]


def test_read_is_retried_when_answer_is_too_slow(devstore, sim, tokens, delivered_order, clock):
    impatient = AdminClient(
        sim.shop,
        tokens["access_token"],
        API_VERSION,
        base_url=devstore.shop_url(sim.shop),
        timeout=0.3,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    sim.fault(operation="OrderGet", mode="slow", seconds=1.0)
    assert impatient.get_order(delivered_order["gid"]).name == delivered_order["name"]
    assert len(sim.requests_for("OrderGet")) == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"mode": "status", "status": 429, "retry_after": 1},
        {"mode": "status", "status": 500, "apply": True},
        {"mode": "status", "status": 503, "apply": True, "count": 2},
        {"mode": "slow", "seconds": 1.0},
    ],
    ids=["429", "500-after-applying", "503-twice-after-applying", "slow"],
)
def test_refund_is_created_exactly_once_when_retried_with_same_key(
    devstore, sim, tokens, delivered_order, clock, fault
):
    client = AdminClient(
        sim.shop,
        tokens["access_token"],
        API_VERSION,
        base_url=devstore.shop_url(sim.shop),
        timeout=0.5,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    order = client.get_order(delivered_order["gid"])
    sim.fault(operation="RefundCreate", **fault)

    refund = client.refund_create(
        order.id,
        [RefundLineRequest(order.lines[1].id, 1)],
        idempotency_key=f"rma-{uuid.uuid4()}",
        transactions=[
            RefundTransactionRequest(order.transactions[0].id, Decimal("14.00"), "bogus")
        ],
    )

    if fault["mode"] == "slow":
        time.sleep(fault["seconds"])  # let the abandoned first attempt finish on the server
    refunds = sim.get(sim.shop_path("/refunds"))
    assert [r["gid"] for r in refunds] == [refund.id]
    assert len(sim.requests_for("RefundCreate")) >= 2


def test_non_idempotent_mutation_is_not_retried_when_5xx_follows_sending(
    admin, sim, delivered_order
):
    customer = delivered_order["customer"]["gid"]
    sim.fault(operation="StoreCreditAccountCredit", mode="status", status=500, apply=True)
    with pytest.raises(ShopifyOutcomeUnknownError) as caught:
        admin.credit_store_credit(customer, Money(Decimal("30.00"), "USD"))
    assert caught.value.retryable is False
    assert len(sim.requests_for("StoreCreditAccountCredit")) == 1
    # It did apply; a blind retry would have credited 60.00.
    assert [a["balance"] for a in sim.get(sim.shop_path("/store_credit"))] == ["30.00"]


def test_auth_error_is_raised_when_token_is_unknown(devstore, sim):
    stranger = AdminClient(
        sim.shop, "shpat_not-a-real-token", API_VERSION, base_url=devstore.shop_url(sim.shop)
    )
    with pytest.raises(ShopifyAuthError) as caught:
        stranger.shop()
    assert caught.value.retryable is False


def test_invalid_token_answer_matches_shopify_when_header_is_missing(devstore):
    res = requests.post(
        f"{devstore.url}/admin/api/{API_VERSION}/graphql.json",
        json={"query": "{ shop { id } }"},
        timeout=5,
    )
    assert res.status_code == 401
    assert res.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }


def test_auth_error_is_raised_when_expiring_token_is_an_hour_old(admin, clock):
    assert admin.shop()
    clock.advance(3601)
    with pytest.raises(ShopifyAuthError):
        admin.shop()


def test_auth_error_is_raised_when_token_belongs_to_another_shop(devstore, sim, tokens):
    other = f"other-{uuid.uuid4().hex[:8]}.myshopify.com"
    sim.post("/_sim/shops", {"domain": other}, expect=201)
    confused = AdminClient(
        other, tokens["access_token"], API_VERSION, base_url=devstore.shop_url(other)
    )
    with pytest.raises(ShopifyAuthError):
        confused.shop()


def test_unsupported_api_version_is_not_found_when_requested(devstore, sim, tokens):
    old = AdminClient(
        sim.shop, tokens["access_token"], "2019-04", base_url=devstore.shop_url(sim.shop)
    )
    with pytest.raises(ShopifyGraphQLError, match="HTTP 404") as caught:
        old.shop()
    assert caught.value.retryable is False


def test_client_works_against_unprefixed_origin_when_shop_comes_from_token(devstore, sim, tokens):
    # The app may point every shop at one origin (SHOPIFY_ADMIN_ORIGIN); the token names the shop.
    client = AdminClient(sim.shop, tokens["access_token"], API_VERSION, base_url=devstore.url)
    assert client.shop().domain == sim.shop
