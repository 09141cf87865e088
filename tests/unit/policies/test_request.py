"""Parsing evaluation requests: every malformed request names the field at fault."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from policies import InvalidRequest, evaluate, load_preset, parse_request
from policies.vocabulary import Reason, Resolution

from .builders import item, line, request


def _broken(path: str, value: object) -> dict:
    """The default request with the value at a dotted path (lists by index) replaced."""
    data = copy.deepcopy(request())
    *parents, last = path.split(".")
    target: object = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]  # type: ignore[index]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is _DELETE:
        del target[last]  # type: ignore[union-attr]
    else:
        target[last] = value  # type: ignore[index]
    return data


_DELETE = object()

ERROR_CASES = [
    (
        "items.0.reason",
        "bored",
        "items[0].reason",
        "unknown reason 'bored' (expected one of changed_mind, size_fit, color_style, defective,"
        " damaged_in_transit, wrong_item, not_as_described)",
    ),
    ("items.0.resolution", "cash", "items[0].resolution", "unknown resolution 'cash'"),
    ("items.0.condition", "muddy", "items[0].condition", "unknown condition 'muddy'"),
    ("items.0.defect", "ugly", "items[0].defect", "unknown defect code 'ugly'"),
    ("items.0.line_item_id", "99", "items[0].line_item_id", "unknown line item '99'"),
    ("items.0.quantity", 2, "items[0].quantity", "2 requested but only 1"),
    ("items.0.quantity", 0, "items[0].quantity", "must be 1 or more"),
    ("items.0.quantity", -1, "items[0].quantity", "must be 1 or more"),
    ("items.0.quantity", "1", "items[0].quantity", "must be a whole number"),
    ("items.0.photos", -1, "items[0].photos", "must be 0 or more"),
    ("items.0.photos", 1.5, "items[0].photos", "must be a whole number"),
    ("items.0.expedited", "yes", "items[0].expedited", "must be true or false"),
    ("items.0.reason", _DELETE, "items[0].reason", "required"),
    (
        "order.line_items.0.price",
        48.0,
        "order.line_items[0].price",
        "money must be a decimal string",
    ),
    ("order.line_items.0.price", "48,00", "order.line_items[0].price", "money must be"),
    ("order.line_items.0.price", "-48.00", "order.line_items[0].price", "money must be"),
    ("order.line_items.0.price", "48.001", "order.line_items[0].price", "money must be"),
    (
        "order.line_items.0.compare_at_price",
        "lots",
        "order.line_items[0].compare_at_price",
        "money must be",
    ),
    ("order.subtotal", 82, "order.subtotal", "money must be a decimal string"),
    ("order.created_at", "2026-03-01T10:00:00", "order.created_at", "has no UTC offset"),
    ("order.shipped_at", "2026-03-02", "order.shipped_at", "has no UTC offset"),
    ("order.delivered_at", "yesterday", "order.delivered_at", "not an ISO 8601 time"),
    ("requested_at", "2026-03-20T09:00:00", "requested_at", "has no UTC offset"),
    ("requested_at", 1773997200, "requested_at", "ISO 8601"),
    ("shop.timezone", "Mars/Olympus", "shop.timezone", "unknown time zone 'Mars/Olympus'"),
    ("shop.country", "ZZ", "shop.country", "unknown country 'ZZ'"),
    ("shop.country", "USA", "shop.country", "two-letter"),
    ("shop.currency", "dollars", "shop.currency", "three-letter"),
    ("order.shipping_country", "United States", "order.shipping_country", "two-letter"),
    ("order.line_items.0.quantity", 0, "order.line_items[0].quantity", "must be 1 or more"),
    ("order.line_items.0.tags", {"a": 1}, "order.line_items[0].tags", "list of strings"),
    ("order.line_items", [], "order.line_items", "non-empty list"),
    ("items", [], "items", "non-empty list"),
    ("order", "#1001", "order", "must be a JSON object"),
    ("shop", _DELETE, "shop", "required"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [pytest.param(*case, id=f"{case[0]}={case[1]!r}") for case in ERROR_CASES],
)
def test_invalid_request_names_the_field_when_a_value_is_wrong(path, value, field, message):
    with pytest.raises(InvalidRequest) as caught:
        parse_request(_broken(path, value))

    assert caught.value.field == field
    assert message in caught.value.message


def test_request_must_be_an_object_when_parsed():
    with pytest.raises(InvalidRequest, match=r"^request: must be a JSON object$"):
        parse_request(["not", "a", "request"])


def test_quantities_of_the_same_line_add_up_when_it_is_named_twice():
    data = request(item(quantity=2), item(quantity=2), lines=[line(quantity=3)])

    with pytest.raises(InvalidRequest) as caught:
        parse_request(data)

    assert caught.value.field == "items[1].quantity"
    assert "4 requested but only 3" in caught.value.message


def test_duplicate_line_item_ids_are_refused_when_the_order_repeats_one():
    data = request(lines=[line(id="11"), line(id="11")])

    with pytest.raises(InvalidRequest, match=r"order\.line_items\[1\]\.id: duplicate"):
        parse_request(data)


def test_request_is_parsed_into_typed_values_when_valid():
    parsed = parse_request(request())

    (requested,) = parsed.items
    assert requested.reason is Reason.CHANGED_MIND
    assert requested.resolution is Resolution.REFUND
    assert requested.line.price == Decimal("48.00")
    assert parsed.order.subtotal == Decimal("82.00")
    assert parsed.requested_at.utcoffset() is not None
    assert str(parsed.shop.timezone) == "America/New_York"


def test_optional_fields_take_defaults_when_omitted():
    data = request()
    for key in ("photos", "expedited", "defect", "condition"):
        del data["items"][0][key]
    del data["order"]["line_items"][0]["tags"]
    del data["order"]["line_items"][0]["compare_at_price"]

    parsed = parse_request(data).items[0]

    assert (parsed.photos, parsed.expedited, parsed.defect, parsed.condition) == (
        0,
        False,
        None,
        None,
    )


def test_shopify_style_ids_and_tag_strings_are_accepted_when_integers_and_csv():
    data = request(
        item(line_item_id=11),  # type: ignore[arg-type]
        lines=[line(id=11, tags="Sale, gift")],  # type: ignore[arg-type]
    )

    parsed = parse_request(data)

    assert parsed.items[0].line_item_id == "11"
    assert parsed.order.line_items[0].tags == ("Sale", "gift")


def test_utc_z_suffix_is_an_offset_when_times_end_in_z():
    parsed = parse_request(request(requested_at="2026-03-20T13:00:00Z"))

    assert parsed.requested_at.utcoffset().total_seconds() == 0


def test_evaluate_parses_a_mapping_when_given_raw_json_data():
    with pytest.raises(InvalidRequest, match="items"):
        evaluate(load_preset("petite-plume"), request(item(reason="bored")))
