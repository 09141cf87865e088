"""Exchange items through the simulator: returnCreate records them, returnProcess ships them.

As in Shopify since 2025-07, an exchange item joins the order (a new line in a
new fulfillment order) only when returnProcess processes it, and only an
exchange the buyer still owes money for is held (AWAITING_PAYMENT).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.shopify.errors import ShopifyGraphQLError, ShopifyUserError
from app.shopify.models import (
    Disposition,
    ExchangeLineRequest,
    ProcessLineRequest,
    ReturnInfo,
    ReturnLineRequest,
)

pytestmark = pytest.mark.integration

UNKNOWN_VARIANT = "gid://shopify/ProductVariant/9007199254740993"


def _romper_return(admin, delivered_order, *exchange: ExchangeLineRequest) -> ReturnInfo:
    order = admin.get_order(delivered_order["gid"])
    romper = order.fulfillments[0].lines[0]
    return admin.create_return(
        order.id, [ReturnLineRequest(romper.id, 1, note="too small")], exchange_lines=exchange
    )


def _process(admin, ret: ReturnInfo, *, exchange_quantity: int = 1) -> ReturnInfo:
    rfo_line = ret.reverse_fulfillment_orders[0].lines[0]
    return admin.process_return(
        ret.id,
        [ProcessLineRequest(ret.lines[0].id, 1, (Disposition(rfo_line.id, 1, "RESTOCKED"),))],
        exchange_lines=[(ret.exchange_lines[0].id, exchange_quantity)],
    )


def _variant(catalogue, product: str, index: int = 0) -> dict:
    return catalogue[product]["variants"][index]


def test_exchange_item_is_refused_when_variant_is_unknown(admin, sim, delivered_order):
    with pytest.raises(ShopifyUserError) as err:
        _romper_return(admin, delivered_order, ExchangeLineRequest(UNKNOWN_VARIANT, 1))
    [detail] = err.value.details
    assert detail.field == ("returnInput", "exchangeLineItems", "0", "variantId")
    assert (detail.code, detail.message) == ("NOT_FOUND", "Variant does not exist")
    assert sim.get(sim.shop_path("/returns")) == []


@pytest.mark.parametrize(
    ("product", "index", "quantity", "available"),
    [("dress", 0, 1, 0), ("romper", 1, 4, 3)],
    ids=["sold-out dress", "more 4T rompers than in stock"],
)
def test_exchange_item_is_refused_when_out_of_stock(
    admin, sim, catalogue, delivered_order, product, index, quantity, available
):
    variant = _variant(catalogue, product, index)
    with pytest.raises(ShopifyUserError) as err:
        _romper_return(admin, delivered_order, ExchangeLineRequest(variant["gid"], quantity))
    [detail] = err.value.details
    assert detail.field == ("returnInput", "exchangeLineItems", "0", "variantId")
    assert detail.code == "INVALID"
    assert f"out of stock: {quantity} wanted, {available} available" in detail.message
    assert sim.get(sim.shop_path("/returns")) == []


def test_exchange_item_waits_on_the_return_until_it_is_processed(
    admin, sim, receiver, catalogue, delivered_order
):
    four_t = _variant(catalogue, "romper", 1)
    ret = _romper_return(admin, delivered_order, ExchangeLineRequest(four_t["gid"], 1))
    [item] = ret.exchange_lines
    assert (item.variant_id, item.quantity, item.unprocessed_quantity) == (four_t["gid"], 1, 0 + 1)
    assert item.line_item_ids == ()
    order = sim.refresh(delivered_order)
    assert len(order["line_items"]) == 2 and len(order["fulfillment_orders"]) == 1
    sim.wait_webhooks()
    [hook] = receiver.for_shop(sim.shop, "returns/approve")
    body = hook.json()
    assert body["total_exchange_line_items"] == 1
    assert body["exchange_line_items"] == [
        {"id": int(item.id.rsplit("/", 1)[1]), "admin_graphql_api_id": item.id, "line_item": None}
    ]


def test_processed_exchange_item_is_a_new_unfulfilled_line_at_no_charge(
    admin, sim, receiver, catalogue, delivered_order
):
    four_t = _variant(catalogue, "romper", 1)
    ret = _romper_return(admin, delivered_order, ExchangeLineRequest(four_t["gid"], 1))
    processed = _process(admin, ret)
    [item] = processed.exchange_lines
    assert (item.processed_quantity, item.unprocessed_quantity) == (1, 0)
    [new_line_gid] = item.line_item_ids
    order = sim.refresh(delivered_order)
    new_line = next(li for li in order["line_items"] if li["gid"] == new_line_gid)
    assert new_line["variant_gid"] == four_t["gid"] and new_line["fulfilled_quantity"] == 0
    assert new_line["exchange_line_item_gid"] == item.id
    exchange_fo = order["fulfillment_orders"][-1]
    assert (exchange_fo["status"], exchange_fo["holds"]) == ("OPEN", [])
    assert exchange_fo["line_item_gids"] == [new_line_gid]
    # Even exchange: nothing owed, nothing refunded, the order's totals as bought.
    assert order["total_outstanding"] == "0.00" and order["total_price"] == "116.95"
    assert sim.get(sim.shop_path("/refunds")) == []
    assert order["fulfillment_status"] == "PARTIALLY_FULFILLED"
    stock = sim.get(sim.shop_path("/products"))[0]["variants"][1]["inventory"]["Brooklyn Studio"]
    assert (stock["available"], stock["committed"]) == (2, 1)

    shipped = sim.act(delivered_order, "fulfil", tracking_number="9400100000000000000077")
    assert shipped["fulfillment_orders"][-1]["status"] == "CLOSED"
    assert shipped["fulfillment_status"] == "FULFILLED"
    sim.wait_webhooks()
    last = receiver.for_shop(sim.shop, "fulfillments/create")[-1].json()
    assert [li["admin_graphql_api_id"] for li in last["line_items"]] == [new_line_gid]
    assert last["tracking_number"] == "9400100000000000000077"


def test_exchange_item_keeps_the_discount_paid_when_a_percentage_is_applied(
    admin, sim, catalogue, tokens
):
    romper, four_t = _variant(catalogue, "romper"), _variant(catalogue, "romper", 1)
    order = sim.order(
        customer="mae@example.com", lines=[{"sku": romper["sku"], "discount": "8.00"}]
    )
    sim.act(order, "fulfil")
    shopify_order = admin.get_order(order["gid"])
    ret = admin.create_return(
        shopify_order.id,
        [ReturnLineRequest(shopify_order.fulfillments[0].lines[0].id, 1)],
        exchange_lines=[
            ExchangeLineRequest(
                four_t["gid"], 1, discount_percent=Decimal("16.6667"), discount_description="paid"
            )
        ],
    )
    [summary] = sim.get(sim.shop_path("/returns"))
    assert summary["exchange_line_items"][0]["discounted_unit_price"] == "40.00"
    _process(admin, ret)
    refreshed = sim.refresh(order)
    assert refreshed["fulfillment_orders"][-1]["holds"] == []
    assert refreshed["total_outstanding"] == "0.00"


def test_exchange_owing_money_is_held_for_payment_when_new_item_costs_more(
    admin, sim, catalogue, delivered_order
):
    dearer = sim.product(
        "Smocked Linen Romper, lined",
        {"title": "4T", "sku": f"ROMP-LINED-{sim.shop[:8]}", "price": "58.00", "inventory": 5},
    )["variants"][0]
    ret = _romper_return(admin, delivered_order, ExchangeLineRequest(dearer["gid"], 1))
    _process(admin, ret)
    order = sim.refresh(delivered_order)
    assert order["fulfillment_orders"][-1]["holds"] == ["AWAITING_PAYMENT"]
    assert order["total_outstanding"] == "10.00"
    [summary] = sim.get(sim.shop_path("/returns"))
    assert summary["exchange_balance_due"] == "10.00"


def test_exchange_item_is_refused_when_processed_twice(admin, catalogue, delivered_order):
    four_t = _variant(catalogue, "romper", 1)
    ret = _romper_return(admin, delivered_order, ExchangeLineRequest(four_t["gid"], 1))
    _process(admin, ret)
    with pytest.raises(ShopifyUserError) as err:
        admin.process_return(ret.id, [], exchange_lines=[(ret.exchange_lines[0].id, 1)])
    assert err.value.details[0].field == ("input", "exchangeLineItems", "0", "quantity")


def test_fixed_amount_discount_is_a_loud_error_when_the_simulator_would_guess(
    admin, catalogue, delivered_order
):
    order = admin.get_order(delivered_order["gid"])
    item = {
        "variantId": _variant(catalogue, "romper", 1)["gid"],
        "quantity": 1,
        "appliedDiscount": {"value": {"amount": {"amount": "5.00", "currencyCode": "USD"}}},
    }
    returned = {"fulfillmentLineItemId": order.fulfillments[0].lines[0].id, "quantity": 1}
    with pytest.raises(ShopifyGraphQLError, match="devstore does not implement"):
        admin.mutate(
            "return_create",
            {
                "returnInput": {
                    "orderId": order.id,
                    "returnLineItems": [returned],
                    "exchangeLineItems": [item],
                }
            },
        )
