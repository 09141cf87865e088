"""The RMA (return merchandise authorization) and its state machine, as pure functions.

Every action is a row of TRANSITIONS: `apply` checks the row, records who did
what on the timeline, bumps the version and returns the new RMA together with
the side effects the services must perform. Each effect carries an
idempotency key derived from the RMA, so a retried effect never happens twice.
Ineligibility is data (the policy's reasons), not an exception; only an
action that does not apply in the current state raises.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.errors import InvalidInput, InvalidTransition

STATES = (
    "requested",
    "approved",
    "declined",
    "label_issued",
    "in_transit",
    "received",
    "inspected",
    "refunded",
    "credited",
    "exchanged",
    "replaced",
    "closed",
    "cancelled",
)
FINAL_STATES = frozenset({"declined", "closed", "cancelled"})
RESOLVED_STATES = frozenset({"refunded", "credited", "exchanged", "replaced"})

# (state, action) -> next state. Anything not listed is an InvalidTransition.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("requested", "approve"): "approved",
    ("requested", "decline"): "declined",
    ("approved", "issue_label"): "label_issued",
    ("approved", "ship"): "in_transit",
    ("label_issued", "ship"): "in_transit",
    ("approved", "receive"): "received",
    ("label_issued", "receive"): "received",
    ("in_transit", "receive"): "received",
    ("received", "inspect"): "inspected",
    ("inspected", "refund"): "refunded",
    ("inspected", "credit"): "credited",
    ("inspected", "exchange"): "exchanged",
    ("inspected", "replace"): "replaced",
    **{(s, "close"): "closed" for s in ("refunded", "credited", "exchanged", "replaced")},
    # Any state before the goods are received can be cancelled.
    **{(s, "cancel"): "cancelled" for s in ("requested", "approved", "label_issued", "in_transit")},
}

# Unambiguous characters only (no 0/O, 1/I/L): read aloud or typed from a label.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH = 8


def new_rma_number() -> str:
    """A short RMA number: 8 of 31 symbols, about 40 bits, so numbers cannot be guessed."""
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


@dataclass(frozen=True)
class RmaLine:
    line_item_id: int
    title: str
    quantity: int
    price: Decimal
    reason: str
    resolution: str
    condition: str
    refund_amount: Decimal
    restocking_fee: Decimal = Decimal("0.00")
    label_fee: Decimal = Decimal("0.00")
    exchange_fee: Decimal = Decimal("0.00")
    photos: tuple[str, ...] = ()
    sku: str | None = None
    variant_id: int | None = None
    exchange_variant_id: int | None = None
    received_quantity: int | None = None
    received_condition: str | None = None
    restock: bool = False
    note: str | None = None  # the customer's words, e.g. the size wanted in an exchange


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str  # "customer", "system", "staff:<user id>", "shopify"
    action: str
    note: str | None = None


@dataclass(frozen=True)
class Effect:
    """A side effect to perform after the RMA is saved; `key` makes it idempotent."""

    kind: str
    key: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rma:
    """A return authorization; its number is also its id (short, unique per shop, unguessable)."""

    number: str
    shop: str
    order_id: int
    order_name: str
    currency: str
    state: str
    lines: tuple[RmaLine, ...]
    created_at: datetime
    updated_at: datetime
    version: int = 0
    requires_review: bool = False
    approver_role: str | None = None
    refund_total: Decimal = Decimal("0.00")
    return_shipping_paid_by: str = "customer"
    prepaid_label: bool = False
    timeline: tuple[TimelineEntry, ...] = ()
    shopify_return_id: str | None = None
    label: dict[str, str] | None = None
    decline_reason: str | None = None
    customer_email: str | None = None
    locale: str = "en"

    @property
    def id(self) -> str:
        return self.number

    @property
    def reserved(self) -> dict[int, int]:
        """Quantities this RMA holds against its order's lines while it is open."""
        return {ln.line_item_id: ln.quantity for ln in self.lines}

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_STATES

    def redacted(self) -> Rma:
        """The same return without the customer's email, words or photos (compliance
        redaction; the photo files go with it)."""
        lines = tuple(replace(ln, note=None, photos=()) for ln in self.lines)
        return replace(self, customer_email=None, lines=lines)


def can(rma: Rma, action: str) -> bool:
    return (rma.state, action) in TRANSITIONS


def ensure_can(rma: Rma, action: str) -> str:
    """The next state for `action`, or InvalidTransition naming the current state."""
    try:
        return TRANSITIONS[(rma.state, action)]
    except KeyError:
        raise InvalidTransition(
            f"a return that is {rma.state.replace('_', ' ')} cannot be {action}d"
        ) from None


def apply(
    rma: Rma, action: str, *, actor: str, at: datetime, note: str | None = None, **changes: Any
) -> Rma:
    """Move the RMA by `action`, recording it on the timeline; raises InvalidTransition."""
    if at.tzinfo is None:
        raise ValueError("timeline times must be timezone-aware")
    nxt = ensure_can(rma, action)
    entry = TimelineEntry(at=at, actor=actor, action=action, note=note)
    return replace(rma, state=nxt, updated_at=at, timeline=(*rma.timeline, entry), **changes)


def _key(rma: Rma, what: str) -> str:
    return f"{rma.shop}:{rma.id}:{what}"


def approve(
    rma: Rma, *, actor: str, at: datetime, actor_role: str | None = None
) -> tuple[Rma, list[Effect]]:
    """Approve a requested return; a review that needs a role only that role (or above) may give."""
    if (
        rma.requires_review
        and rma.approver_role
        and not role_satisfies(actor_role, rma.approver_role)
    ):
        raise InvalidTransition(f"this return needs approval by a {rma.approver_role}")
    new = apply(rma, "approve", actor=actor, at=at)
    effects = [Effect("shopify.approve_return", _key(rma, "approve"))]
    effects.append(Effect("mail.return_approved", _key(rma, "mail:approved")))
    if rma.prepaid_label:
        effects.insert(1, Effect("label.buy", _key(rma, "label")))
    return new, effects


def decline(rma: Rma, *, actor: str, at: datetime, reason: str) -> tuple[Rma, list[Effect]]:
    if not reason.strip():
        raise InvalidInput("say why the return is declined; the customer will read it", "reason")
    new = apply(rma, "decline", actor=actor, at=at, note=reason, decline_reason=reason)
    return new, [
        Effect("shopify.decline_return", _key(rma, "decline"), {"reason": reason}),
        Effect("mail.return_declined", _key(rma, "mail:declined")),
    ]


def cancel(
    rma: Rma, *, actor: str, at: datetime, note: str | None = None
) -> tuple[Rma, list[Effect]]:
    new = apply(rma, "cancel", actor=actor, at=at, note=note)
    return new, [Effect("shopify.cancel_return", _key(rma, "cancel"))]


def receive(
    rma: Rma, *, actor: str, at: datetime, received: dict[int, tuple[int, str, bool]]
) -> tuple[Rma, list[Effect]]:
    """Record what arrived: per line item id, (quantity, condition, restock?)."""
    lines = []
    for line in rma.lines:
        qty, condition, restock = received.get(line.line_item_id, (0, "missing", False))
        if not 0 <= qty <= line.quantity:
            raise InvalidInput(
                f"must be between 0 and {line.quantity}", f"received[{line.line_item_id}].quantity"
            )
        lines.append(
            replace(line, received_quantity=qty, received_condition=condition, restock=restock)
        )
    new = apply(rma, "receive", actor=actor, at=at, lines=tuple(lines))
    return new, [Effect("mail.return_received", _key(rma, "mail:received"))]


ROLE_RANK = {"agent": 1, "staff": 1, "supervisor": 2, "manager": 3, "owner": 4}


def role_satisfies(actor_role: str | None, needed: str) -> bool:
    """An owner may approve what a manager may; a staff member may not approve for a supervisor."""
    if actor_role is None:
        return False
    return ROLE_RANK.get(actor_role, 0) >= ROLE_RANK.get(needed, 99)
