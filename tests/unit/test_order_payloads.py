"""Parsing Shopify's real sample payloads into order snapshots, fulfillments and refunds."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.domain.orders import parse_fulfillment, parse_order, parse_refund
from app.errors import InvalidInput
from app.services.webhooks import parse_body
from tests.support.shopify import payload_bytes


def _load(topic, version="2026-04"):
    return parse_body(payload_bytes(topic, version))


def test_order_ids_stay_exact_64_bit_integers():
    order = parse_order(_load("orders/create"))
    assert order.id == 820982911946154508
    assert order.gid == "gid://shopify/Order/820982911946154508"
    assert all(isinstance(li.id, int) for li in order.line_items)
    assert 487817672276298554 in {li.id for li in order.line_items}


def test_order_money_is_decimal_from_strings():
    order = parse_order(_load("orders/create"))
    assert order.subtotal == Decimal("404.95")
    assert order.total == Decimal("404.95")
    assert order.shipping_price == Decimal("10.00")
    assert order.currency == "USD"
    aviator = next(li for li in order.line_items if li.id == 487817672276298554)
    assert aviator.price == Decimal("89.99") and isinstance(aviator.price, Decimal)


def test_order_keeps_contact_country_and_times_with_offsets():
    order = parse_order(_load("orders/create"))
    assert order.email == "jon@example.com"
    assert order.customer_id == 115310627314723954
    assert order.created_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert order.created_at.tzinfo is not None
    assert order.cancelled_at is not None
    assert order.number == "9999"
    assert order.tags == ("tag1", "tag2")


def test_older_api_version_order_parses_too():
    order = parse_order(_load("orders/create", "2024-01"))
    assert order.line_items and all(li.price > 0 for li in order.line_items)


def test_fulfillment_records_tracking_and_shipped_time():
    f = parse_fulfillment(_load("fulfillments/create"))
    assert (f.id, f.order_id) == (123456, 820982911946154508)
    assert f.tracking_company == "UPS"
    assert f.tracking_number == "1z827wk74630"
    assert f.tracking_url.startswith("https://www.ups.com/")
    assert f.shipped_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert f.delivered_at is None


def test_fulfillment_update_saying_delivered_sets_delivery_time():
    body = _load("fulfillments/update")
    body["shipment_status"] = "delivered"
    body["updated_at"] = "2022-01-04T09:30:00-05:00"
    f = parse_fulfillment(body)
    assert f.delivered_at == datetime(2022, 1, 4, 14, 30, tzinfo=UTC)


def test_refund_uses_exact_money_sets_not_json_floats():
    r = parse_refund(_load("refunds/create"))
    assert r.id == 890088186047892319
    assert r.amount == Decimal("85.00")  # two successful refund transactions, 75.00 + 10.00
    first = r.lines[0]
    assert first.line_item_id == 487817672276298554
    assert first.subtotal == Decimal("89.99")
    assert r.return_id is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(id=1.5), "id"),
        (lambda b: b.update(id="820982911946154508"), "id"),
        (lambda b: b.update(id=-4), "id"),
        (lambda b: b.update(created_at="2026-01-01T10:00:00"), "created_at"),
        (lambda b: b.update(created_at="1850-01-01T10:00:00+00:00"), "created_at"),
        (lambda b: b["line_items"][0].update(quantity=-1), "line_items[0].quantity"),
        (lambda b: b["line_items"][0].update(quantity=1.5), "line_items[0].quantity"),
        (
            lambda b: b["line_items"][0].pop("price_set") and b["line_items"][0].update(price=12.5),
            "line_items[0].price",
        ),
        (lambda b: b.update(currency="dollars"), "currency"),
    ],
    ids=[
        "float-id",
        "string-id",
        "negative-id",
        "naive-time",
        "far-past",
        "negative-qty",
        "fractional-qty",
        "float-price",
        "currency",
    ],
)
def test_bad_order_fields_are_named(mutate, field):
    body = json.loads(payload_bytes("orders/create"))
    mutate(body)
    with pytest.raises(InvalidInput) as err:
        parse_order(body)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"", "valid JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "deeper"),
        (b'{"id": ' + b"9" * 5000 + b"}", "valid JSON"),
    ],
    ids=["empty", "invalid-utf8", "array", "deeply-nested", "huge-number"],
)
def test_bad_bodies_are_refused_with_a_reason(raw, why):
    with pytest.raises(InvalidInput, match=why):
        parse_body(raw)


@pytest.mark.parametrize(
    ("sent", "kept"), [("zh-CN", "zh-CN"), ("en", "en"), ("<script>", None), (42, None)]
)
def test_order_keeps_the_customers_language_for_later_emails(sent, kept):
    body = parse_body(payload_bytes("orders/create"))
    assert parse_order(body).customer_locale == "en"  # Shopify's sample
    body["customer_locale"] = sent
    assert parse_order(body).customer_locale == kept
