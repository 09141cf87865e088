"""AdminClient's retry, throttle and error rules against a scripted in-memory transport."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from app.shopify.client import AdminClient, RetryPolicy
from app.shopify.errors import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyOutcomeUnknownError,
    ShopifyThrottledError,
    ShopifyUnavailableError,
    ShopifyUserError,
)
from app.shopify.models import Money, RefundLineRequest
from app.shopify.transport import HttpResponse, TransportError

pytestmark = pytest.mark.unit

SHOP = "maple-and-moss.myshopify.com"
SHOP_NODE = {
    "id": "gid://shopify/Shop/1",
    "name": "Maple & Moss",
    "email": "hi@maple.example",
    "myshopifyDomain": SHOP,
    "currencyCode": "CAD",
    "ianaTimezone": "America/Toronto",
    "shopAddress": {"countryCodeV2": "CA"},
}


def answer(
    data: Any = None,
    *,
    errors: Any = None,
    requested: int = 2,
    available: float = 1990,
    restore: float = 50.0,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {}
    if errors is not None:
        body["errors"] = errors
    if data is not None:
        body["data"] = data
    body["extensions"] = {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": None if errors else requested,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": restore,
            },
        }
    }
    return HttpResponse(status, dict(headers or {}), json.dumps(body).encode())


def http(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, dict(headers or {}), json.dumps(body or {"errors": "x"}).encode())


THROTTLED = [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]


class ScriptedTransport:
    """Answers requests from a script; an exception in the script is raised instead."""

    def __init__(self, *script: HttpResponse | Exception) -> None:
        self.script = list(script)
        self.sent: list[tuple[str | None, Mapping[str, Any] | None]] = []

    def post(
        self, query: str, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> HttpResponse:
        self.sent.append((operation_name, variables))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_for(transport: ScriptedTransport, clock: Clock, **kw: Any) -> AdminClient:
    return AdminClient(
        SHOP,
        "shpat_test",
        "2026-04",
        transport=transport,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        jitter=lambda: 1.0,
        **kw,
    )


def test_shop_is_parsed_when_shopify_answers():
    transport = ScriptedTransport(answer({"shop": SHOP_NODE}))
    info = client_for(transport, Clock()).shop()
    assert (info.currency, info.country_code, info.iana_timezone) == (
        "CAD",
        "CA",
        "America/Toronto",
    )
    assert transport.sent[0][0] == "ShopGet"


def test_client_waits_before_sending_when_last_status_shows_a_low_bucket():
    clock = Clock()
    transport = ScriptedTransport(
        answer({"shop": SHOP_NODE}, requested=100, available=10, restore=50),
        answer({"shop": SHOP_NODE}, requested=100, available=0, restore=50),
    )
    client = client_for(transport, clock)
    client.shop()
    client.shop()
    # (100 needed - 10 left) / 50 per second
    assert clock.sleeps == [pytest.approx(1.8)]


def test_throttled_answer_is_retried_when_bucket_refills():
    clock = Clock()
    transport = ScriptedTransport(
        answer(errors=THROTTLED, requested=300, available=100, restore=100),
        answer({"shop": SHOP_NODE}, requested=300, available=0, restore=100),
    )
    assert client_for(transport, clock).shop().name == "Maple & Moss"
    assert clock.sleeps == [pytest.approx(2.0)]
    assert len(transport.sent) == 2


def test_throttled_error_is_raised_when_bucket_never_refills():
    transport = ScriptedTransport(*[answer(errors=THROTTLED, requested=300, available=0)] * 4)
    client = client_for(transport, Clock(), retry=RetryPolicy(max_throttle_waits=3))
    with pytest.raises(ShopifyThrottledError) as caught:
        client.shop()
    assert caught.value.retryable is True


def test_read_is_retried_with_growing_backoff_when_server_fails():
    clock = Clock()
    transport = ScriptedTransport(http(500), http(503), answer({"shop": SHOP_NODE}))
    client = client_for(transport, clock, retry=RetryPolicy(base_delay=0.5))
    assert client.shop().domain == SHOP
    assert clock.sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_when_shopify_answers_429():
    clock = Clock()
    transport = ScriptedTransport(
        http(429, headers={"Retry-After": "3"}), answer({"shop": SHOP_NODE})
    )
    client_for(transport, clock).shop()
    assert clock.sleeps == [3.0]


def test_unavailable_is_raised_when_retries_run_out():
    transport = ScriptedTransport(*[http(502)] * 3)
    with pytest.raises(ShopifyUnavailableError) as caught:
        client_for(transport, Clock(), retry=RetryPolicy(max_attempts=3)).shop()
    assert caught.value.retryable is True
    assert len(transport.sent) == 3


def test_mutation_is_not_repeated_when_answer_is_5xx():
    transport = ScriptedTransport(http(500), answer({}))
    client = client_for(transport, Clock())
    with pytest.raises(ShopifyOutcomeUnknownError) as caught:
        client.credit_store_credit("gid://shopify/Customer/7", Money(Decimal("20.00"), "CAD"))
    assert caught.value.retryable is False
    assert len(transport.sent) == 1


def test_mutation_is_not_repeated_when_it_timed_out_after_sending():
    transport = ScriptedTransport(TransportError("read timed out", sent=True))
    with pytest.raises(ShopifyOutcomeUnknownError):
        client_for(transport, Clock()).add_tags("gid://shopify/Order/1", ["vip"])


def test_mutation_is_retried_when_connection_was_refused_before_sending():
    transport = ScriptedTransport(
        TransportError("connection refused", sent=False),
        answer(
            {"tagsAdd": {"node": {"id": "gid://shopify/Order/1"}, "userErrors": []}}, requested=10
        ),
    )
    client_for(transport, Clock()).add_tags("gid://shopify/Order/1", ["vip"])
    assert len(transport.sent) == 2


def test_mutation_is_retried_when_shopify_answers_429():
    transport = ScriptedTransport(
        http(429, headers={"Retry-After": "1"}),
        answer(
            {"tagsAdd": {"node": {"id": "gid://shopify/Order/1"}, "userErrors": []}}, requested=10
        ),
    )
    client_for(transport, Clock()).add_tags("gid://shopify/Order/1", ["vip"])
    assert len(transport.sent) == 2


def test_refund_is_repeated_with_the_same_key_when_answer_is_5xx():
    refund = {
        "id": "gid://shopify/Refund/9",
        "createdAt": "2026-04-02T10:00:00Z",
        "note": None,
        "totalRefundedSet": {"shopMoney": {"amount": "20.0", "currencyCode": "CAD"}},
        "refundLineItems": {"nodes": []},
        "transactions": {"nodes": []},
    }
    transport = ScriptedTransport(
        http(503),
        TransportError("timed out", sent=True),
        answer({"refundCreate": {"refund": refund, "userErrors": []}}, requested=10),
    )
    result = client_for(transport, Clock()).refund_create(
        "gid://shopify/Order/1", [RefundLineRequest("gid://shopify/LineItem/2", 1)], "rma-42-refund"
    )
    assert result.total == Money(Decimal("20.0"), "CAD")
    keys = [variables["idempotencyKey"] for _, variables in transport.sent]
    assert keys == ["rma-42-refund"] * 3


def test_auth_error_is_raised_when_token_is_rejected():
    body = {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    with pytest.raises(ShopifyAuthError) as caught:
        client_for(ScriptedTransport(http(401, body)), Clock()).shop()
    assert caught.value.retryable is False


def test_user_errors_are_raised_with_field_paths_when_input_is_rejected():
    payload = {
        "returnClose": {
            "return": None,
            "userErrors": [
                {"field": ["id"], "message": "Return is not closable", "code": "INVALID_STATE"}
            ],
        }
    }
    with pytest.raises(ShopifyUserError) as caught:
        client_for(ScriptedTransport(answer(payload, requested=10)), Clock()).close_return(
            "gid://shopify/Return/3"
        )
    detail = caught.value.details[0]
    assert (detail.field, detail.code) == (("id",), "INVALID_STATE")
    assert caught.value.retryable is False


def test_graphql_error_is_raised_when_document_is_rejected():
    errors = [
        {
            "message": "Field 'x' doesn't exist on type 'Shop'",
            "extensions": {"code": "undefinedField"},
        }
    ]
    with pytest.raises(ShopifyGraphQLError) as caught:
        client_for(ScriptedTransport(answer(errors=errors)), Clock()).shop()
    assert caught.value.codes == ["undefinedField"]
    assert caught.value.retryable is False


def test_blank_idempotency_key_is_refused_when_refunding():
    with pytest.raises(ValueError, match="idempotency key"):
        client_for(ScriptedTransport(), Clock()).refund_create("gid://shopify/Order/1", [], "  ")
