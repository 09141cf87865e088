"""Webhooks reach the app signed like Shopify's, in the shapes of Shopify's published samples."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from app.shopify.models import ReturnLineRequest
from tests.support.shopify import WEBHOOKS

pytestmark = pytest.mark.integration

HEADERS = {
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-API-Version",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Event-Id",
    "X-Shopify-Triggered-At",
    "X-Shopify-Hmac-Sha256",
}


def sample(topic: str) -> dict:
    return json.loads(
        (WEBHOOKS / f"{topic.replace('/', '_')}__shopify-docs-2026-04.json").read_text()
    )


def received(sim, receiver, topic):
    sim.wait_webhooks()
    return receiver.for_shop(sim.shop, topic)


def test_order_webhook_is_signed_over_raw_body_when_order_is_placed(
    sim, receiver, catalogue, tokens
):
    order = sim.order(
        customer="grace@example.com", lines=[{"sku": catalogue["bow"]["variants"][0]["sku"]}]
    )
    [hook] = received(sim, receiver, "orders/create")
    assert hook.path == "/webhooks"
    assert HEADERS <= set(hook.headers)
    assert hook.signature_ok()
    assert not hook.signature_ok("some-other-secret")
    assert hook.headers["X-Shopify-Shop-Domain"] == sim.shop
    assert hook.headers["X-Shopify-API-Version"] == "2026-04"
    uuid.UUID(hook.headers["X-Shopify-Webhook-Id"])
    body = hook.json()
    assert body["id"] == order["id"] and isinstance(body["id"], int) and body["id"] > 2**53
    assert body["admin_graphql_api_id"] == order["gid"]
    assert (body["subtotal_price"], body["total_price"]) == ("14.00", "20.95")


def _keys(ours: dict, theirs: dict, *path: str | int) -> tuple[set, set]:
    for step in path:
        ours, theirs = ours[step], theirs[step]
    return set(ours), set(theirs)


@pytest.mark.parametrize(
    ("topic", "paths"),
    [
        (
            "orders/create",
            [
                (),
                ("line_items", 0),
                ("shipping_lines", 0),
                ("customer",),
                ("customer", "default_address"),
                ("shipping_address",),
                ("total_price_set",),
            ],
        ),
        ("fulfillments/create", [(), ("line_items", 0), ("destination",)]),
        (
            "refunds/create",
            [
                (),
                ("refund_line_items", 0),
                ("refund_line_items", 0, "line_item"),
                ("transactions", 0),
            ],
        ),
    ],
)
def test_payload_keys_match_shopify_sample_when_topic_is_sent(
    sim, receiver, delivered_order, topic, paths
):
    romper = delivered_order["line_items"][0]
    sim.act(delivered_order, "refund", line_items=[{"line_item_gid": romper["gid"], "quantity": 1}])
    [hook] = received(sim, receiver, topic)
    ours, theirs = hook.json(), sample(topic)
    for path in paths:
        assert _keys(ours, theirs, *path)[0] == _keys(ours, theirs, *path)[1], path


def test_refund_payload_keeps_shopify_types_when_refunded(sim, receiver, delivered_order):
    romper = delivered_order["line_items"][0]
    sim.act(delivered_order, "refund", line_items=[{"line_item_gid": romper["gid"], "quantity": 1}])
    [hook] = received(sim, receiver, "refunds/create")
    line = hook.json()["refund_line_items"][0]
    assert line["subtotal"] == 48.0 and line["subtotal_set"]["shop_money"]["amount"] == "48.00"
    assert hook.json()["transactions"][0]["amount"] == "48.00"


def test_delivery_is_announced_when_carrier_delivers(sim, receiver, delivered_order):
    updates = [h.json() for h in received(sim, receiver, "fulfillments/update")]
    assert updates[-1]["shipment_status"] == "delivered"


def test_delay_is_announced_when_shipment_runs_late(sim, receiver, catalogue, tokens):
    order = sim.order(
        customer="nora@example.com", lines=[{"sku": catalogue["romper"]["variants"][1]["sku"]}]
    )
    sim.act(order, "fulfil")
    sim.act(order, "delay", days=4)
    [update] = [h.json() for h in received(sim, receiver, "fulfillments/update")]
    assert update["shipment_status"] == "delayed"


def test_hold_is_announced_when_order_is_out_of_stock(sim, receiver, catalogue, tokens):
    sim.order(
        customer="isla@example.com", lines=[{"sku": catalogue["dress"]["variants"][0]["sku"]}]
    )
    [hold] = [h.json() for h in received(sim, receiver, "fulfillment_orders/placed_on_hold")]
    assert hold["created_fulfillment_hold"]["reason"] == "inventory_out_of_stock"
    assert set(hold) == set(sample("fulfillment_orders/placed_on_hold"))


def test_return_topics_are_sent_when_returns_move(admin, sim, receiver, delivered_order):
    order = admin.get_order(delivered_order["gid"])
    romper, bow = order.fulfillments[0].lines
    kept = admin.request_return(order.id, [ReturnLineRequest(romper.id, 1, note="too big")])
    refused = admin.request_return(order.id, [ReturnLineRequest(bow.id, 1)])
    admin.decline_return_request(refused.id, "FINAL_SALE")
    approved = admin.approve_return_request(kept.id)
    rfo = approved.reverse_fulfillment_orders[0]
    admin.create_reverse_delivery_with_shipping(
        rfo.id,
        [(rfo.lines[0].id, 1)],
        tracking_number="9400111",
        label_url="https://labels.example/x.pdf",
    )
    admin.close_return(kept.id)

    requested = [h.json() for h in received(sim, receiver, "returns/request")]
    assert [r["admin_graphql_api_id"] for r in requested] == [kept.id, refused.id]
    assert set(requested[0]) == set(sample("returns/request"))
    assert requested[0]["return_line_items"][0]["customer_note"] == "too big"
    [declined] = [h.json() for h in received(sim, receiver, "returns/decline")]
    assert declined["decline"]["reason"] == "final_sale" and set(declined) == set(
        sample("returns/decline")
    )
    [opened] = [h.json() for h in received(sim, receiver, "returns/approve")]
    assert opened["status"] == "open" and set(opened) == set(sample("returns/approve"))
    [label] = [h.json() for h in received(sim, receiver, "reverse_deliveries/attach_deliverable")]
    assert (
        label["shipping_deliverable"]["label"]["public_file_url"] == "https://labels.example/x.pdf"
    )
    assert set(label) == set(sample("reverse_deliveries/attach_deliverable"))
    [closed] = [h.json() for h in received(sim, receiver, "returns/close")]
    assert closed == {
        "id": closed["id"],
        "admin_graphql_api_id": kept.id,
        "order_id": delivered_order["id"],
        "status": "closed",
    }


def test_webhook_is_retried_with_same_id_when_app_answers_500(sim, receiver, catalogue, tokens):
    receiver.fail_next = 2
    sim.order(
        customer="hannah@example.com", lines=[{"sku": catalogue["bow"]["variants"][0]["sku"]}]
    )
    hooks = received(sim, receiver, "orders/create")
    assert len(hooks) == 3
    assert len({h.headers["X-Shopify-Webhook-Id"] for h in hooks}) == 1
    assert len({h.body for h in hooks}) == 1 and all(h.signature_ok() for h in hooks)
    [log] = sim.deliveries("orders/create")
    assert [a["status"] for a in log["attempts"]] == [500, 500, 200] and log[
        "status"
    ] == "delivered"


def test_redelivery_repeats_webhook_id_when_requested(sim, receiver, catalogue, tokens):
    sim.order(customer="lucia@example.com", lines=[{"sku": catalogue["bow"]["variants"][0]["sku"]}])
    [first] = received(sim, receiver, "orders/create")
    webhook_id = first.headers["X-Shopify-Webhook-Id"]
    sim.post(f"/_sim/webhooks/{webhook_id}/redeliver", expect=202)
    again = received(sim, receiver, "orders/create")
    assert [h.headers["X-Shopify-Webhook-Id"] for h in again] == [webhook_id, webhook_id]
    assert again[0].body == again[1].body


def test_subscription_address_is_used_when_app_registered_one(admin, sim, receiver, catalogue):
    admin.create_webhook_subscription("ORDERS_CREATE", f"{receiver.url}/hooks/orders-create")
    sim.order(customer="sofia@example.com", lines=[{"sku": catalogue["bow"]["variants"][0]["sku"]}])
    [hook] = received(sim, receiver, "orders/create")
    assert hook.path == "/hooks/orders-create"


def test_no_webhook_is_sent_when_app_is_not_installed(sim, receiver, catalogue):
    sim.order(
        customer="amelia@example.com", lines=[{"sku": catalogue["bow"]["variants"][0]["sku"]}]
    )
    assert received(sim, receiver, None) == []
    assert sim.deliveries() == []


def test_uninstall_is_announced_and_tokens_revoked_when_app_is_removed(admin, sim, receiver):
    sim.post(sim.shop_path("/uninstall"))
    [hook] = received(sim, receiver, "app/uninstalled")
    assert set(hook.json()) == set(sample("app/uninstalled"))
    assert hook.json()["myshopify_domain"] == sim.shop
    from app.shopify.errors import ShopifyAuthError

    with pytest.raises(ShopifyAuthError):
        admin.shop()


def test_refund_from_admin_sends_money_as_strings_when_partial(sim, receiver, delivered_order):
    sim.act(delivered_order, "refund", shipping="6.95")
    [hook] = received(sim, receiver, "refunds/create")
    body = hook.json()
    assert body["refund_line_items"] == []
    assert Decimal(
        body["refund_shipping_lines"][0]["subtotal_amount_set"]["shop_money"]["amount"]
    ) == Decimal("6.95")
