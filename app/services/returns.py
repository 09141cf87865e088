"""Return use cases: request, approve, decline, cancel, receive, refund, credit.

Each use case loads the RMA, applies one transition of the pure state machine,
saves it on its version (a lost race is a Conflict for the caller to re-read),
then performs the side effects in Shopify. Every side effect claims its key in
the effect ledger first, so a retry of the same step never creates a second
Shopify return, refunds twice or credits twice; when an earlier attempt's
outcome is unknown, the step reads Shopify back before trying again.
Money never moves outside Shopify: refunds go through returnProcess to the
original payment method, store credit through storeCreditAccountCredit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.dynamo.store import DynamoStore
from app.adapters.files import FileStore
from app.adapters.labels.ports import LabelProvider
from app.adapters.mail import Mailer
from app.clock import Clock
from app.domain import rma as rmas
from app.domain.money import to_cents
from app.domain.orders import OrderView, Refund
from app.domain.rma import Rma, RmaLine, TimelineEntry
from app.domain.shops import Shop
from app.errors import Conflict, InvalidInput, NotFound, UpstreamError
from app.observability import logger
from app.services.eligibility import RequestedLine, decide
from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyError, ShopifyOutcomeUnknownError
from app.shopify.models import (
    Disposition,
    Money,
    ProcessLineRequest,
    RefundTransactionRequest,
    ReturnInfo,
    ReturnLineRequest,
)

# Hemline's reason codes -> handles of Shopify's return reason library.
REASON_HANDLES = {
    "changed_mind": "changed-mind",
    "size_fit": "size-too-small",
    "color_style": "style",
    "defective": "damaged-or-defective",
    "damaged_in_transit": "arrived-damaged",
    "wrong_item": "received-wrong-item",
    "not_as_described": "not-as-described",
}

Hook = Callable[["ReturnsContext", Shop, Rma], Rma]
Notify = Callable[["ReturnsContext", Shop, Rma, str], None]


@dataclass
class ReturnsContext:
    """The ports the return use cases need, wired by the composition root."""

    store: DynamoStore
    ledger: DynamoLedger
    clock: Clock
    admin_for: Callable[[str], AdminClient]
    # The label step (buy, store, attach) and the customer emails plug in here.
    after_approval: Hook | None = None
    notify: Notify | None = None
    files: FileStore | None = None
    mailer: Mailer | None = None
    label_provider_for: Callable[[Shop], LabelProvider] | None = None
    status_link: Callable[[str, str], str] | None = None


def _shopify(exc: ShopifyError) -> UpstreamError:
    return UpstreamError(f"Shopify: {exc}", retryable=exc.retryable)


def _load(ctx: ReturnsContext, shop: str, number: str) -> Rma:
    rma = ctx.store.get_rma(shop, number)
    if rma is None:
        raise NotFound(f"no return {number}")
    return rma


def _notify(ctx: ReturnsContext, shop: Shop, rma: Rma, template: str) -> None:
    if ctx.notify is not None:
        ctx.notify(ctx, shop, rma, template)


# -- request -------------------------------------------------------------------------------


def request_return(
    ctx: ReturnsContext,
    shop: Shop,
    view: OrderView,
    lines: Sequence[RequestedLine],
    *,
    customer_email: str | None,
    locale: str = "en",
) -> Rma:
    """Create an RMA for eligible lines (approved at once unless the policy wants a review).

    Raises InvalidInput naming the item when a line is not eligible or more is
    asked than remains returnable.
    """
    if not lines:
        raise InvalidInput("choose at least one item to return", "items")
    now = ctx.clock.now()
    decision = decide(shop, view, lines, now)
    for i, item in enumerate(decision.items):
        if not item.eligible:
            raise InvalidInput("; ".join(item.reasons), f"items[{i}]")
    by_id = {li.id: li for li in view.order.line_items}
    rma_lines = tuple(
        RmaLine(
            line_item_id=req.line_item_id,
            title=by_id[req.line_item_id].title,
            quantity=req.quantity,
            price=by_id[req.line_item_id].price,
            reason=req.reason,
            resolution=req.resolution,
            condition=req.condition or "",
            refund_amount=item.refund_amount,
            restocking_fee=item.restocking_fee,
            label_fee=item.label_fee,
            exchange_fee=item.exchange_fee,
            photos=req.photos,
            sku=by_id[req.line_item_id].sku,
            variant_id=by_id[req.line_item_id].variant_id,
            exchange_variant_id=req.exchange_variant_id,
            note=req.note,
        )
        for req, item in zip(lines, decision.items, strict=True)
    )
    merchant_pays = any(i.return_shipping_paid_by == "merchant" for i in decision.items)
    rma = Rma(
        number=rmas.new_rma_number(),
        shop=shop.domain,
        order_id=view.order.id,
        order_name=view.order.name,
        currency=view.order.currency,
        state="requested",
        lines=rma_lines,
        created_at=now,
        updated_at=now,
        requires_review=decision.requires_review,
        approver_role=decision.approver_role.value if decision.approver_role else None,
        refund_total=decision.refund_total,
        return_shipping_paid_by="merchant" if merchant_pays else "customer",
        prepaid_label=merchant_pays or any(i.label_fee > 0 for i in decision.items),
        timeline=(TimelineEntry(at=now, actor="customer", action="request"),),
        customer_email=customer_email,
        locale=locale,
    )
    if not rma.requires_review:
        rma = rmas.apply(
            rma,
            "approve",
            actor="system",
            at=now,
            note="approved automatically by your return policy",
        )
    bought = {li.id: li.quantity - view.refunded_quantity(li.id) for li in view.order.line_items}
    for attempt in range(3):
        try:
            ctx.store.create_rma(shop.domain, rma, bought)
            break
        except Conflict:
            if attempt == 2:
                raise
            rma = replace(rma, number=rmas.new_rma_number())  # a number collision: draw again
    rma = replace(rma, version=1)
    logger.info(
        "return requested", extra={"shop": shop.domain, "rma": rma.number, "state": rma.state}
    )
    rma = _open_shopify_return(ctx, shop, rma)
    if rma.state == "requested":
        _notify(ctx, shop, rma, "return_requested")
    else:
        rma = _after_approval(ctx, shop, rma)
    return rma


def _after_approval(ctx: ReturnsContext, shop: Shop, rma: Rma) -> Rma:
    """Issue the prepaid label (its email carries the label), or email the shipping instructions."""
    if rma.prepaid_label and ctx.after_approval is not None:
        try:
            return ctx.after_approval(ctx, shop, rma)
        except (UpstreamError, InvalidInput) as exc:
            # The approval stands; the label is issued again on the next attempt.
            logger.warning(
                "label not issued yet",
                extra={"shop": shop.domain, "rma": rma.number, "error": str(exc)},
            )
            return ctx.store.get_rma(shop.domain, rma.number) or rma
    _notify(ctx, shop, rma, "return_approved")
    return rma


def _open_shopify_return(ctx: ReturnsContext, shop: Shop, rma: Rma) -> Rma:
    """Create the Shopify return for the RMA once: requested (to review) or open (approved)."""
    key = f"{rma.number}:shopify-return"
    claim = ctx.ledger.claim(shop.domain, key, at=ctx.clock.now())
    admin = ctx.admin_for(shop.domain)
    if claim is not None and claim.result:
        return_id = claim.result["return_id"]
    else:
        found = _find_unclaimed_return(ctx, shop, admin, rma) if claim is not None else None
        if found is not None:
            return_id = found
        else:
            return_id = _create_shopify_return(admin, rma).id
        ctx.ledger.complete(shop.domain, key, {"return_id": return_id})
    if rma.shopify_return_id == return_id:
        return rma
    return ctx.store.update_rma(shop.domain, replace(rma, shopify_return_id=return_id), rma.version)


def _find_unclaimed_return(
    ctx: ReturnsContext, shop: Shop, admin: AdminClient, rma: Rma
) -> str | None:
    """After an attempt with an unknown outcome: the order's return no other RMA owns, if any."""
    order = admin.get_order(f"gid://shopify/Order/{rma.order_id}")
    owned = {r.shopify_return_id for r in ctx.store.rmas_for_order(shop.domain, rma.order_id)}
    candidates = [r.id for r in (order.returns if order else ()) if r.id not in owned]
    return candidates[-1] if candidates else None


def _create_shopify_return(admin: AdminClient, rma: Rma) -> ReturnInfo:
    order = admin.get_order(f"gid://shopify/Order/{rma.order_id}")
    if order is None:
        raise UpstreamError(f"Shopify does not know order {rma.order_name}", retryable=False)
    reasons = {r.handle: r.id for r in admin.return_reasons()}
    requests = []
    for line in rma.lines:
        wanted = line.quantity
        for fulfillment in order.fulfillments:
            for fl in fulfillment.lines:
                if wanted and fl.line_item_id.rsplit("/", 1)[1] == str(line.line_item_id):
                    take = min(wanted, fl.quantity)
                    requests.append(
                        ReturnLineRequest(
                            fulfillment_line_item_id=fl.id,
                            quantity=take,
                            reason_definition_id=reasons.get(
                                REASON_HANDLES.get(line.reason, ""), reasons.get("other")
                            ),
                            note=f"Hemline return {rma.number}: {line.reason.replace('_', ' ')}",
                        )
                    )
                    wanted -= take
        if wanted:
            raise InvalidInput(
                f"{line.title} has not been shipped yet, so it cannot be returned", "items"
            )
    try:
        if rma.state == "approved":
            return admin.create_return(order.id, requests)
        return admin.request_return(order.id, requests)
    except ShopifyOutcomeUnknownError as exc:
        raise UpstreamError(
            "Shopify did not confirm the return; it will be checked before retrying", retryable=True
        ) from exc
    except ShopifyError as exc:
        raise _shopify(exc) from exc


# -- review --------------------------------------------------------------------------------


def approve_return(
    ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, actor_role: str | None
) -> Rma:
    """Approve a requested return (the policy's approver role or above); then label and email."""
    rma = _load(ctx, shop.domain, number)
    approved, _ = rmas.approve(rma, actor=actor, at=ctx.clock.now(), actor_role=actor_role)
    rma = ctx.store.update_rma(shop.domain, approved, rma.version)
    if rma.shopify_return_id:
        _once(
            ctx,
            shop,
            f"{number}:shopify-approve",
            lambda: ctx.admin_for(shop.domain).approve_return_request(rma.shopify_return_id),
        )  # type: ignore[arg-type]
    return _after_approval(ctx, shop, rma)


def decline_return(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, reason: str) -> Rma:
    """Decline a requested return with a reason the customer reads; frees its quantities."""
    rma = _load(ctx, shop.domain, number)
    declined, _ = rmas.decline(rma, actor=actor, at=ctx.clock.now(), reason=reason)
    rma = ctx.store.update_rma(shop.domain, declined, rma.version, release=True)
    if rma.shopify_return_id:
        _once(
            ctx,
            shop,
            f"{number}:shopify-decline",
            lambda: ctx.admin_for(shop.domain).decline_return_request(
                rma.shopify_return_id, "OTHER", note=reason
            ),  # type: ignore[arg-type]
        )
    _notify(ctx, shop, rma, "return_declined")
    return rma


def cancel_return(
    ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, note: str | None = None
) -> Rma:
    """Cancel a return before its goods arrive; frees its quantities."""
    rma = _load(ctx, shop.domain, number)
    cancelled, _ = rmas.cancel(rma, actor=actor, at=ctx.clock.now(), note=note)
    return ctx.store.update_rma(shop.domain, cancelled, rma.version, release=True)


def receive_return(
    ctx: ReturnsContext,
    shop: Shop,
    number: str,
    *,
    actor: str,
    received: dict[int, tuple[int, str, bool]],
) -> Rma:
    """Record what arrived at the warehouse: per line item, (quantity, condition, restock?)."""
    rma = _load(ctx, shop.domain, number)
    got, _ = rmas.receive(rma, actor=actor, at=ctx.clock.now(), received=received)
    rma = ctx.store.update_rma(shop.domain, got, rma.version)
    _notify(ctx, shop, rma, "return_received")
    return rma


# -- resolution ----------------------------------------------------------------------------


def received_amount(line: RmaLine) -> Decimal:
    """What a line refunds for what actually arrived (fees scale with the quantity received)."""
    received = line.quantity if line.received_quantity is None else line.received_quantity
    if received == line.quantity:
        return line.refund_amount
    return to_cents(line.refund_amount * received / line.quantity)


def refund_return(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str) -> Rma:
    """Refund a received return to the original payment method through Shopify (once)."""
    return _resolve(ctx, shop, number, actor=actor, action="refund")


def credit_return(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str) -> Rma:
    """Issue store credit for a received return in the order's currency (once)."""
    return _resolve(ctx, shop, number, actor=actor, action="credit")


def _resolve(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, action: str) -> Rma:
    rma = _load(ctx, shop.domain, number)
    if rma.state == "received":
        rma = ctx.store.update_rma(
            shop.domain, rmas.apply(rma, "inspect", actor=actor, at=ctx.clock.now()), rma.version
        )
    rmas.ensure_can(rma, action)
    amount = sum((received_amount(ln) for ln in rma.lines), Decimal("0.00"))
    admin = ctx.admin_for(shop.domain)
    if not rma.shopify_return_id:
        raise UpstreamError(
            f"return {number} has no Shopify return yet; retry shortly", retryable=True
        )
    ret = admin.get_return(rma.shopify_return_id)
    if ret is None:
        raise UpstreamError(f"Shopify lost return {rma.shopify_return_id}", retryable=False)
    lines = _process_lines(rma, ret)
    if action == "refund":
        _once(
            ctx,
            shop,
            f"{number}:refund",
            lambda: _process_with_refund(admin, rma, ret, lines, amount),
            verify=lambda: _refunded(admin, rma),
        )
    else:
        order = admin.get_order(f"gid://shopify/Order/{rma.order_id}")
        if order is None or not order.customer_id:
            raise InvalidInput(
                "the order has no customer account to hold store credit", "resolution"
            )
        _once(
            ctx,
            shop,
            f"{number}:credit",
            lambda: admin.credit_store_credit(order.customer_id, Money(amount, rma.currency)),
        )  # type: ignore[arg-type]
        _once(ctx, shop, f"{number}:process", lambda: admin.process_return(ret.id, lines))
    done = rmas.apply(
        rma, action, actor=actor, at=ctx.clock.now(), note=f"{amount:.2f} {rma.currency}"
    )
    try:
        rma = ctx.store.update_rma(shop.domain, done, rma.version)
    except Conflict:
        # Shopify's refunds/create webhook settled the RMA first; the money moved once.
        return _load(ctx, shop.domain, number)
    _notify(ctx, shop, rma, "refund_issued" if action == "refund" else "store_credit_issued")
    return rma


def _process_lines(rma: Rma, ret: ReturnInfo) -> list[ProcessLineRequest]:
    rfo_lines = {
        ln.fulfillment_line_item_id: ln.id
        for rfo in ret.reverse_fulfillment_orders
        for ln in rfo.lines
    }
    by_item = {ln.line_item_id.rsplit("/", 1)[1]: ln for ln in ret.lines}
    out = []
    for line in rma.lines:
        rl = by_item.get(str(line.line_item_id))
        qty = line.quantity if line.received_quantity is None else line.received_quantity
        if rl is None or qty == 0:
            continue
        disposition = Disposition(
            reverse_fulfillment_order_line_item_id=rfo_lines[rl.fulfillment_line_item_id],
            quantity=qty,
            disposition_type="RESTOCKED" if line.restock else "NOT_RESTOCKED",
        )
        out.append(
            ProcessLineRequest(return_line_item_id=rl.id, quantity=qty, dispositions=(disposition,))
        )
    return out


def _process_with_refund(
    admin: AdminClient, rma: Rma, ret: ReturnInfo, lines: list[ProcessLineRequest], amount: Decimal
) -> ReturnInfo:
    order = admin.get_order(f"gid://shopify/Order/{rma.order_id}")
    sales = [
        t
        for t in (order.transactions if order else ())
        if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"
    ]
    if not sales:
        raise UpstreamError(
            f"order {rma.order_name} has no captured payment to refund", retryable=False
        )
    sale = sales[0]
    refunds = (
        [RefundTransactionRequest(parent_id=sale.id, amount=amount, gateway=sale.gateway or "")]
        if amount > 0
        else []
    )
    return admin.process_return(
        ret.id, lines, refunds=refunds, currency=rma.currency if refunds else None
    )


def _refunded(admin: AdminClient, rma: Rma) -> bool:
    ret = admin.get_return(rma.shopify_return_id)  # type: ignore[arg-type]
    return bool(ret and ret.refunds)


def _once(
    ctx: ReturnsContext,
    shop: Shop,
    key: str,
    call: Callable[[], object],
    *,
    verify: Callable[[], bool] | None = None,
) -> None:
    """Perform a Shopify side effect once per key, whatever the retries.

    A claim left `started` by an attempt that died is settled by `verify`
    (reading Shopify back) when given; without it the effect is not repeated
    blindly and the caller is told to look.
    """
    claim = ctx.ledger.claim(shop.domain, key, at=ctx.clock.now())
    if claim is not None:
        if claim.status == "done":
            return
        if verify is not None and verify():
            ctx.ledger.complete(shop.domain, key, {"verified": True})
            return
        if verify is None:
            raise UpstreamError(
                f"an earlier attempt at {key} has an unknown outcome; check Shopify",
                retryable=False,
            )
    try:
        call()
    except ShopifyOutcomeUnknownError as exc:
        raise UpstreamError(
            f"{key}: Shopify did not confirm; it will be checked before retrying", retryable=True
        ) from exc
    except ShopifyError as exc:
        if not exc.retryable:
            ctx.ledger.release(shop.domain, key)
        raise _shopify(exc) from exc
    ctx.ledger.complete(shop.domain, key, {"ok": True})


def reconcile_external_refund(
    store: DynamoStore, ledger: DynamoLedger, clock: Clock, shop: str, refund: Refund
) -> None:
    """refunds/create: a refund made outside Hemline (in the Shopify admin) settles the RMA it covers.

    The RMA is marked refunded and its refund step is recorded as done, so
    Hemline never refunds the same items a second time.
    """
    now = clock.now()
    refunded = {ln.line_item_id: ln.quantity for ln in refund.lines}
    for rma in store.rmas_for_order(shop, refund.order_id):
        if not rma.is_open or rma.state in rmas.RESOLVED_STATES:
            continue
        linked = (
            refund.return_id is not None
            and rma.shopify_return_id == f"gid://shopify/Return/{refund.return_id}"
        )
        covered = all(refunded.get(ln.line_item_id, 0) >= ln.quantity for ln in rma.lines)
        if not (linked or covered):
            continue
        # Claim (or find) the refund step and mark it done: a later "Refund" click is a no-op.
        ledger.claim(shop, f"{rma.number}:refund", at=now)
        ledger.complete(shop, f"{rma.number}:refund", {"external_refund_id": refund.id})
        note = f"refunded in Shopify ({refund.amount:.2f} {rma.currency})"
        updated = rma
        if rma.state in ("received", "inspected"):
            if rmas.can(updated, "inspect"):
                updated = rmas.apply(updated, "inspect", actor="shopify", at=now)
            updated = rmas.apply(updated, "refund", actor="shopify", at=now, note=note)
        else:
            # Refunded before the goods came back: keep the return open for the parcel,
            # with the refund on its timeline (and no second refund from Hemline).
            updated = replace(
                rma,
                timeline=(
                    *rma.timeline,
                    TimelineEntry(at=now, actor="shopify", action="refunded_in_shopify", note=note),
                ),
            )
        store.update_rma(shop, updated, rma.version)
        logger.info(
            "return settled by a refund made in Shopify", extra={"shop": shop, "rma": rma.number}
        )
