"""Backorder decisions and one-click links: pure functions, no I/O."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import jwt
import pytest

from app.services.backorders import (
    LINK_AUDIENCE,
    LinkRefused,
    expected_ship_text,
    judge_line,
    line_stocks,
    read_link,
    ship_by,
    shortage,
    sign_link,
)
from app.shopify.models import Order, VariantInventory
from policies import service_levels

SECRET = b"hemline-test-link-secret-0123456789abcdef"
NOW = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
ORDERED = date(2025, 6, 2)  # a Monday


# -- shortage ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "available", "short"),
    [
        (1, -1, 1),  # the last unit was sold twice: this order's unit cannot ship
        (2, -1, 1),  # one of two units is covered
        (1, -5, 1),  # never more than the line still needs
        (3, 0, 0),  # exactly enough (the order's units are already committed)
        (1, 4, 0),
    ],
)
def test_shortage_counts_units_the_location_cannot_cover(remaining, available, short):
    assert shortage(remaining, available) == short


# -- the backordered verdict -----------------------------------------------------------------


def _judge(short=1, incoming=5, restock=None, today=ORDERED):
    return judge_line(short, incoming, restock, ordered_on=ORDERED, today=today, after_days=7)


def test_an_item_in_stock_is_never_backordered():
    verdict = _judge(short=0)
    assert not verdict.backordered and verdict.recheck_on is None


def test_a_short_item_without_a_restock_date_is_backordered_with_the_date_unknown():
    verdict = _judge(restock=None)
    assert verdict.backordered and verdict.expected_on is None


def test_a_short_item_back_within_the_days_waits_and_is_looked_at_the_day_after():
    verdict = _judge(restock=ORDERED + timedelta(days=7))  # exactly 7 days: not "more than"
    assert not verdict.backordered
    assert verdict.expected_on == date(2025, 6, 9)
    assert verdict.recheck_on == date(2025, 6, 10)


def test_a_short_item_back_after_the_days_is_backordered_with_its_date():
    verdict = _judge(restock=ORDERED + timedelta(days=8))
    assert verdict.backordered and verdict.expected_on == date(2025, 6, 10)


def test_a_short_item_with_nothing_incoming_is_backordered_even_with_a_near_date():
    verdict = _judge(incoming=0, restock=ORDERED + timedelta(days=3))
    assert verdict.backordered and verdict.expected_on == date(2025, 6, 5)


def test_a_restock_date_that_passed_without_stock_counts_as_unknown():
    verdict = _judge(restock=date(2025, 6, 5), today=date(2025, 6, 6))
    assert verdict.backordered and verdict.expected_on is None


# -- the expected ship date --------------------------------------------------------------------


def test_ship_date_adds_the_dispatch_business_days_to_the_restock_date():
    assert ship_by(date(2025, 6, 10), 2, "US") == date(2025, 6, 12)


def test_ship_date_skips_the_weekend():
    assert ship_by(date(2025, 6, 6), 2, "US") == date(2025, 6, 10)  # Friday -> Tuesday


def test_ship_date_skips_the_shops_public_holidays():
    # Thursday July 3 + 2 business days: Friday the 4th is Independence Day in the US only.
    assert ship_by(date(2025, 7, 3), 2, "US") == date(2025, 7, 8)
    assert ship_by(date(2025, 7, 3), 2, "GB") == date(2025, 7, 7)


def test_ship_date_is_unknown_without_a_restock_date():
    assert ship_by(None, 2, "US") is None


def test_ship_text_is_a_calendar_date_in_the_customers_language():
    day = date(2025, 6, 12)
    assert expected_ship_text(day, "en") == "Expected to ship by June 12, 2025"
    assert expected_ship_text(day, "en") == service_levels.expected_ship_text(day)
    assert expected_ship_text(day, "zh-CN") == "预计 2025年6月12日 前发货"
    assert expected_ship_text(None, "en") == "Ship date not known yet"
    assert expected_ship_text(None, "zh-CN") == "发货日期暂未确定"


# -- stock of an order's lines ---------------------------------------------------------------


def _money(amount):
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def _order(lines, fulfillment_orders, *, subtotal, total, shipping="0.00"):
    return Order.from_graphql(
        {
            "id": "gid://shopify/Order/1",
            "legacyResourceId": "1",
            "name": "#1001",
            "createdAt": "2025-06-02T15:00:00Z",
            "processedAt": "2025-06-02T15:00:00Z",
            "updatedAt": "2025-06-02T15:00:00Z",
            "currencyCode": "USD",
            "displayFulfillmentStatus": "UNFULFILLED",
            "returnStatus": "NO_RETURN",
            "subtotalPriceSet": _money(subtotal),
            "totalPriceSet": _money(total),
            "totalRefundedSet": _money("0.00"),
            "totalShippingPriceSet": _money(shipping),
            "lineItems": {
                "nodes": [
                    {
                        "id": f"gid://shopify/LineItem/{n}",
                        "name": f"Item {n}",
                        "title": f"Item {n}",
                        "sku": f"SKU-{n}",
                        "quantity": qty,
                        "currentQuantity": qty,
                        "refundableQuantity": qty,
                        "unfulfilledQuantity": qty,
                        "originalUnitPriceSet": _money(price),
                        "discountedUnitPriceAfterAllDiscountsSet": _money(price),
                        "variant": {
                            "id": f"gid://shopify/ProductVariant/{n}",
                            "inventoryItem": {"id": f"gid://shopify/InventoryItem/{n}"},
                        },
                    }
                    for n, qty, price in lines
                ]
            },
            "fulfillmentOrders": {
                "nodes": [
                    {
                        "id": f"gid://shopify/FulfillmentOrder/{i}",
                        "status": status,
                        "assignedLocation": {"location": {"id": location}},
                        "lineItems": {
                            "nodes": [
                                {
                                    "id": f"gid://shopify/FulfillmentOrderLineItem/{i}{n}",
                                    "totalQuantity": qty,
                                    "remainingQuantity": qty,
                                    "lineItem": {"id": f"gid://shopify/LineItem/{n}"},
                                }
                                for n, qty in fo_lines
                            ]
                        },
                    }
                    for i, (status, location, fo_lines) in enumerate(fulfillment_orders)
                ]
            },
        }
    )


def _inventory(n, levels, tracked=True):
    return VariantInventory.from_graphql(
        {
            "id": f"gid://shopify/ProductVariant/{n}",
            "sku": f"SKU-{n}",
            "inventoryItem": {
                "id": f"gid://shopify/InventoryItem/{n}",
                "tracked": tracked,
                "inventoryLevels": {
                    "nodes": [
                        {
                            "location": {"id": loc, "name": loc},
                            "quantities": [
                                {"name": "available", "quantity": available},
                                {"name": "incoming", "quantity": incoming},
                            ],
                        }
                        for loc, available, incoming in levels
                    ]
                },
            },
        }
    )


def test_stock_is_read_at_the_location_that_fulfils_the_line():
    order = _order(
        [(1, 2, "48.00")], [("OPEN", "loc-b", [(1, 2)])], subtotal="96.00", total="96.00"
    )
    inventory = [_inventory(1, [("loc-a", 10, 0), ("loc-b", -1, 3)])]
    [stock] = line_stocks(order, inventory)
    assert (stock.remaining, stock.short, stock.incoming, stock.location_id) == (2, 1, 3, "loc-b")
    assert (stock.line_item_id, stock.variant_id, stock.inventory_item_id) == (1, 1, 1)


def test_untracked_items_and_closed_fulfillment_orders_are_never_short():
    order = _order(
        [(1, 1, "10.00"), (2, 1, "10.00")],
        [("OPEN", "loc-a", [(1, 1)]), ("CLOSED", "loc-a", [(2, 1)])],
        subtotal="20.00",
        total="20.00",
    )
    inventory = [
        _inventory(1, [("loc-a", -3, 0)], tracked=False),
        _inventory(2, [("loc-a", -3, 0)]),
    ]
    stocks = {s.line_item_id: s.short for s in line_stocks(order, inventory)}
    assert stocks == {1: 0, 2: 1}  # line 2 has no open fulfillment order: its first location


def test_a_lines_refund_value_includes_its_share_of_the_orders_tax():
    # 48.00 + 12.00 = 60.00 subtotal, 6.00 tax, 5.00 shipping: the dress carries 4.80 of the tax.
    order = _order(
        [(1, 1, "48.00"), (2, 1, "12.00")],
        [("OPEN", "loc-a", [(1, 1), (2, 1)])],
        subtotal="60.00",
        total="71.00",
        shipping="5.00",
    )
    stocks = line_stocks(order, [_inventory(1, [("loc-a", -1, 0)])])
    assert stocks[0].unit_amount == Decimal("52.80")


# -- one-click links ---------------------------------------------------------------------------


def _link(**over):
    values = {
        "shop": "petite-plume.myshopify.com",
        "order_id": 5001,
        "line_item_id": 7001,
        "action": "refund",
        "jti": "j-1",
        "issued_at": NOW,
    }
    values.update(over)
    return sign_link(SECRET, **values)


def test_a_signed_link_reads_back_its_shop_order_line_and_action():
    claims = read_link(SECRET, _link(), NOW + timedelta(days=29))
    assert (claims.shop, claims.order_id, claims.line_item_id) == (
        "petite-plume.myshopify.com",
        5001,
        7001,
    )
    assert (claims.action, claims.jti) == ("refund", "j-1")
    assert claims.expires_at == NOW + timedelta(days=30)


def test_a_link_is_refused_as_expired_after_30_days():
    with pytest.raises(LinkRefused) as err:
        read_link(SECRET, _link(), NOW + timedelta(days=30))
    assert err.value.reason == "expired"


def test_a_link_signed_with_another_key_is_refused_as_forged():
    token = sign_link(
        b"someone-else-entirely-0123456789abcdef",
        shop="petite-plume.myshopify.com",
        order_id=5001,
        line_item_id=7001,
        action="refund",
        jti="j-1",
        issued_at=NOW,
    )
    with pytest.raises(LinkRefused) as err:
        read_link(SECRET, token, NOW)
    assert err.value.reason == "forged"


def test_a_link_whose_claims_were_edited_is_refused_as_forged():
    header, _, signature = _link().split(".")
    other = _link(line_item_id=9999).split(".")[1]  # another line's claims, this signature
    with pytest.raises(LinkRefused) as err:
        read_link(SECRET, f"{header}.{other}.{signature}", NOW)
    assert err.value.reason == "forged"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("not-a-link", "malformed"),
        ("a.b.c", "malformed"),
        (
            jwt.encode(
                {
                    "aud": "someone-else",
                    "shop": "petite-plume.myshopify.com",
                    "order": "1",
                    "line": "2",
                    "act": "refund",
                    "jti": "x",
                    "exp": 2**40,
                },
                SECRET,
                algorithm="HS256",
            ),
            "forged",
        ),
        (
            jwt.encode(
                {"aud": LINK_AUDIENCE, "shop": "petite-plume.myshopify.com", "exp": 2**40},
                SECRET,
                algorithm="HS256",
            ),
            "malformed",
        ),
        (
            jwt.encode(
                {
                    "aud": LINK_AUDIENCE,
                    "shop": "petite-plume.myshopify.com",
                    "order": "1",
                    "line": "2",
                    "act": "delete_everything",
                    "jti": "x",
                    "exp": 2**40,
                },
                SECRET,
                algorithm="HS256",
            ),
            "malformed",
        ),
    ],
)
def test_a_link_that_is_not_a_whole_hemline_link_is_refused(token, reason):
    with pytest.raises(LinkRefused) as err:
        read_link(SECRET, token, NOW)
    assert err.value.reason == reason


def test_an_unsigned_link_is_refused():
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = _link().split(".")[1]
    with pytest.raises(LinkRefused) as err:
        read_link(SECRET, f"{header}.{body}.", NOW)
    assert err.value.reason in ("forged", "malformed")
