"""Return use cases against the simulator and DynamoDB Local: RMA, Shopify return, refund, credit."""

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.errors import InvalidInput, InvalidTransition, UpstreamError
from app.services import return_effects, returns, sweeps
from app.services.eligibility import RequestedLine, order_eligibility

RETURN_ADDRESS = {
    "name": "Petite Plume Returns",
    "line1": "200 Kent Ave",
    "city": "Brooklyn",
    "province": "NY",
    "zip": "11249",
    "country_code": "US",
}


def _delivered_order(stack, shop, lines, days_ago=3, price="48.00", **product):
    stack.sim(
        "POST",
        f"/shops/{shop}/products",
        json={
            "title": "Smocked romper",
            "product_type": product.get("product_type", "Rompers"),
            "tags": product.get("tags", []),
            "variants": [{"title": "3T", "sku": "ROMP-3T", "price": price, "inventory": 50}],
        },
    )
    customer = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "L",
        "address": {
            "address1": "1 Park St",
            "city": "Brooklyn",
            "zip": "11201",
            "country_code": "US",
        },
    }
    placed = datetime.now(UTC) - timedelta(days=days_ago + 3)
    order = stack.sim(
        "POST",
        f"/shops/{shop}/orders",
        json={
            "customer": customer,
            "lines": [{"sku": "ROMP-3T", "quantity": q} for q in lines],
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
    return view


@pytest.fixture
def installed(stack):
    shop = stack.new_shop()
    stack.install(shop)
    return shop


def _received_return(stack, shop):
    """A return of one 48.00 item, asked for and received unworn: ready to refund."""
    view = _delivered_order(stack, shop, [1], price="48.00")
    rma = _request(stack, shop, view, qty=1)
    ctx = stack.container.returns_context()
    known = stack.container.store.get_shop(shop)
    line_id = view.order.line_items[0].id
    returns.receive_return(
        ctx, known, rma.number, actor="staff:1", received={line_id: (1, "unworn", True)}
    )
    return rma, ctx, known


def _throttle_return_processing(stack, shop):
    """Shopify answers 429 to more tries of processing a return than the client makes."""
    stack.sim(
        "POST",
        "/faults",
        json={
            "shop": shop,
            "mode": "status",
            "status": 429,
            "retry_after": 0.01,
            "count": 5,
            "operation": "ReturnProcess",
        },
    )


def _request(stack, shop, view, qty=1, reason="size_fit", resolution="refund"):
    line = view.order.line_items[0]
    return returns.request_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        view,
        [RequestedLine(line.id, qty, reason, resolution, "unworn_tags_attached")],
        customer_email="ada@example.com",
    )


def test_small_return_is_approved_automatically_and_opens_a_shopify_return(stack, installed):
    view = _delivered_order(stack, installed, [1])
    rma = _request(stack, installed, view)
    assert rma.state == "approved" and rma.shopify_return_id
    assert [e.action for e in rma.timeline] == ["request", "approve"]
    sim_returns = stack.sim("GET", f"/shops/{installed}/returns")
    assert [r["status"] for r in sim_returns] == ["OPEN"]
    assert stack.container.store.reserved_quantities(installed, view.order.id) == {
        view.order.line_items[0].id: 1
    }


def test_over_threshold_return_waits_for_a_supervisor(stack, installed):
    view = _delivered_order(stack, installed, [4])
    rma = _request(stack, installed, view, qty=4)  # 4 x 48.00 = 192.00 > 150.00
    assert (rma.state, rma.approver_role) == ("requested", "supervisor")
    assert [r["status"] for r in stack.sim("GET", f"/shops/{installed}/returns")] == ["REQUESTED"]
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    with pytest.raises(InvalidTransition, match="supervisor"):
        returns.approve_return(ctx, shop, rma.number, actor="staff:9", actor_role="staff")
    approved = returns.approve_return(ctx, shop, rma.number, actor="staff:1", actor_role="owner")
    assert approved.state == "approved"
    assert [r["status"] for r in stack.sim("GET", f"/shops/{installed}/returns")] == ["OPEN"]


def test_refund_is_exact_and_never_doubled_by_concurrent_retries(stack, installed):
    view = _delivered_order(stack, installed, [2], price="48.00")
    rma = _request(stack, installed, view, qty=2)
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    line_id = view.order.line_items[0].id
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={line_id: (2, "unworn_tags_attached", True)},
    )
    outcomes = []
    barrier = threading.Barrier(4)

    def refund():
        barrier.wait()
        try:
            outcomes.append(returns.refund_return(ctx, shop, rma.number, actor="staff:1").state)
        except Exception as exc:  # the losers see a conflict or an illegal transition
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=refund) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refunds = stack.sim("GET", f"/shops/{installed}/refunds")
    assert len(refunds) == 1, outcomes
    # petite-plume, subtotal 96.00 > 75.00, domestic: free return, no fees.
    assert Decimal(refunds[0]["total"]) == Decimal("96.00")
    assert stack.container.store.get_rma(installed, rma.number).state == "refunded"
    # A later retry of the same step changes nothing.
    with pytest.raises((InvalidTransition, UpstreamError)):
        returns.refund_return(ctx, shop, rma.number, actor="staff:1")
    assert len(stack.sim("GET", f"/shops/{installed}/refunds")) == 1


def test_a_refund_another_worker_is_making_is_not_made_again_until_that_worker_is_gone(
    stack, installed
):
    # GIVEN a received return whose refund another worker claimed a moment ago
    rma, ctx, shop = _received_return(stack, installed)
    now = datetime.now(UTC)
    ctx.ledger.claim(installed, f"{rma.number}:refund", at=now - timedelta(seconds=5))
    # WHEN this worker tries: Shopify shows no refund yet, so it waits (retryable)
    with pytest.raises(UpstreamError) as err:
        returns.refund_return(ctx, shop, rma.number, actor="staff:2")
    assert err.value.retryable
    assert stack.sim("GET", f"/shops/{installed}/refunds") == []
    # WHEN the claim is older than any attempt takes (its worker died before Shopify
    # refunded), a retry refunds, once
    ctx.ledger.release(installed, f"{rma.number}:refund")
    ctx.ledger.claim(installed, f"{rma.number}:refund", at=now - timedelta(minutes=10))
    assert returns.refund_return(ctx, shop, rma.number, actor="staff:2").state == "refunded"
    assert len(stack.sim("GET", f"/shops/{installed}/refunds")) == 1


def test_a_refund_shopify_throttled_past_the_retries_goes_through_on_the_next_try(stack, installed):
    # GIVEN a received return, and Shopify answering 429 to more tries of the refund than
    # the client makes
    rma, ctx, shop = _received_return(stack, installed)
    _throttle_return_processing(stack, installed)
    # WHEN staff click refund: it is reported as worth retrying, and nothing was refunded
    with pytest.raises(UpstreamError) as err:
        returns.refund_return(ctx, shop, rma.number, actor="staff:1")
    assert err.value.retryable
    assert stack.sim("GET", f"/shops/{installed}/refunds") == []
    # THEN the very next click refunds, once (no wait behind the throttled attempt's claim)
    assert returns.refund_return(ctx, shop, rma.number, actor="staff:1").state == "refunded"
    assert len(stack.sim("GET", f"/shops/{installed}/refunds")) == 1


def test_label_fee_is_deducted_below_the_free_return_threshold(stack, installed):
    view = _delivered_order(stack, installed, [1], price="40.00")  # subtotal 40.00 <= 75.00
    rma = _request(stack, installed, view)
    assert rma.lines[0].label_fee == Decimal("6.95") and rma.refund_total == Decimal("33.05")
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={view.order.line_items[0].id: (1, "unworn_tags_attached", False)},
    )
    returns.refund_return(ctx, shop, rma.number, actor="staff:1")
    assert [Decimal(r["total"]) for r in stack.sim("GET", f"/shops/{installed}/refunds")] == [
        Decimal("33.05")
    ]


def test_store_credit_is_issued_once_in_the_order_currency(stack, installed):
    view = _delivered_order(stack, installed, [1])
    rma = _request(stack, installed, view, resolution="store_credit")
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={view.order.line_items[0].id: (1, "unworn_tags_attached", True)},
    )
    credited = returns.credit_return(ctx, shop, rma.number, actor="staff:1")
    assert credited.state == "credited"
    accounts = stack.sim("GET", f"/shops/{installed}/store_credit")
    assert len(accounts) == 1 and accounts[0]["currency"] == "USD"
    # Subtotal 48.00 is under the free-return threshold: the 6.95 label fee applies to credit too.
    assert [Decimal(t["amount"]) for t in accounts[0]["transactions"]] == [Decimal("41.05")]
    assert stack.sim("GET", f"/shops/{installed}/refunds") == []


def test_declining_frees_the_items_for_another_request(stack, installed):
    view = _delivered_order(stack, installed, [4])
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    rma = _request(stack, installed, view, qty=4)
    with pytest.raises(InvalidInput, match="more than remains"):
        _request(stack, installed, view, qty=1)
    declined = returns.decline_return(
        ctx, shop, rma.number, actor="staff:1", reason="Worn items can't be returned"
    )
    assert declined.state == "declined"
    assert [r["status"] for r in stack.sim("GET", f"/shops/{installed}/returns")] == ["DECLINED"]
    again = _request(stack, installed, view, qty=1)
    assert again.state == "approved"
    elig = order_eligibility(
        shop,
        stack.container.store.get_order(installed, view.order.id),
        datetime.now(UTC),
        stack.container.store.reserved_quantities(installed, view.order.id),
    )
    assert elig[0].returnable_quantity == 3


def test_final_sale_item_is_refused_with_the_policy_reason(stack, installed):
    view = _delivered_order(stack, installed, [1], tags=["final-sale"])
    with pytest.raises(InvalidInput) as err:
        _request(stack, installed, view)
    assert err.value.field == "items[0]" and "final sale" in str(err.value).lower()


def test_refund_made_in_shopify_settles_the_return_instead_of_doubling_it(stack, installed):
    view = _delivered_order(stack, installed, [1])
    rma = _request(stack, installed, view)
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    line_id = view.order.line_items[0].id
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={line_id: (1, "unworn_tags_attached", True)},
    )
    # The merchant refunds the item by hand in the Shopify admin; refunds/create reaches Hemline.
    stack.sim(
        "POST",
        f"/shops/{installed}/orders/{view.order.id}/refund",
        json={
            "line_items": [{"line_item_gid": f"gid://shopify/LineItem/{line_id}", "quantity": 1}]
        },
    )
    stack.wait_for_webhooks()
    settled = stack.container.store.get_rma(installed, rma.number)
    assert settled.state == "refunded"
    assert settled.timeline[-1].actor == "shopify"
    with pytest.raises(InvalidTransition):
        returns.refund_return(ctx, shop, rma.number, actor="staff:1")
    assert len(stack.sim("GET", f"/shops/{installed}/refunds")) == 1
    # AND the customer hears of the refund once, though Hemline did not make it
    emails = [
        m
        for m in stack.container.outbox.list()
        if m.headers.get("X-Entity-Ref-ID") == f"{rma.number}:refund_issued"
    ]
    assert len(emails) == 1


def test_a_refund_whose_webhook_settles_the_return_first_still_emails_the_customer_once(
    stack, installed, monkeypatch
):
    # GIVEN a received return, and Shopify's refunds/create webhook settling it in Hemline
    # between the refund and the staff's own save of it
    rma, ctx, shop = _received_return(stack, installed)
    real_save = returns._save

    def webhook_first(ctx_, domain, new, old, **kw):
        if new.state == "refunded" and new.timeline[-1].actor == "staff:1":
            real_save(ctx_, domain, new, old, **kw)  # the webhook's save
        return real_save(ctx_, domain, new, old, **kw)

    monkeypatch.setattr(returns, "_save", webhook_first)
    # WHEN staff refund it
    assert returns.refund_return(ctx, shop, rma.number, actor="staff:1").state == "refunded"
    # THEN the money moved once and the customer got the refund email once
    assert len(stack.sim("GET", f"/shops/{installed}/refunds")) == 1
    sent = [
        m
        for m in stack.container.outbox.list()
        if m.headers.get("X-Entity-Ref-ID") == f"{rma.number}:refund_issued"
    ]
    assert len(sent) == 1


def test_prepaid_label_is_issued_attached_to_shopify_and_emailed_once(stack, installed):
    store = stack.container.store
    shop = store.get_shop(installed)
    store.put_shop(replace(shop, return_address=RETURN_ADDRESS))
    view = _delivered_order(stack, installed, [2])  # 96.00: free prepaid return
    rma = _request(stack, installed, view, qty=2)
    assert rma.state == "label_issued"
    assert rma.label["tracking_number"] and rma.label["file_key"].endswith(".pdf")
    pdf = stack.container.files.get(rma.label["file_key"])
    assert pdf.startswith(b"%PDF") and rma.number.encode() in pdf
    sim_return = stack.sim("GET", f"/shops/{installed}/returns")[0]
    deliveries = [
        d for rfo in sim_return["reverse_fulfillment_orders"] for d in rfo["reverse_deliveries"]
    ]
    assert len(deliveries) == 1 and deliveries[0]["tracking_number"] == rma.label["tracking_number"]
    mails = [m for m in stack.container.outbox.list() if rma.number in m.subject]
    assert len(mails) == 1 and mails[0].to == "ada@example.com"
    # The same step again (a retry) buys nothing new and sends nothing new.
    again = return_effects.issue_label(
        stack.container.returns_context(), store.get_shop(installed), replace(rma, state="approved")
    )
    assert again.label["tracking_number"] == rma.label["tracking_number"]
    assert len([m for m in stack.container.outbox.list() if rma.number in m.subject]) == 1


def test_store_credit_bonus_is_added_to_the_credit(stack, installed):
    store = stack.container.store
    store.put_shop(replace(store.get_shop(installed), store_credit_bonus_percent=Decimal("10")))
    view = _delivered_order(stack, installed, [1])
    rma = _request(stack, installed, view, resolution="store_credit")
    ctx = stack.container.returns_context()
    shop = store.get_shop(installed)
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={view.order.line_items[0].id: (1, "unworn_tags_attached", True)},
    )
    returns.credit_return(ctx, shop, rma.number, actor="staff:1")
    accounts = stack.sim("GET", f"/shops/{installed}/store_credit")
    # 48.00 - 6.95 label fee = 41.05; a 10% bonus adds 4.11 (half-up): 45.16.
    assert [Decimal(t["amount"]) for t in accounts[0]["transactions"]] == [Decimal("45.16")]


def _guest_return_for_credit(stack, installed):
    """A received return of a guest order (no customer account): its credit is a gift card."""
    stack.sim(
        "POST",
        f"/shops/{installed}/products",
        json={
            "title": "Linen dress",
            "product_type": "Dresses",
            "variants": [{"title": "4", "sku": "DRESS-4", "price": "58.00", "inventory": 5}],
        },
    )
    placed = datetime.now(UTC) - timedelta(days=6)
    order = stack.sim(
        "POST",
        f"/shops/{installed}/orders",
        json={
            "email": "guest@example.com",
            "lines": [{"sku": "DRESS-4", "quantity": 1}],
            "created_at": placed.isoformat(),
            "shipping_address": {
                "address1": "1 Park St",
                "city": "Brooklyn",
                "zip": "11201",
                "country_code": "US",
            },
        },
    )
    stack.sim(
        "POST",
        f"/shops/{installed}/orders/{order['id']}/fulfil",
        json={"at": (placed + timedelta(days=1)).isoformat()},
    )
    stack.sim(
        "POST",
        f"/shops/{installed}/orders/{order['id']}/deliver",
        json={"at": (placed + timedelta(days=3)).isoformat()},
    )
    stack.wait_for_webhooks()
    view = stack.container.store.get_order(installed, int(order["id"]))
    line = view.order.line_items[0]
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    rma = returns.request_return(
        ctx,
        shop,
        view,
        [RequestedLine(line.id, 1, "size_fit", "store_credit", "unworn_tags_attached")],
        customer_email="guest@example.com",
    )
    returns.receive_return(
        ctx,
        shop,
        rma.number,
        actor="staff:1",
        received={line.id: (1, "unworn_tags_attached", True)},
    )
    return rma


def _credit_emails(stack, rma):
    return [
        m
        for m in stack.container.outbox.list()
        if m.headers.get("X-Entity-Ref-ID") == f"{rma.number}:store_credit_issued"
    ]


def test_guest_order_gets_a_gift_card_instead_of_store_credit(stack, installed):
    rma = _guest_return_for_credit(stack, installed)
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    assert returns.credit_return(ctx, shop, rma.number, actor="staff:1").state == "credited"
    cards = stack.sim("GET", f"/shops/{installed}/gift_cards")
    assert len(cards) == 1 and Decimal(cards[0]["balance"]) == Decimal("51.05")
    assert stack.sim("GET", f"/shops/{installed}/store_credit") == []
    mails = _credit_emails(stack, rma)
    assert len(mails) == 1
    body = stack.container.outbox.part(mails[0].id, "text")
    assert "gift card code" in body and cards[0]["last_characters"] in body


def test_a_credit_retried_after_a_later_step_failed_still_gives_the_gift_card_code(
    stack, installed
):
    # GIVEN a received guest return, and Shopify throttling the processing of the return
    # (the step after the gift card) past the client's retries
    rma = _guest_return_for_credit(stack, installed)
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    _throttle_return_processing(stack, installed)
    with pytest.raises(UpstreamError):
        returns.credit_return(ctx, shop, rma.number, actor="staff:1")
    assert len(stack.sim("GET", f"/shops/{installed}/gift_cards")) == 1
    # WHEN staff click again
    assert returns.credit_return(ctx, shop, rma.number, actor="staff:1").state == "credited"
    # THEN no second card was made, and the one email gives the first card's code
    cards = stack.sim("GET", f"/shops/{installed}/gift_cards")
    assert len(cards) == 1
    mails = _credit_emails(stack, rma)
    assert len(mails) == 1
    body = stack.container.outbox.part(mails[0].id, "text")
    assert "gift card code" in body and cards[0]["last_characters"] in body
    assert "51.05" in body


class _MailDown:
    """The mail sender unreachable for the next `times` emails, then back."""

    def __init__(self, mailer, times):
        self.mailer, self.times, self.refused = mailer, times, 0

    def send(self, message):
        if self.refused < self.times:
            self.refused += 1
            raise UpstreamError("SES: service unavailable", retryable=True)
        return self.mailer.send(message)


def _sweep(stack, minutes):
    c = stack.container
    later = datetime.now(UTC) + timedelta(minutes=minutes)
    return sweeps.run_proactive(c.proactive_context(), c.returns_context(), later)["rma_emails"]


def test_a_credit_email_the_mail_sender_failed_on_is_sent_once_by_the_sweep(
    stack, installed, monkeypatch
):
    # GIVEN the mail sender is down when staff credit a guest's return
    rma = _guest_return_for_credit(stack, installed)
    outbox = stack.container.outbox
    monkeypatch.setattr(stack.container, "mailer", _MailDown(outbox, times=1))
    ctx = stack.container.returns_context()
    shop = stack.container.store.get_shop(installed)
    # WHEN staff credit it: the credit stands, though its email could not be sent
    assert returns.credit_return(ctx, shop, rma.number, actor="staff:1").state == "credited"
    assert _credit_emails(stack, rma) == []
    # THEN the email waits for the sweep, which does not send it before it is due...
    assert _sweep(stack, minutes=0)["due"] == 0
    # ...and sends it once when due, with the gift card's code, however often it runs
    assert _sweep(stack, minutes=11) == {
        "kind": "rma_email",
        "due": 1,
        "done": 1,
        "kept": 0,
        "failed": 0,
    }
    assert _sweep(stack, minutes=11)["due"] == 0
    mails = _credit_emails(stack, rma)
    assert len(mails) == 1
    card = stack.sim("GET", f"/shops/{installed}/gift_cards")[0]
    body = outbox.part(mails[0].id, "text")
    assert card["last_characters"] in body and "51.05" in body


def test_an_email_still_failing_stays_due_and_one_overtaken_is_dropped(
    stack, installed, monkeypatch
):
    # GIVEN the mail sender is down while a large return is asked for (it waits for a
    # supervisor) and then approved with a prepaid label: both emails fail
    store = stack.container.store
    store.put_shop(replace(store.get_shop(installed), return_address=RETURN_ADDRESS))
    view = _delivered_order(stack, installed, [4])
    outbox = stack.container.outbox
    down = _MailDown(outbox, times=10)
    monkeypatch.setattr(stack.container, "mailer", down)
    rma = _request(stack, installed, view, qty=4)
    assert rma.state == "requested"
    ctx = stack.container.returns_context()
    approved = returns.approve_return(
        ctx, store.get_shop(installed), rma.number, actor="staff:1", actor_role="owner"
    )
    assert approved.state == "label_issued" and down.refused == 2
    # WHEN the sweep runs while the sender is still down
    first = _sweep(stack, minutes=11)
    # THEN the stale "we got your request" is dropped rather than sent after the approval,
    # and the approval (with the label) is kept for the next sweep
    assert (first["due"], first["done"], first["failed"]) == (2, 1, 1)
    dropped = ctx.ledger.get(installed, f"mail:{rma.number}:return_requested")
    assert dropped.result["dropped"] == "the return is label_issued by now"
    # AND once the sender is back, the approval goes out, once, with its label
    down.times = 0
    assert (_sweep(stack, minutes=11)["done"], _sweep(stack, minutes=11)["due"]) == (1, 0)
    sent = [
        m for m in outbox.list() if (m.headers.get("X-Entity-Ref-ID") or "").startswith(rma.number)
    ]
    assert [m.headers["X-Entity-Ref-ID"] for m in sent] == [f"{rma.number}:return_approved:label"]
    assert approved.label["tracking_number"] in outbox.part(sent[0].id, "text")
