"""Every GraphQL document the app sends is valid against Shopify's real 2026-04 Admin schema."""

from pathlib import Path

import pytest
from graphql import parse, validate
from graphql.validation import NoDeprecatedCustomRule

from app.shopify import documents
from app.shopify.client import INVENTORY_BATCH, PRODUCT_BATCH
from infra.local.devstore.cost import MAX_SINGLE_QUERY_COST, query_cost
from infra.local.devstore.schema import load_schema

pytestmark = pytest.mark.unit

APP = Path(__file__).resolve().parents[3] / "app"
ALL_DOCUMENTS = documents.document_paths()
FRAGMENT_FILES = sorted(documents.FRAGMENTS_DIR.glob("*.graphql"))


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def test_documents_exist_when_app_is_checked_out():
    assert len(ALL_DOCUMENTS) >= 22


def test_every_graphql_file_is_an_operation_or_a_used_shared_fragment():
    """Nothing under app/ escapes validation: fragments are validated inside the documents using them."""
    assert set(APP.rglob("*.graphql")) == set(ALL_DOCUMENTS) | set(FRAGMENT_FILES)
    loaded = "\n".join(documents.load(p.stem).text for p in ALL_DOCUMENTS)
    for fragment in FRAGMENT_FILES:
        assert fragment.read_text(encoding="utf-8").split("fragment", 1)[1].strip() in loaded, (
            fragment.name
        )


@pytest.mark.parametrize("path", ALL_DOCUMENTS, ids=lambda p: p.name)
def test_document_is_valid_when_validated_against_real_schema(schema, path):
    errors = validate(schema, parse(documents.load(path.stem).text))
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("path", ALL_DOCUMENTS, ids=lambda p: p.name)
def test_document_uses_no_deprecated_field_when_validated(schema, path):
    # Catches e.g. returnRefund (deprecated for returnProcess in 2026-04).
    errors = validate(schema, parse(documents.load(path.stem).text), [NoDeprecatedCustomRule])
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("path", documents.document_paths(), ids=lambda p: p.name)
def test_document_costs_at_most_shopify_limit_when_priced(schema, path):
    variables = {
        "first": 100,
        "variantIds": ["gid://shopify/ProductVariant/1"] * INVENTORY_BATCH,
        "productIds": ["gid://shopify/Product/1"] * PRODUCT_BATCH,
    }
    cost = query_cost(schema, parse(documents.load(path.stem).text), None, variables)
    assert cost <= MAX_SINGLE_QUERY_COST


def test_refund_create_is_the_idempotent_mutation_when_documents_load():
    idempotent = {p.stem for p in documents.document_paths() if documents.load(p.stem).idempotent}
    assert idempotent == {"refund_create"}
    refund = documents.load("refund_create")
    assert refund.is_mutation and refund.safe_to_repeat
    assert "@idempotent(key: $idempotencyKey)" in refund.text


def test_other_mutations_are_not_repeatable_when_documents_load():
    mutations = [documents.load(p.stem) for p in documents.document_paths()]
    unsafe = {d.name for d in mutations if d.is_mutation and not d.safe_to_repeat}
    assert {"return_process", "store_credit_account_credit", "gift_card_create"} <= unsafe


def test_document_holds_one_named_operation_when_loaded():
    for path in documents.document_paths():
        doc = documents.load(path.stem)
        assert doc.operation_name and doc.root_fields


def test_the_light_order_read_requests_a_tenth_of_the_full_order_read(schema):
    # Shopify starts a query only once its requested cost is in the shop's bucket: the
    # delay sweep and store credits read the light document and wait far less in a rush.
    def cost(name):
        return query_cost(schema, parse(documents.load(name).text), None, {"id": "x"})

    full, light = cost("order_get"), cost("order_status_get")
    assert light * 10 <= full, (light, full)
