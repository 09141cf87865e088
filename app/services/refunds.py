"""Refunds of order items through Shopify's refundCreate, once per key whatever the retries.

Backorder refunds use it today; returns can share it. The effect ledger records the
refund's result under `refund:<key>`, and the same key (as Shopify's idempotency
key) makes a retry after an unknown outcome answer with the first refund instead of
refunding again. Money goes back to the order's captured payment, in shop currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.adapters.dynamo.ledger import DynamoLedger
from app.clock import Clock
from app.errors import UpstreamError
from app.observability import logger
from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyError, ShopifyUserError
from app.shopify.models import Money, RefundLineRequest, RefundTransactionRequest


@dataclass(frozen=True)
class ItemRefund:
    """Units of one line to refund. CANCEL gives committed stock back to `location_id`
    (an unfulfilled item); NO_RESTOCK leaves inventory alone."""

    line_item_id: str  # GID
    quantity: int
    restock_type: str = "CANCEL"
    location_id: str | None = None


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: str
    amount: Decimal
    currency: str


def refund_items(
    admin: AdminClient,
    ledger: DynamoLedger,
    clock: Clock,
    shop: str,
    *,
    key: str,
    order_id: str,
    items: Sequence[ItemRefund],
    amount: Decimal,
    currency: str,
    note: str | None = None,
    notify: bool = False,
) -> RefundOutcome:
    """Refund `items` and `amount` to the original payment method once per `key`.

    Call it again with the same arguments after any failure. Raises UpstreamError:
    retryable when Shopify could not be reached (the next call repeats safely),
    permanent when Shopify refused (nothing was refunded; the claim is released).
    """
    effect = f"refund:{key}"
    claim = ledger.claim(shop, effect, at=clock.now(), data={"order_id": order_id})
    if claim is not None and claim.status == "done" and claim.result:
        return _outcome(claim.result)
    # A claim left `started` is safe to repeat: refundCreate carries the same idempotency
    # key and identical input, so Shopify answers with the refund it made, if it made one.
    try:
        order = admin.get_order(order_id)
        if order is None:
            raise UpstreamError(f"Shopify does not know order {order_id}", retryable=False)
        sales = [
            t for t in order.transactions if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"
        ]
        if amount > 0 and not sales:
            raise UpstreamError(
                f"order {order.name} has no captured payment to refund", retryable=False
            )
        transactions = (
            [RefundTransactionRequest(sales[0].id, amount, sales[0].gateway or "")]
            if amount > 0
            else []
        )
        refund = admin.refund_create(
            order_id,
            [
                RefundLineRequest(i.line_item_id, i.quantity, i.restock_type, i.location_id)
                for i in items
            ],
            f"hemline-{key}",
            transactions=transactions,
            note=note,
            notify=notify,
        )
    except ShopifyUserError as exc:
        ledger.release(shop, effect)
        raise UpstreamError(f"Shopify refused the refund: {exc}", retryable=False) from exc
    except ShopifyError as exc:
        raise UpstreamError(f"Shopify: {type(exc).__name__}", retryable=exc.retryable) from exc
    except UpstreamError as exc:
        if not exc.retryable:
            ledger.release(shop, effect)
        raise
    outcome = RefundOutcome(refund.id, refund.total.amount, refund.total.currency or currency)
    ledger.complete(
        shop,
        effect,
        {"refund_id": outcome.refund_id, "amount": outcome.amount, "currency": outcome.currency},
    )
    logger.info("items refunded", extra={"shop": shop, "key": key, "refund_id": refund.id})
    return outcome


def _outcome(result: dict[str, object]) -> RefundOutcome:
    return RefundOutcome(
        refund_id=str(result["refund_id"]),
        amount=Decimal(str(result["amount"])),
        currency=str(result["currency"]),
    )


def credit_or_gift_card(
    admin: AdminClient, customer_id: str | None, amount: Money, *, note: str
) -> dict[str, str]:
    """Store credit on the customer's account; a gift card where that is not possible.

    A guest checkout has no account, and a shop may not offer store credit (Shopify
    answers with a user error): the money then goes on a gift card. Returns what was
    given: {"kind": "store_credit"} or {"kind": "gift_card", "code", "last_characters"}.
    Not idempotent: callers guard it with the effect ledger.
    """
    if customer_id:
        try:
            admin.credit_store_credit(customer_id, amount, notify=False)
            return {"kind": "store_credit"}
        except ShopifyUserError:
            pass
    card = admin.create_gift_card(amount.amount, customer_id=customer_id, note=note)
    return {
        "kind": "gift_card",
        "code": card.code or "",
        "last_characters": card.last_characters or "",
    }
