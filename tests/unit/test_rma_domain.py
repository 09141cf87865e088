"""The RMA state machine: legal moves, named errors for illegal ones, timeline and effects."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.domain import rma as r
from app.errors import InvalidInput, InvalidTransition

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def make(state="requested", **kw):
    line = r.RmaLine(
        line_item_id=11,
        title="Knitted romper",
        quantity=2,
        price=Decimal("48.00"),
        reason="size_fit",
        resolution="refund",
        condition="unworn_tags_attached",
        refund_amount=Decimal("96.00"),
    )
    base = dict(
        number="7KQ2M9XD",
        shop="petite-plume.myshopify.com",
        order_id=1001,
        order_name="#1001",
        currency="USD",
        state=state,
        lines=(line,),
        created_at=T0,
        updated_at=T0,
    )
    base.update(kw)
    return r.Rma(**base)


def test_happy_path_walks_every_state_to_closed():
    rma = make(prepaid_label=True)
    rma, effects = r.approve(rma, actor="system", at=T0)
    assert [e.kind for e in effects] == [
        "shopify.approve_return",
        "label.buy",
        "mail.return_approved",
    ]
    rma = r.apply(rma, "issue_label", actor="system", at=T0)
    rma = r.apply(rma, "ship", actor="shopify", at=T0)
    rma, _ = r.receive(
        rma, actor="staff:7", at=T0, received={11: (2, "unworn_tags_attached", True)}
    )
    rma = r.apply(rma, "inspect", actor="staff:7", at=T0)
    rma = r.apply(rma, "refund", actor="staff:7", at=T0)
    rma = r.apply(rma, "close", actor="system", at=T0 + timedelta(minutes=1))
    assert rma.state == "closed"
    assert [e.action for e in rma.timeline] == [
        "approve",
        "issue_label",
        "ship",
        "receive",
        "inspect",
        "refund",
        "close",
    ]
    assert rma.updated_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("requested", "refund"),
        ("declined", "approve"),
        ("received", "cancel"),
        ("closed", "close"),
        ("approved", "approve"),
        ("refunded", "refund"),
        ("cancelled", "receive"),
    ],
)
def test_illegal_transition_raises_named_error(state, action):
    with pytest.raises(InvalidTransition, match=state.replace("_", " ")):
        r.apply(make(state), action, actor="system", at=T0)


def test_every_state_before_received_can_be_cancelled_and_none_after():
    before = {"requested", "approved", "label_issued", "in_transit"}
    for state in r.STATES:
        assert r.can(make(state), "cancel") == (state in before), state


def test_approval_needing_owner_is_refused_to_staff_and_allowed_to_owner():
    rma = make(requires_review=True, approver_role="owner")
    with pytest.raises(InvalidTransition, match="owner"):
        r.approve(rma, actor="staff:7", at=T0, actor_role="manager")
    approved, _ = r.approve(rma, actor="staff:1", at=T0, actor_role="owner")
    assert approved.state == "approved"


def test_decline_needs_a_reason_the_customer_can_read():
    with pytest.raises(InvalidInput) as err:
        r.decline(make(), actor="staff:7", at=T0, reason="  ")
    assert err.value.field == "reason"
    declined, effects = r.decline(
        make(), actor="staff:7", at=T0, reason="Worn items can't be returned"
    )
    assert declined.decline_reason == "Worn items can't be returned"
    assert {e.kind for e in effects} == {"shopify.decline_return", "mail.return_declined"}


def test_receiving_more_than_was_returned_is_refused():
    with pytest.raises(InvalidInput) as err:
        r.receive(make("label_issued"), actor="staff:7", at=T0, received={11: (3, "worn", False)})
    assert err.value.field == "received[11].quantity"


def test_effect_keys_are_stable_for_retries_and_distinct_per_rma():
    a1 = r.approve(make(prepaid_label=True), actor="system", at=T0)[1]
    a2 = r.approve(make(prepaid_label=True), actor="system", at=T0 + timedelta(hours=1))[1]
    b = r.approve(make(number="OTHER234", prepaid_label=True), actor="system", at=T0)[1]
    assert [e.key for e in a1] == [e.key for e in a2]
    assert {e.key for e in a1}.isdisjoint({e.key for e in b})


def test_rma_numbers_are_short_unambiguous_and_not_sequential():
    numbers = {r.new_rma_number() for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(len(n) == 8 and set(n) <= set(r.NUMBER_ALPHABET) for n in numbers)
    assert not set("01OIL") & set("".join(numbers))


def test_naive_times_are_refused_on_the_timeline():
    with pytest.raises(ValueError, match="timezone"):
        r.apply(make(), "approve", actor="system", at=datetime(2026, 11, 20, 15, 0))
