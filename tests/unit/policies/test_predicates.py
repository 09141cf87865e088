"""Rule conditions: the closed registries of facts and operators, compiled once."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from policies.predicates import (
    ITEM_FACTS,
    OPERATORS,
    REQUEST_FACTS,
    ConditionError,
    ItemPredicate,
    RequestPredicate,
)
from policies.vocabulary import ItemCondition, Reason, Resolution


def _facts(**overrides: object) -> SimpleNamespace:
    values = {
        "reason": Reason.SIZE_FIT,
        "reason_class": Reason.SIZE_FIT.reason_class,
        "resolution": Resolution.EXCHANGE,
        "condition": ItemCondition.UNOPENED,
        "defect": None,
        "tags": frozenset({"bespoke", "linen"}),
        "product_type": "dresses",
        "final_sale": False,
        "below_compare_at": True,
        "domestic": True,
        "expedited": False,
        "order_subtotal": Decimal("75.00"),
        "unit_price": Decimal("20.00"),
        "line_total": Decimal("40.00"),
        "photos": 2,
        "quantity": 2,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"fact": "reason", "op": "eq", "value": "size_fit"}, True),
        ({"fact": "reason", "op": "ne", "value": "size_fit"}, False),
        ({"fact": "reason", "op": "in", "value": ["changed_mind", "size_fit"]}, True),
        ({"fact": "reason", "op": "not_in", "value": ["changed_mind"]}, True),
        ({"fact": "reason_class", "op": "eq", "value": "discretionary"}, True),
        ({"fact": "defect", "op": "eq", "value": None}, True),
        ({"fact": "order_subtotal", "op": "gt", "value": "75.00"}, False),
        ({"fact": "order_subtotal", "op": "gte", "value": "75.00"}, True),
        ({"fact": "order_subtotal", "op": "lt", "value": "75.01"}, True),
        ({"fact": "line_total", "op": "lte", "value": "39.99"}, False),
        ({"fact": "photos", "op": "gte", "value": 2}, True),
        ({"fact": "tags", "op": "contains_any", "value": ["Bespoke"]}, True),
        ({"fact": "tags", "op": "contains_all", "value": ["bespoke", "silk"]}, False),
        ({"fact": "tags", "op": "contains_none", "value": "sale"}, True),
        ({"fact": "product_type", "op": "in", "value": ["Dresses", "Socks"]}, True),
        ({"fact": "domestic", "op": "eq", "value": True}, True),
        ({"fact": "below_compare_at", "op": "ne", "value": True}, False),
        ({"not": {"fact": "expedited", "op": "eq", "value": True}}, True),
        (
            {
                "all": [
                    {"fact": "resolution", "op": "eq", "value": "exchange"},
                    {
                        "any": [
                            {"fact": "reason", "op": "eq", "value": "color_style"},
                            {"fact": "quantity", "op": "eq", "value": 2},
                        ]
                    },
                ]
            },
            True,
        ),
    ],
)
def test_condition_answers_from_the_facts_when_compiled(document, expected):
    assert ItemPredicate.parse(document).test(_facts()) is expected


def test_ordering_operator_is_false_when_the_number_is_absent():
    predicate = ItemPredicate.parse({"fact": "order_subtotal", "op": "gt", "value": "1.00"})

    assert predicate.test(_facts(order_subtotal=None)) is False


@pytest.mark.parametrize(
    ("document", "subpath", "message"),
    [
        ("reason is size_fit", "", "must be a mapping"),
        ({"fact": "reason", "op": "eq", "value": "x", "note": 1}, "note", "unknown key"),
        ({"all": [], "any": []}, "any", "not allowed next to 'all'"),
        ({"not": []}, "not", "must be a mapping"),
        ({"fact": "photos", "op": "gt", "value": True}, "value", "whole number"),
        ({"fact": "product_type", "op": "eq", "value": 3}, "value", "must be text"),
        ({"fact": "tags", "op": "eq", "value": "sale"}, "op", "does not apply to tags"),
        ({"fact": "unit_price", "op": "lt", "value": 1.5}, "value", "money must be"),
    ],
)
def test_malformed_condition_says_where_when_parsed(document, subpath, message):
    with pytest.raises(ConditionError) as caught:
        ItemPredicate.parse(document)

    assert caught.value.subpath == subpath
    assert message in caught.value.message


def test_request_conditions_only_see_request_facts_when_parsed():
    with pytest.raises(ConditionError, match="unknown fact 'reason'"):
        RequestPredicate.parse({"fact": "reason", "op": "eq", "value": "size_fit"})
    predicate = RequestPredicate.parse({"fact": "refund_total", "op": "gt", "value": "150.00"})

    assert predicate.test(SimpleNamespace(refund_total=Decimal("150.01"))) is True
    assert predicate.test(SimpleNamespace(refund_total=Decimal("150.00"))) is False


def test_registries_are_closed_lists_when_inspected():
    assert set(OPERATORS) == {
        "eq",
        "ne",
        "in",
        "not_in",
        "gt",
        "gte",
        "lt",
        "lte",
        "contains_any",
        "contains_all",
        "contains_none",
    }
    assert "refund_total" in REQUEST_FACTS and "refund_total" not in ITEM_FACTS
    assert "__class__" not in ITEM_FACTS


@pytest.mark.parametrize(
    ("document", "text"),
    [
        (
            {"fact": "reason", "op": "in", "value": ["color_style", "size_fit"]},
            "the reason is size/fit or color/style",
        ),
        (
            {"fact": "resolution", "op": "ne", "value": "store_credit"},
            "the customer does not ask for store credit",
        ),
        ({"fact": "condition", "op": "eq", "value": "washed"}, "the item is washed"),
        ({"fact": "tags", "op": "contains_none", "value": ["sale"]}, "the item is not tagged sale"),
        (
            {"fact": "order_subtotal", "op": "gte", "value": "75"},
            "the order subtotal is at least $75.00",
        ),
        ({"fact": "domestic", "op": "eq", "value": False}, "the order ships abroad"),
        (
            {"not": {"fact": "photos", "op": "lt", "value": 1}},
            "not (the number of photos is under 1)",
        ),
    ],
)
def test_condition_reads_as_english_when_described(document, text):
    assert ItemPredicate.parse(document).describe("USD") == text


def test_conditions_compare_by_source_when_policies_are_compared():
    document = {"fact": "reason", "op": "eq", "value": "size_fit"}

    assert ItemPredicate.parse(document) == ItemPredicate.parse(dict(document))
    assert ItemPredicate.parse(document) != RequestPredicate.parse(
        {"fact": "item_count", "op": "eq", "value": 1}
    )
