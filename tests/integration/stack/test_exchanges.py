"""Exchanges and replacements against the simulator and DynamoDB Local, through Shopify's
own exchange items: the return carries them, processing it ships them, nothing is charged."""

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.orders import parse_fulfillment
from app.errors import InvalidInput, InvalidTransition
from app.services import returns
from app.services.eligibility import RequestedLine

CUSTOMER = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "L",
    "address": {"address1": "1 Park St", "city": "Brooklyn", "zip": "11201", "country_code": "US"},
}


def _delivered_romper(stack, shop, *, days_ago=3, discount="0"):
    """A 3T romper bought and delivered; the 4T is in stock for an exchange."""
    product = stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Smocked romper",
            "product_type": "Rompers",
            "variants": [
                {"title": "3T", "sku": "ROMP-3T", "price": "48.00", "inventory": 50},
                {"title": "4T", "sku": "ROMP-4T", "price": "48.00", "inventory": 5},
            ],
        },
    )
    placed = datetime.now(UTC) - timedelta(days=days_ago + 3)
    order = stack.sim(
        "POST",
        f"/shops/{shop}/orders",
        json={
            "customer": CUSTOMER,
            "lines": [{"sku": "ROMP-3T", "quantity": 1, "discount": discount}],
            "created_at": placed.isoformat(),
        },
    )
    stack.sim(
        "POST",
        f"/shops/{shop}/orders/{order['id']}/fulfil",
        json={"at": (placed + timedelta(days=1)).isoformat()},
    )
    stack.sim(
        "POST",
        f"/shops/{shop}/orders/{order['id']}/deliver",
        json={"at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()},
    )
    stack.wait_for_webhooks()
    view = stack.container.store.get_order(shop, int(order["id"]))
    assert view is not None and view.delivered_at is not None
    three_t, four_t = product["variants"]
    return view, three_t, four_t


@pytest.fixture
def installed(stack):
    shop = stack.new_shop()
    stack.install(shop)
    return shop


def _ask(stack, shop, view, resolution, *, variant=None, reason="size_fit", photos=()):
    line = view.order.line_items[0]
    return returns.request_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        view,
        [
            RequestedLine(
                line.id,
                1,
                reason,
                resolution,
                "unworn_tags_attached",
                photos=photos,
                exchange_variant_id=variant,
            )
        ],
        customer_email="ada@example.com",
    )


def _receive(stack, shop, view, rma):
    returns.receive_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        rma.number,
        actor="staff:1",
        received={view.order.line_items[0].id: (1, "unworn_tags_attached", True)},
    )


def _sim_return(stack, shop):
    [found] = stack.sim("GET", f"/shops/{shop}/returns")
    return found


def test_exchange_request_opens_a_shopify_return_with_the_chosen_variant(stack, installed):
    view, _, four_t = _delivered_romper(stack, installed)
    rma = _ask(stack, installed, view, "exchange", variant=four_t["id"])
    assert rma.state == "approved" and rma.refund_total == 0
    ret = _sim_return(stack, installed)
    assert (ret["gid"], ret["status"]) == (rma.shopify_return_id, "OPEN")
    assert [
        (e["variant_gid"], e["quantity"], e["processed_quantity"])
        for e in ret["exchange_line_items"]
    ] == [(four_t["gid"], 1, 0)]
    # Shopify adds the new item to the order only when the return is processed.
    order = stack.sim("GET", f"/shops/{installed}/orders/{view.order.id}")
    assert [li["sku"] for li in order["line_items"]] == ["ROMP-3T"]


def test_replacement_asks_shopify_for_the_same_variant(stack, installed):
    view, three_t, _ = _delivered_romper(stack, installed)
    rma = _ask(stack, installed, view, "replacement", reason="defective", photos=("a.jpg", "b.jpg"))
    assert rma.state == "approved"
    [item] = _sim_return(stack, installed)["exchange_line_items"]
    assert (item["variant_gid"], item["quantity"]) == (three_t["gid"], 1)


def test_exchange_is_refused_naming_the_field_when_no_variant_is_chosen(stack, installed):
    view, _, _ = _delivered_romper(stack, installed)
    with pytest.raises(InvalidInput) as err:
        _ask(stack, installed, view, "exchange", variant=None)
    assert err.value.field == "items[0].exchange_variant_id"
    assert "size or colour" in str(err.value)
    # Refused before anything was stored or sent: nothing holds the romper.
    assert stack.container.store.rmas_for_order(installed, view.order.id) == []
    assert stack.sim("GET", f"/shops/{installed}/returns") == []


def test_exchange_is_processed_once_and_ships_free_when_two_workers_settle_it(stack, installed):
    view, _, four_t = _delivered_romper(stack, installed, discount="8.00")  # paid 40.00
    rma = _ask(stack, installed, view, "exchange", variant=four_t["id"])
    _receive(stack, installed, view, rma)
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    outcomes = []
    barrier = threading.Barrier(2)

    def settle():
        barrier.wait()
        try:
            outcomes.append(returns.exchange_return(ctx, shop, rma.number, actor="staff:1").state)
        except Exception as exc:  # the loser sees a conflict
            outcomes.append(type(exc).__name__)

    workers = [threading.Thread(target=settle) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert "exchanged" in outcomes, outcomes
    settled = stack.container.store.get_rma(installed, rma.number)
    assert settled.state == "exchanged" and settled.timeline[-1].note == "no refund"
    ret = _sim_return(stack, installed)
    assert [li["processed_quantity"] for li in ret["line_items"]] == [1]
    [item] = ret["exchange_line_items"]
    assert item["processed_quantity"] == 1 and len(item["line_item_gids"]) == 1
    # The customer paid 40.00 for the 3T; the 4T carries the same discount: nothing owed.
    assert (item["discounted_unit_price"], ret["exchange_balance_due"]) == ("40.00", "0.00")
    order = stack.sim("GET", f"/shops/{installed}/orders/{view.order.id}")
    new_lines = [li for li in order["line_items"] if li["exchange_line_item_gid"]]
    assert [(li["sku"], li["fulfilled_quantity"]) for li in new_lines] == [("ROMP-4T", 0)]
    assert order["fulfillment_orders"][-1]["status"] == "OPEN"
    assert order["fulfillment_orders"][-1]["holds"] == []
    assert order["total_outstanding"] == "0.00"
    assert stack.sim("GET", f"/shops/{installed}/refunds") == []
    # A retry later changes nothing in Shopify: one returnProcess in all.
    with pytest.raises(InvalidTransition):
        returns.exchange_return(ctx, shop, rma.number, actor="staff:1")
    calls = stack.sim("GET", "/requests", params={"shop": installed})
    assert [c["operation"] for c in calls].count("ReturnProcess") == 1


def test_replacement_is_settled_as_replaced_with_the_same_variant(stack, installed):
    view, three_t, _ = _delivered_romper(stack, installed)
    rma = _ask(stack, installed, view, "replacement", reason="defective", photos=("a.jpg", "b.jpg"))
    _receive(stack, installed, view, rma)
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    with pytest.raises(InvalidInput, match="replace it"):
        returns.exchange_return(ctx, shop, rma.number, actor="staff:1")
    replaced = returns.replace_return(ctx, shop, rma.number, actor="staff:1")
    assert replaced.state == "replaced"
    order = stack.sim("GET", f"/shops/{installed}/orders/{view.order.id}")
    assert [li["variant_gid"] for li in order["line_items"]] == [three_t["gid"]] * 2
    assert stack.sim("GET", f"/shops/{installed}/refunds") == []


def test_reviewed_exchange_reaches_shopify_with_its_items_when_approved(stack, installed):
    store = stack.container.store
    store.put_shop(replace(store.get_shop(installed), policy_preset="cn-consumer"))
    view, _, four_t = _delivered_romper(stack, installed)
    rma = _ask(stack, installed, view, "exchange", variant=four_t["id"])
    # Shopify's return request cannot carry exchange items: nothing is sent until approval.
    assert (rma.state, rma.approver_role, rma.shopify_return_id) == ("requested", "agent", None)
    assert stack.sim("GET", f"/shops/{installed}/returns") == []
    approved = returns.approve_return(
        stack.container.returns_context(),
        store.get_shop(installed),
        rma.number,
        actor="staff:1",
        actor_role="agent",
    )
    ret = _sim_return(stack, installed)
    assert (approved.shopify_return_id, ret["status"]) == (ret["gid"], "OPEN")
    assert [e["variant_gid"] for e in ret["exchange_line_items"]] == [four_t["gid"]]


def test_shipping_the_exchange_emails_the_customer_once(stack, installed):
    view, _, four_t = _delivered_romper(stack, installed)
    rma = _ask(stack, installed, view, "exchange", variant=four_t["id"])
    _receive(stack, installed, view, rma)
    ctx = stack.container.returns_context()
    returns.exchange_return(ctx, stack.container.store.get_shop(installed), rma.number, actor="s")
    stack.sim("POST", f"/shops/{installed}/orders/{view.order.id}/fulfil", json={})
    stack.wait_for_webhooks()
    bodies = [
        d["body"]
        for d in stack.sim(
            "GET", "/webhooks", params={"shop": installed, "topic": "fulfillments/create"}
        )
    ]
    first, exchange = (parse_fulfillment(json.loads(b)) for b in bodies)

    def shipped_mails():
        return [
            m
            for m in stack.container.outbox.list()
            if rma.number in m.subject and "has shipped" in m.subject
        ]

    # The fulfillments/create webhook of the exchange shipment already told the customer.
    assert len(shipped_mails()) == 1
    # The original shipment is not the exchange; the second one is, however often it arrives.
    assert returns.exchange_shipped(ctx, installed, first) == []
    assert returns.exchange_shipped(ctx, installed, exchange) == [rma.number]
    assert returns.exchange_shipped(ctx, installed, exchange) == [rma.number]
    mails = shipped_mails()
    assert len(mails) == 1 and mails[0].to == "ada@example.com"
