"""Fuzzing the served app: never a 5xx, and a refused request stores nothing.

The JSON API is fuzzed from docs/openapi.yaml with schemathesis (inputs that fit the
document and inputs that do not), with a valid session token for an installed shop.
The webhook endpoint and the portal's look-up and request forms are fuzzed with
hypothesis. Generation is derandomized, bounded and keeps no example database.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import TEST_SECRET
from tests.integration.stack.test_api import request_rma, token
from tests.integration.stack.test_returns_flow import _delivered_order
from tests.resilience.test_hostile_portal import Customer, csrf_of, line_fields
from tests.resilience.test_hostile_webhooks import table_items
from tests.support.shopify import payload_bytes, signed_headers

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
API_EXAMPLES = 20  # per operation and mode: 9 operations x 2 modes
REAL_RETURN_EXAMPLES = 10  # actions on a real return call Shopify (the simulator): slower
HOOK_EXAMPLES = 60
FORM_EXAMPLES = 40


def bounded(max_examples: int):
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


@pytest.fixture(scope="module")
def api_shop(stack):
    """An installed shop whose owner holds the token, with one approved return in it."""
    shop = stack.new_shop()
    stack.install(shop)
    auth = {"Authorization": f"Bearer {token(shop)}"}
    assert requests.get(f"{stack.app_url}/api/policy", headers=auth, timeout=30).ok
    view = _delivered_order(stack, shop, [2])
    return shop, request_rma(stack, shop, view).number


def _fuzz(stack, shop: str, operation, mode, examples: int = API_EXAMPLES, **fixed) -> None:
    http = requests.Session()

    @bounded(examples)
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def run(case) -> None:
        # A fresh token for each call: the fuzz may outlast one token's minute.
        headers = {"Authorization": f"Bearer {token(shop)}"}
        res = case.call(base_url=stack.app_url, session=http, headers=headers, timeout=30)
        assert res.status_code < 500, (case.method, case.formatted_path, res.status_code, res.text)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_api_never_answers_5xx(stack, api_shop, operation, mode):
    shop, _ = api_shop
    _fuzz(stack, shop, operation, mode)


@pytest.mark.parametrize("label", ["GET /api/rmas/{number}", "POST /api/rmas/{number}/{action}"])
def test_api_on_a_real_return_never_answers_5xx(stack, api_shop, label):
    shop, number = api_shop
    operation = SCHEMA.find_operation_by_label(label)
    _fuzz(
        stack,
        shop,
        operation,
        GenerationMode.POSITIVE,
        REAL_RETURN_EXAMPLES,
        path_parameters={"number": number},
    )


# -- webhooks ----------------------------------------------------------------------------------

TOPICS = [
    "orders/create",
    "orders/updated",
    "fulfillments/create",
    "refunds/create",
    "app/uninstalled",
]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _post_hook(stack, shop: str, topic: str, body: bytes, secret: str | None) -> requests.Response:
    headers = signed_headers(topic, body, shop=shop, secret=secret or "unused")
    if secret is None:
        del headers["X-Shopify-Hmac-Sha256"]
    return requests.post(f"{stack.app_url}/webhooks", data=body, headers=headers, timeout=30)


def test_webhook_with_arbitrary_bytes_is_never_5xx_and_unsigned_ones_store_nothing(
    stack, ddb_client
):
    shop = f"f{uuid.uuid4().hex[:12]}.myshopify.com"
    tried: list[int] = []
    accepted: list[str] = []

    @bounded(HOOK_EXAMPLES)
    @given(body=st.binary(max_size=2048), signed=st.booleans(), topic=st.sampled_from(TOPICS))
    def run(body: bytes, signed: bool, topic: str) -> None:
        secret = TEST_SECRET if signed else "wrong-secret-0123456789"
        res = _post_hook(stack, shop, topic, body, secret)
        tried.append(res.status_code)
        assert res.status_code in ((200, 400) if signed else (401,)), res.text
        if res.status_code == 200:
            accepted.append(res.json()["outcome"])

    run()
    stack.container.queue.drain(timeout=30)
    # Both doors were tried, and only accepted deliveries left a record behind.
    assert 401 in tried and 400 in tried
    deliveries = [i for i in table_items(ddb_client, shop) if i["SK"]["S"].startswith("WEBHOOK#")]
    assert len(deliveries) == accepted.count("accepted")


@pytest.mark.parametrize("topic", TOPICS)
def test_webhook_with_a_fuzzed_payload_per_topic_is_never_5xx(stack, ddb_client, topic):
    """Valid HMAC, Shopify's sample with fields replaced by any JSON: acknowledged or refused
    at the door, and the worker either applies or parks it; never an error."""
    shop = f"f{uuid.uuid4().hex[:12]}.myshopify.com"
    sample = json.loads(payload_bytes(topic))
    keys = sorted(sample)

    @bounded(HOOK_EXAMPLES // 2)
    @given(changes=st.dictionaries(st.sampled_from(keys), JSON_VALUES, max_size=4))
    def run(changes) -> None:
        body = json.dumps({**sample, **changes}).encode()
        res = _post_hook(stack, shop, topic, body, TEST_SECRET)
        assert res.status_code == 200, res.text

    run()
    stack.container.queue.drain(timeout=60)
    statuses = {
        i["status"]["S"]
        for i in table_items(ddb_client, shop)
        if i["SK"]["S"].startswith("WEBHOOK#")
    }
    assert statuses <= {"processed", "failed"}


# -- portal forms ------------------------------------------------------------------------------

FORM_TEXT = st.text(max_size=40) | st.sampled_from(
    ["", "-1", "0", "1.5", "9" * 5000, "\u00b2", "#1001", "<b>"]
)


def test_portal_lookup_is_never_5xx(stack):
    shop = stack.new_shop()
    stack.install(shop)
    customer = Customer(stack, shop)
    token_ = csrf_of(customer.get().text)

    @bounded(FORM_EXAMPLES)
    @given(number=FORM_TEXT, contact=FORM_TEXT)
    def run(number: str, contact: str) -> None:
        data = {"csrf_token": token_, "order_number": number, "contact": contact}
        res = customer.post(data=data)
        assert res.status_code in (422, 429), res.text[:300]

    run()
    assert stack.container.store.find_order_by_number(shop, "1001") is None


def test_portal_request_form_is_never_5xx_and_a_refused_one_stores_nothing(stack):
    shop = stack.new_shop()
    stack.install(shop)
    from tests.integration.stack.test_portal import delivered_order

    view = delivered_order(stack, shop, [{"title": "Linen dress", "quantity": 2}])
    line = view.order.line_items[0]
    customer = Customer(stack, shop)
    page = customer.open(view)
    fields = [
        "item",
        "qty",
        "reason",
        "condition",
        "resolution",
        "exchange_variant",
        "wanted",
        "note",
        "expedited",
    ]

    @bounded(FORM_EXAMPLES)
    @given(changes=st.dictionaries(st.sampled_from(fields), FORM_TEXT, max_size=4))
    def run(changes) -> None:
        res = customer.review(view, page, line_fields(line.id, **changes))
        assert res.status_code in (200, 422), res.text[:300]

    run()
    # Review never creates a return; only submitting a reviewed summary does.
    assert stack.container.store.rmas_for_order(shop, view.order.id) == []
    assert stack.sim("GET", f"/shops/{shop}/returns") == []
