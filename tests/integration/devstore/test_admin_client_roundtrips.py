"""Each Admin operation the app uses round-trips through AdminClient and the simulator."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from app.shopify.errors import ShopifyUserError
from app.shopify.models import (
    Disposition,
    Money,
    ProcessLineRequest,
    RefundLineRequest,
    RefundTransactionRequest,
    ReturnLineRequest,
)

pytestmark = pytest.mark.integration


def test_shop_facts_round_trip_when_read(admin, sim):
    info = admin.shop()
    assert (info.domain, info.currency, info.country_code, info.iana_timezone) == (
        sim.shop,
        "USD",
        "US",
        "America/New_York",
    )


def test_order_reads_lines_fulfillments_and_money_when_delivered(admin, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    assert order.name == delivered_order["name"]
    assert order.legacy_id == delivered_order["id"] and order.legacy_id > 2**53
    assert order.fulfillment_status == "FULFILLED"
    assert order.total == Money(Decimal("116.95"), "USD")
    romper = order.lines[0]
    assert (romper.quantity, romper.compare_at_price, romper.product_type) == (
        2,
        Decimal("60.00"),
        "Rompers",
    )
    assert order.lines[1].product_tags == ("hair-bow", "final-sale")
    shipment = order.fulfillments[0]
    assert shipment.tracking_number == "9400100000000000000001"
    assert shipment.delivered_at is not None and shipment.display_status == "DELIVERED"
    assert {ln.line_item_id for ln in shipment.lines} == {ln.id for ln in order.lines}
    assert order.transactions[0].kind == "SALE"
    assert order.shipping_lines[0].original_price == Money(Decimal("6.95"), "USD")


def test_order_shows_stock_hold_when_item_sold_out(admin, sim, catalogue, tokens):
    dress = catalogue["dress"]["variants"][0]
    placed = sim.order(customer="maya@example.com", lines=[{"sku": dress["sku"], "quantity": 1}])
    order = admin.get_order(placed["gid"])
    assert order.fulfillment_status == "ON_HOLD"
    assert order.fulfillment_orders[0].holds[0].reason == "INVENTORY_OUT_OF_STOCK"


def test_get_order_returns_none_when_id_is_unknown(admin):
    assert admin.get_order("gid://shopify/Order/1") is None


def test_orders_updated_since_pages_when_several_changed(admin, sim, catalogue, tokens, clock):
    bow = catalogue["bow"]["variants"][0]
    since = clock.now() - timedelta(seconds=1)
    names = {
        sim.order(customer="a@example.com", lines=[{"sku": bow["sku"]}])["name"] for _ in range(3)
    }
    first = admin.orders_updated_since(since, first=2)
    second = admin.orders_updated_since(since, first=2, after=first.end_cursor)
    assert first.has_next_page and not second.has_next_page
    assert {o.name for o in first.orders + second.orders} == names


def test_inventory_levels_report_available_and_incoming_when_many_variants(admin, sim, catalogue):
    many = sim.product(
        "Grosgrain Hair Bow Set",
        *[
            {
                "title": f"Colour {i}",
                "sku": f"SET-{i}-{sim.shop[:8]}",
                "price": "18.00",
                "inventory": i,
            }
            for i in range(30)
        ],
        tags=["hair-bow", "final-sale"],
    )
    dress = catalogue["dress"]["variants"][0]
    ids = [v["gid"] for v in many["variants"]] + [dress["gid"], "gid://shopify/ProductVariant/1"]
    levels = admin.inventory_levels(ids)
    assert len(levels) == 31
    assert [lv.available for lv in levels[:30]] == list(range(30))
    sundress = levels[-1]
    assert (sundress.available, sundress.incoming) == (0, 12)
    assert {lv.location_name for lv in sundress.levels} == {"Brooklyn Studio", "Warehouse"}
    assert len(sim.requests_for("InventoryLevels")) == 2


def test_return_is_requested_approved_labelled_processed_and_closed_when_customer_returns(
    admin, sim, delivered_order
):
    order = admin.get_order(delivered_order["gid"])
    romper_line = order.fulfillments[0].lines[0]
    reason = admin.return_reasons(["size-too-small"])[0]
    requested = admin.request_return(
        order.id, [ReturnLineRequest(romper_line.id, 1, reason.id, note="Runs small")]
    )
    assert (requested.status, requested.name) == ("REQUESTED", f"{order.name}-R1")
    assert requested.lines[0].reason_handle == "size-too-small"
    assert requested.lines[0].customer_note == "Runs small"

    approved = admin.approve_return_request(requested.id)
    assert approved.status == "OPEN" and approved.approved_at is not None
    rfo = approved.reverse_fulfillment_orders[0]

    label = admin.create_reverse_delivery_with_shipping(
        rfo.id,
        [(rfo.lines[0].id, 1)],
        tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        label_url="https://labels.example/rma-1.pdf",
        notify_customer=True,
    )
    assert (label.carrier_name, label.label_url) == ("UPS", "https://labels.example/rma-1.pdf")

    sale = order.transactions[0]
    processed = admin.process_return(
        approved.id,
        [
            ProcessLineRequest(
                approved.lines[0].id, 1, (Disposition(rfo.lines[0].id, 1, "RESTOCKED"),)
            )
        ],
        refunds=[RefundTransactionRequest(sale.id, Decimal("48.00"), sale.gateway or "bogus")],
        currency="USD",
    )
    assert processed.lines[0].processed_quantity == 1
    assert processed.refunds[0].total == Money(Decimal("48.00"), "USD")

    closed = admin.close_return(approved.id)
    assert closed.status == "CLOSED"
    refunds = sim.get(sim.shop_path("/refunds"))
    assert [(r["total"], r["return_gid"]) for r in refunds] == [("48.00", approved.id)]
    romper_stock = sim.get(sim.shop_path("/products"))[0]["variants"][0]["inventory"][
        "Brooklyn Studio"
    ]
    assert romper_stock["available"] == 10 - 2 + 1


def test_return_opens_at_once_when_merchant_creates_it(admin, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    created = admin.create_return(
        order.id, [ReturnLineRequest(order.fulfillments[0].lines[1].id, 1, note="damaged")]
    )
    assert created.status == "OPEN"
    assert created.reverse_fulfillment_orders[0].lines[0].total_quantity == 1
    assert admin.get_return(created.id).lines[0].reason_note == "damaged"


def test_decline_records_reason_when_request_is_declined(admin, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    requested = admin.request_return(
        order.id, [ReturnLineRequest(order.fulfillments[0].lines[1].id, 1)]
    )
    declined = admin.decline_return_request(
        requested.id, "FINAL_SALE", note="Hair bows are final sale"
    )
    assert (declined.status, declined.decline_reason, declined.decline_note) == (
        "DECLINED",
        "FINAL_SALE",
        "Hair bows are final sale",
    )


def test_refund_create_refunds_lines_and_money_when_key_is_fresh(admin, sim, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    refund = admin.refund_create(
        order.id,
        [
            RefundLineRequest(
                order.lines[1].id, 1, "RETURN", order.fulfillment_orders[0].location_id
            )
        ],
        idempotency_key=str(uuid.uuid4()),
        transactions=[
            RefundTransactionRequest(order.transactions[0].id, Decimal("14.00"), "bogus")
        ],
        note="Bow arrived crushed",
    )
    assert refund.total == Money(Decimal("14.00"), "USD")
    assert refund.lines[0].restock_type == "RETURN"
    assert admin.get_order(order.id).total_refunded == Money(Decimal("14.00"), "USD")


def test_store_credit_balance_grows_when_credited_twice(admin, delivered_order):
    customer = admin.get_order(delivered_order["gid"]).customer_id
    admin.credit_store_credit(customer, Money(Decimal("20.00"), "USD"))
    second = admin.credit_store_credit(customer, Money(Decimal("5.50"), "USD"))
    assert second.balance_after == Money(Decimal("25.50"), "USD")
    again = admin.credit_store_credit(second.account_id, Money(Decimal("1.00"), "USD"))
    assert again.account_balance == Money(Decimal("26.50"), "USD")


def test_gift_card_is_issued_when_store_credit_is_not_used(admin, delivered_order):
    customer = admin.get_order(delivered_order["gid"]).customer_id
    card = admin.create_gift_card(Decimal("48.00"), customer_id=customer, note="RMA 1 fallback")
    assert card.balance == Money(Decimal("48.00"), "USD")
    assert card.code and card.code.endswith(card.last_characters)
    assert card.customer_id == customer


def test_discount_code_is_created_for_customer_when_offered(admin, sim, delivered_order):
    customer = admin.get_order(delivered_order["gid"]).customer_id
    code = f"THANKS-{uuid.uuid4().hex[:6].upper()}"
    discount = admin.create_discount_code(code, percentage=Decimal("0.15"), customer_id=customer)
    assert (discount.code, discount.status, discount.usage_limit) == (code, "ACTIVE", 1)
    listed = sim.get(sim.shop_path("/discount_codes"))
    assert listed[0]["percentage"] == 0.15 and listed[0]["customer_gids"] == [customer]


def test_shipping_is_upgraded_at_no_charge_when_order_is_delayed(admin, sim, catalogue, tokens):
    romper = catalogue["romper"]["variants"][0]
    placed = sim.order(
        customer="zoe@example.com",
        lines=[{"sku": romper["sku"]}],
        shipping={"title": "Standard Shipping", "price": "6.95"},
    )
    lines = admin.upgrade_shipping_at_no_charge(
        placed["gid"], "Express Shipping (upgrade)", staff_note="delay"
    )
    assert [(ln.title, ln.original_price.amount) for ln in lines] == [
        ("Express Shipping (upgrade)", Decimal("6.95"))
    ]
    assert sim.refresh(placed)["total_price"] == placed["total_price"]


def test_tags_and_note_are_saved_when_order_is_annotated(admin, sim, delivered_order):
    admin.add_tags(delivered_order["gid"], ["hemline-return-requested"])
    admin.update_order_note(delivered_order["gid"], "RMA-1 requested")
    fresh = admin.get_order(delivered_order["gid"])
    assert (fresh.tags, fresh.note) == (("hemline-return-requested",), "RMA-1 requested")


def test_webhook_subscription_round_trips_when_created_listed_and_deleted(admin, receiver):
    created = admin.create_webhook_subscription(
        "RETURNS_REQUEST", f"{receiver.url}/webhooks/returns"
    )
    assert [s.id for s in admin.webhook_subscriptions()] == [created.id]
    assert admin.delete_webhook_subscription(created.id) == created.id
    assert admin.webhook_subscriptions() == []


def test_user_error_is_raised_when_return_quantity_exceeds_returnable(admin, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    with pytest.raises(ShopifyUserError) as caught:
        admin.request_return(order.id, [ReturnLineRequest(order.fulfillments[0].lines[0].id, 3)])
    detail = caught.value.details[0]
    assert detail.field == ("input", "returnLineItems", "0", "quantity")
    assert "only 2 can be returned" in detail.message


def test_user_error_is_raised_when_ids_are_unknown(admin, delivered_order):
    with pytest.raises(ShopifyUserError) as caught:
        admin.request_return(
            delivered_order["gid"], [ReturnLineRequest("gid://shopify/FulfillmentLineItem/1", 1)]
        )
    assert caught.value.details[0].code == "NOT_FOUND"
    with pytest.raises(ShopifyUserError) as caught:
        admin.credit_store_credit("gid://shopify/Customer/1", Money(Decimal("5"), "USD"))
    assert caught.value.details[0].code == "OWNER_NOT_FOUND"


def test_user_error_is_raised_when_refund_exceeds_what_was_bought(admin, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    with pytest.raises(ShopifyUserError) as caught:
        admin.refund_create(order.id, [RefundLineRequest(order.lines[1].id, 2)], str(uuid.uuid4()))
    assert caught.value.details[0].field == ("refundLineItems", "0", "quantity")


def test_user_error_is_raised_when_closing_a_requested_return(admin, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    requested = admin.request_return(
        order.id, [ReturnLineRequest(order.fulfillments[0].lines[0].id, 1)]
    )
    with pytest.raises(ShopifyUserError) as caught:
        admin.close_return(requested.id)
    assert caught.value.details[0].code == "INVALID_STATE"
