"""Delayed shipments against the whole stack: the simulator, DynamoDB Local and the outbox.

A late order gets one faster shipping line (or a note for the warehouse once shipped),
one store credit of its tier and one apology, whatever the retries and however many
sweeps run at once; an order that arrived in time gets nothing.
"""

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app import i18n
from app.clock import FixedClock
from app.services import delays
from policies import load_preset
from policies.calendar import local_date

SKU = "THROW-GREY"


@pytest.fixture
def ivy(stack):
    """An installed shop on the lavish-ivy preset (delay compensation), New York time."""
    shop = stack.new_shop(name="Lavish Ivy")
    stack.install(shop)
    store = stack.container.store
    store.put_shop(replace(store.get_shop(shop), policy_preset="lavish-ivy"))
    stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Cashmere throw",
            "product_type": "Throws",
            "variants": [{"title": "Grey", "sku": SKU, "price": "95.00", "inventory": 100}],
        },
    )
    return shop


def _email(shop):
    return f"ada+{shop.split('.')[0]}@example.com"


def _place(stack, shop, *, days_ago, quantity=2, shipping="Standard Shipping", guest=False):
    """An order placed `days_ago`, stored by the app from its orders/create webhook."""
    address = {"address1": "1 Park St", "city": "Brooklyn", "zip": "11201", "country_code": "US"}
    body = {
        "lines": [{"sku": SKU, "quantity": quantity}],
        "created_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
        "shipping": {"title": shipping, "price": "12.00", "code": "std"},
    }
    if guest:
        body.update(email=_email(shop), shipping_address=address)
    else:
        body["customer"] = {
            "email": _email(shop),
            "first_name": "Ada",
            "last_name": "L",
            "address": address,
        }
    order = stack.sim("POST", f"/shops/{shop}/orders", json=body)
    stack.wait_for_webhooks()
    return order


def _act(stack, shop, order, action, days_ago):
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    stack.sim("POST", f"/shops/{shop}/orders/{order['id']}/{action}", json={"at": at})
    stack.wait_for_webhooks()


def _schedule(stack, shop, order):
    """What the orders/create hook does once the order is stored."""
    view = stack.container.store.get_order(shop, int(order["id"]))
    assert view is not None
    ctx = stack.container.proactive_context()
    return delays.schedule(ctx, stack.container.store.get_shop(shop), view)


def _sweep(stack, ctx=None):
    ctx = ctx or stack.container.proactive_context()
    return delays.sweep(ctx, ctx.clock.now())


def _operations(stack, shop, name):
    return [
        r for r in stack.sim("GET", "/requests", params={"shop": shop}) if r["operation"] == name
    ]


def _mails(stack, shop):
    return [m for m in stack.container.outbox.list() if m.to == _email(shop)]


def _credits(stack, shop):
    return [
        (account["currency"], Decimal(t["amount"]))
        for account in stack.sim("GET", f"/shops/{shop}/store_credit")
        for t in account["transactions"]
    ]


def _stats(stack, shop, record):
    store = stack.container.store
    month = store.get_shop(shop).month_of(datetime.fromisoformat(record["compensated_at"]))
    return store.stats_for_month(shop, month)


def test_late_unshipped_order_is_upgraded_credited_and_told_once_when_two_sweeps_race(stack, ivy):
    # GIVEN an order placed 30 days ago on standard shipping, never shipped: 2 x 95.00 + 12.00
    order = _place(stack, ivy, days_ago=30)
    assert Decimal(order["total_price"]) == Decimal("202.00")
    due = _schedule(stack, ivy, order)
    assert due is not None and due < datetime.now(UTC)

    # WHEN two sweeps run at the same moment, and another one afterwards
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        barrier.wait()
        results.append(_sweep(stack))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _sweep(stack)

    # THEN the order has one faster shipping line, at the price the customer paid
    sim_order = stack.sim("GET", f"/shops/{ivy}/orders/{order['id']}")
    assert [(ln["title"], ln["price"]) for ln in sim_order["shipping_lines"]] == [
        ("Expedited", "12.00")
    ]
    assert len(_operations(stack, ivy, "OrderEditCommit")) == 1, results
    # one store credit of the $150-$400 tier, in the order's currency
    assert _credits(stack, ivy) == [("USD", Decimal("15.00"))]
    # one apology with the new delivery date and the credit
    [mail] = _mails(stack, ivy)
    assert order["name"] in mail.subject and "running late" in mail.subject
    text = stack.container.outbox.part(mail.id, "text")
    shop = stack.container.store.get_shop(ivy)
    today = local_date(datetime.now(UTC), shop.zone)
    eta = delays.new_eta(load_preset("lavish-ivy"), "expedited", today, "US")
    assert f"It should now arrive by {i18n.format_date(eta)}." in text
    assert "We have upgraded its shipping to Expedited, at no cost to you." in text
    assert "$15.00 USD of store credit" in text
    # the check is gone, and the admin sees what was done and what it cost
    store = stack.container.store
    assert store.get_due(ivy, delays.KIND, str(order["id"])) is None
    record = store.get_delay(ivy, int(order["id"]))
    assert [e["action"] for e in record["timeline"]] == [
        "late",
        "shipping_upgraded",
        "credited",
        "apology_emailed",
    ]
    assert record["recovery_spend"] == Decimal("15.00")
    assert [r["order_name"] for r in store.list_delays(ivy)] == [order["name"]]
    stats = _stats(stack, ivy, record)
    assert (stats["delays"], stats["upgrades"], stats["recovery_USD"]) == (1, 1, Decimal("15.00"))
    # and a later orders/updated (our own edit) does not schedule it again
    assert _schedule(stack, ivy, order) is None


def test_late_shipped_order_gets_a_note_and_tag_for_the_warehouse_and_no_order_edit(stack, ivy):
    order = _place(stack, ivy, days_ago=30, quantity=1)  # 107.00: the first tier
    assert _schedule(stack, ivy, order) is not None
    _act(stack, ivy, order, "fulfil", days_ago=29)

    _sweep(stack)
    _sweep(stack)

    sim_order = stack.sim("GET", f"/shops/{ivy}/orders/{order['id']}")
    assert sim_order["tags"].count(delays.UPGRADE_TAG) == 1
    assert sim_order["note"].count("Hemline delay upgrade") == 1
    assert "to Expedited at no charge" in sim_order["note"]
    assert [ln["title"] for ln in sim_order["shipping_lines"]] == ["Standard Shipping"]
    assert _operations(stack, ivy, "OrderEditBegin") == []
    assert _credits(stack, ivy) == [("USD", Decimal("10.00"))]
    assert len(_mails(stack, ivy)) == 1
    record = stack.container.store.get_delay(ivy, int(order["id"]))
    assert record["upgrade"]["mode"] == "warehouse_note"


def test_order_delivered_in_time_is_never_compensated(stack, ivy):
    store = stack.container.store
    # GIVEN an order from 30 days ago with its delay check, shipped and delivered in time
    order = _place(stack, ivy, days_ago=30)
    assert _schedule(stack, ivy, order) is not None
    work = store.get_due(ivy, delays.KIND, str(order["id"]))
    _act(stack, ivy, order, "fulfil", days_ago=29)
    _act(stack, ivy, order, "deliver", days_ago=25)

    # THEN the delivery webhook dropped the check, and the order is not scheduled again
    assert store.get_due(ivy, delays.KIND, str(order["id"])) is None
    assert _schedule(stack, ivy, order) is None

    # WHEN the delivery had been lost, so the check is still there when the sweep runs
    store.put_due(ivy, delays.KIND, work.ref, work.due_at, work.data)
    _sweep(stack)

    # THEN nothing was upgraded, credited, emailed or counted, and the check is gone
    assert store.get_due(ivy, delays.KIND, str(order["id"])) is None
    assert _operations(stack, ivy, "OrderEditBegin") == []
    assert _credits(stack, ivy) == []
    assert _mails(stack, ivy) == []
    assert store.get_delay(ivy, int(order["id"])) is None


def test_order_on_time_is_not_due_yet(stack, ivy):
    order = _place(stack, ivy, days_ago=0)

    due = _schedule(stack, ivy, order)
    _sweep(stack)

    assert due is not None and due > datetime.now(UTC) + timedelta(days=10)
    work = stack.container.store.get_due(ivy, delays.KIND, str(order["id"]))
    assert work is not None and work.data["method"] == "standard"
    assert _credits(stack, ivy) == [] and _mails(stack, ivy) == []


def test_guest_order_gets_its_credit_as_a_gift_card_named_in_the_apology(stack, ivy):
    order = _place(stack, ivy, days_ago=30, quantity=1, guest=True)
    _schedule(stack, ivy, order)

    _sweep(stack)

    cards = stack.sim("GET", f"/shops/{ivy}/gift_cards")
    assert [Decimal(c["balance"]) for c in cards] == [Decimal("10.00")]
    assert _credits(stack, ivy) == []
    [mail] = _mails(stack, ivy)
    text = stack.container.outbox.part(mail.id, "text")
    assert "gift card worth $10.00 USD" in text and cards[0]["last_characters"] in text
    record = stack.container.store.get_delay(ivy, int(order["id"]))
    assert record["credit"]["kind"] == "gift_card"
    assert record["credit"]["last_characters"] == cards[0]["last_characters"]


def test_credit_whose_answer_was_lost_is_never_issued_twice(stack, ivy):
    order = _place(stack, ivy, days_ago=30)
    _schedule(stack, ivy, order)
    # GIVEN Shopify applies the credit but the answer is lost (HTTP 500 after applying)
    stack.sim(
        "POST",
        "/faults",
        json={
            "mode": "status",
            "status": 500,
            "apply": True,
            "shop": ivy,
            "operation": "StoreCreditAccountCredit",
        },
    )
    ctx = stack.container.proactive_context()

    # WHEN the sweep fails on it, runs again at once, and again after the lease
    first = _sweep(stack, ctx)
    second = _sweep(stack, ctx)
    later = replace(ctx, clock=FixedClock(datetime.now(UTC) + delays.LEASE + timedelta(minutes=1)))
    _sweep(stack, later)

    # THEN the customer was credited once, and the admin is told to check it
    assert any(ivy in error for error in first.errors) and second.kept >= 1
    assert _credits(stack, ivy) == [("USD", Decimal("15.00"))]
    record = stack.container.store.get_delay(ivy, int(order["id"]))
    assert record["credit"]["unconfirmed"] is True
    assert "unconfirmed" in record["timeline"][2]["detail"]
    [mail] = _mails(stack, ivy)
    assert "store credit" not in stack.container.outbox.part(mail.id, "text")
    assert stack.container.store.get_due(ivy, delays.KIND, str(order["id"])) is None
