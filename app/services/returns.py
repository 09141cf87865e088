"""Return use cases: request, approve, decline, cancel, receive, refund, credit, exchange.

Each use case loads the RMA, applies one transition of the pure state machine,
saves it on its version (a lost race is a Conflict for the caller to re-read),
then performs the side effects in Shopify. Every side effect claims its key in
the effect ledger first, so a retry of the same step never creates a second
Shopify return, refunds twice or credits twice; when an earlier attempt's
outcome is unknown, the step reads Shopify back before trying again.
Money never moves outside Shopify: refunds go through returnProcess to the
original payment method, store credit through storeCreditAccountCredit.
Exchanges and replacements use Shopify's own exchange items: the return is
created with them, and processing it adds them to the order for the merchant
to fulfil; the returned items' value pays for them, so nothing is charged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal
from typing import Any, TypeVar

from app.adapters.dynamo.ledger import DynamoLedger, EffectRecord
from app.adapters.dynamo.store import DynamoStore
from app.adapters.files import FileStore
from app.adapters.labels.ports import LabelProvider
from app.adapters.mail import Mailer
from app.clock import Clock
from app.domain import rma as rmas
from app.domain.money import to_cents
from app.domain.orders import Fulfillment, OrderView, Refund
from app.domain.rma import Rma, RmaLine, TimelineEntry
from app.domain.shops import Shop
from app.errors import Conflict, InvalidInput, InvalidTransition, NotFound, UpstreamError
from app.observability import Metrics, logger
from app.services import refunds
from app.services.eligibility import RequestedLine, decide
from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyError, ShopifyOutcomeUnknownError
from app.shopify.models import (
    Disposition,
    ExchangeLineRequest,
    Money,
    ProcessLineRequest,
    RefundTransactionRequest,
    ReturnInfo,
    ReturnLineRequest,
)
from app.shopify.models import Order as ShopifyOrder
from app.shopify.models import OrderLine as ShopifyOrderLine

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

# How long a claimed Shopify step may take before its worker is presumed dead.
IN_FLIGHT = timedelta(minutes=2)

T = TypeVar("T")
# Resolutions that send the customer new items through Shopify's exchange line items.
EXCHANGE_RESOLUTIONS = frozenset({"exchange", "replacement"})

Hook = Callable[["ReturnsContext", Shop, Rma], Rma]
Notify = Callable[..., None]  # (ctx, shop, rma, template, **extra context) -> None


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
    # Silent unless the composition root passes its own (enabled in prod).
    metrics: Metrics = field(default_factory=lambda: Metrics(enabled=False))


def _shopify(exc: ShopifyError) -> UpstreamError:
    return UpstreamError(f"Shopify: {exc}", retryable=exc.retryable)


def _load(ctx: ReturnsContext, shop: str, number: str) -> Rma:
    rma = ctx.store.get_rma(shop, number)
    if rma is None:
        raise NotFound(f"no return {number}")
    return rma


def _save(ctx: ReturnsContext, shop: str, new: Rma, old: Rma, *, release: bool = False) -> Rma:
    """Save a transition on the RMA's version (Conflict when another won); count its state."""
    saved = ctx.store.update_rma(shop, new, old, release=release)
    if saved.state != old.state:
        ctx.metrics.count("RmaTransitions", state=saved.state)
    return saved


def _notify(ctx: ReturnsContext, shop: Shop, rma: Rma, template: str, **extra: object) -> None:
    if ctx.notify is not None:
        ctx.notify(ctx, shop, rma, template, **extra)


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
    ensure_exchange_variants_chosen(lines)  # before the RMA is stored and holds quantities
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
            ctx.store.create_rma(shop.domain, rma, bought, stats_month=shop.month_of(now))
            break
        except Conflict:
            if attempt == 2:
                raise
            rma = replace(rma, number=rmas.new_rma_number())  # a number collision: draw again
    rma = replace(rma, version=1)
    ctx.metrics.count("RmaTransitions", state="requested")
    if rma.state != "requested":
        ctx.metrics.count("RmaTransitions", state=rma.state)
    logger.info(
        "return requested", extra={"shop": shop.domain, "rma": rma.number, "state": rma.state}
    )
    try:
        rma = _open_shopify_return(ctx, shop, rma)
    except UpstreamError as exc:
        if not exc.retryable:
            raise
        # The RMA stands (it holds the items); the Shopify return is opened by the next step.
        logger.warning(
            "Shopify return not opened yet",
            extra={"shop": shop.domain, "rma": rma.number, "error": str(exc)},
        )
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
    """Create the Shopify return for the RMA once: requested (to review) or open (approved).

    A request with exchange items waits for approval: Shopify's return request
    cannot carry them (2026-04), so that return is created open, with them.
    """
    if rma.state == "requested" and has_exchange_items(rma):
        return rma
    key = f"{rma.number}:shopify-return"
    claim = ctx.ledger.claim(shop.domain, key, at=ctx.clock.now())
    admin = ctx.admin_for(shop.domain)
    if claim is not None and claim.result:
        return_id = claim.result["return_id"]
    else:
        try:
            found = _find_unclaimed_return(ctx, shop, admin, rma) if claim is not None else None
            return_id = found if found is not None else _create_shopify_return(admin, rma).id
        except ShopifyError as exc:
            # The order read before the mutation can fail too (throttled, 5xx): the claim
            # stays, so the retry looks for a return this attempt made before making one.
            raise _shopify(exc) from exc
        except UpstreamError as exc:
            # Refused because the items are in a return already: a twin (or an attempt whose
            # answer was lost) made it meanwhile, and that return is this RMA's.
            found = (
                None
                if exc.retryable
                else _shopify_shows(lambda: _find_unclaimed_return(ctx, shop, admin, rma))
            )
            if found is None:
                raise
            return_id = found
        ctx.ledger.complete(shop.domain, key, {"return_id": return_id})
    if rma.shopify_return_id == return_id:
        return rma
    return ctx.store.update_rma(shop.domain, replace(rma, shopify_return_id=return_id), rma)


def _find_unclaimed_return(
    ctx: ReturnsContext, shop: Shop, admin: AdminClient, rma: Rma
) -> str | None:
    """After an attempt with an unknown outcome (or a twin's): the order's return no other RMA
    owns, if any."""
    order = admin.get_order(f"gid://shopify/Order/{rma.order_id}")
    owned = {
        r.shopify_return_id
        for r in ctx.store.rmas_for_order(shop.domain, rma.order_id)
        if r.number != rma.number  # a twin may have stored this RMA's own return already
    }
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
    exchange = _exchange_requests(rma, order)
    try:
        if rma.state != "requested":
            return admin.create_return(order.id, requests, exchange_lines=exchange)
        if exchange:
            raise InvalidTransition("a return with exchange items reaches Shopify once approved")
        return admin.request_return(order.id, requests)
    except ShopifyOutcomeUnknownError as exc:
        raise UpstreamError(
            "Shopify did not confirm the return; it will be checked before retrying", retryable=True
        ) from exc
    except ShopifyError as exc:
        raise _shopify(exc) from exc


def has_exchange_items(rma: Rma) -> bool:
    """Whether the RMA sends the customer new items (an exchange or a replacement)."""
    return any(ln.resolution in EXCHANGE_RESOLUTIONS for ln in rma.lines)


def ensure_exchange_variants_chosen(lines: Sequence[RequestedLine] | Sequence[RmaLine]) -> None:
    """Raises InvalidInput naming the first exchange whose new size or colour is not chosen."""
    for i, line in enumerate(lines):
        if line.resolution == "exchange" and line.exchange_variant_id is None:
            raise InvalidInput(
                "choose the size or colour you want instead", f"items[{i}].exchange_variant_id"
            )


def _new_variant_gid(line: RmaLine, index: int) -> str:
    """The variant an exchange (the one chosen) or a replacement (the same one) sends out."""
    variant = line.exchange_variant_id if line.resolution == "exchange" else line.variant_id
    if variant is None:
        raise InvalidInput(
            f"{line.title} is no longer sold, so it cannot be replaced", f"items[{index}]"
        )
    return f"gid://shopify/ProductVariant/{variant}"


def _exchange_requests(rma: Rma, order: ShopifyOrder) -> list[ExchangeLineRequest]:
    """Shopify exchange items for the RMA's exchange and replacement lines, at no extra charge."""
    ensure_exchange_variants_chosen(rma.lines)
    bought = {ln.id.rsplit("/", 1)[1]: ln for ln in order.lines}
    out = []
    for i, line in enumerate(rma.lines):
        if line.resolution not in EXCHANGE_RESOLUTIONS:
            continue
        discount = _carried_discount(bought.get(str(line.line_item_id)))
        out.append(
            ExchangeLineRequest(
                variant_id=_new_variant_gid(line, i),
                quantity=line.quantity,
                discount_percent=discount,
                discount_description=f"Hemline {rma.number}: priced as the returned item"
                if discount
                else None,
            )
        )
    return out


def _carried_discount(bought: ShopifyOrderLine | None) -> Decimal | None:
    """The percentage off the customer had on the returned item, carried to the new one.

    Shopify pays for exchange items with the returned items' value; a new item
    at full price would leave a balance to pay whenever the original was
    discounted. Variants of one product share a price, so the same percentage
    makes the new item cost what the returned one did. Rounded up, never down,
    so that the customer is never left owing a cent.
    """
    if bought is None:
        return None
    full, paid = bought.unit_price.amount, bought.discounted_unit_price.amount
    if full <= 0 or paid >= full:
        return None
    return ((full - paid) * 100 / full).quantize(Decimal("0.0001"), rounding=ROUND_UP)


# -- review --------------------------------------------------------------------------------


def approve_return(
    ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, actor_role: str | None
) -> Rma:
    """Approve a requested return (the policy's approver role or above); then label and email."""
    rma = _load(ctx, shop.domain, number)
    approved, _ = rmas.approve(rma, actor=actor, at=ctx.clock.now(), actor_role=actor_role)
    rma = _save(ctx, shop.domain, approved, rma)
    if rma.shopify_return_id:
        _once(
            ctx,
            shop,
            f"{number}:shopify-approve",
            lambda: ctx.admin_for(shop.domain).approve_return_request(rma.shopify_return_id),
        )  # type: ignore[arg-type]
    elif has_exchange_items(rma):
        rma = _open_shopify_return(ctx, shop, rma)  # deferred at request: see there
    return _after_approval(ctx, shop, rma)


def decline_return(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, reason: str) -> Rma:
    """Decline a requested return with a reason the customer reads; frees its quantities."""
    rma = _load(ctx, shop.domain, number)
    declined, _ = rmas.decline(rma, actor=actor, at=ctx.clock.now(), reason=reason)
    rma = _save(ctx, shop.domain, declined, rma, release=True)
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
    return _save(ctx, shop.domain, cancelled, rma, release=True)


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
    rma = _save(ctx, shop.domain, got, rma)
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
        rma = _save(
            ctx, shop.domain, rmas.apply(rma, "inspect", actor=actor, at=ctx.clock.now()), rma
        )
    rmas.ensure_can(rma, action)
    amount = sum((received_amount(ln) for ln in rma.lines), Decimal("0.00"))
    # A twin click or a retry while another worker is moving the money: say so before
    # spending the shop's Shopify rate limit on reads that worker is already making.
    _ensure_not_in_flight(ctx, shop, f"{number}:{action}")
    if not rma.shopify_return_id:
        # Its creation failed at request time (Shopify throttled or down): try again now.
        rma = _open_shopify_return(ctx, shop, rma)
    admin = ctx.admin_for(shop.domain)
    ret = _read_return(admin, rma)
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
        try:
            # Only the customer is needed: the light read, not the whole order.
            order = admin.get_order_status(f"gid://shopify/Order/{rma.order_id}")
        except ShopifyError as exc:
            raise _shopify(exc) from exc  # throttled or down: the staff's click is retried
        if order is None:
            raise UpstreamError(f"Shopify does not know order {rma.order_name}", retryable=False)
        bonus = to_cents(amount * shop.store_credit_bonus_percent / 100)
        amount += bonus
        # Kept with the effect: a retry after a later step failed, or an email sent again by
        # the sweep, still tells the customer the amount and the gift card's code.
        issued = _once(
            ctx,
            shop,
            credit_key(number),
            lambda: {
                "amount": str(amount),
                **refunds.credit_or_gift_card(
                    admin,
                    order.customer_id,
                    Money(amount, rma.currency),
                    note=f"Hemline return {rma.number}",
                ),
            },
            keep=True,
        )
        _once(
            ctx,
            shop,
            f"{number}:process",
            lambda: admin.process_return(ret.id, lines),
            verify=lambda: _processed(admin, rma),
        )
    done = rmas.apply(
        rma, action, actor=actor, at=ctx.clock.now(), note=f"{amount:.2f} {rma.currency}"
    )
    try:
        rma = _save(ctx, shop.domain, done, rma)
    except Conflict:
        # Shopify's refunds/create webhook settled the RMA first; the money moved once.
        # (Not counted here: a second click losing the same race would count it twice.)
        # The webhook sends no email: the customer still hears of it, once.
        rma = _load(ctx, shop.domain, number)
        if rma.state != done.state:
            return rma
    else:
        if action == "refund":
            ctx.metrics.count("RefundsIssued", source="return")
            ctx.metrics.amount("RefundAmount", amount, currency=rma.currency)
        else:
            ctx.metrics.count("StoreCreditsIssued", source="return")
            ctx.metrics.amount("StoreCreditAmount", amount, currency=rma.currency)
    if action == "refund":
        _notify(ctx, shop, rma, "refund_issued")
    else:
        _notify(ctx, shop, rma, "store_credit_issued", **credit_email(issued, amount))
    return rma


def credit_key(number: str) -> str:
    """The effect key of an RMA's store credit (or gift card) in the ledger."""
    return f"{number}:credit"


def credit_email(issued: Mapping[str, Any], amount: Decimal | None = None) -> dict[str, Any]:
    """What the store-credit email says beyond the RMA: the amount given and a gift card's code.

    `issued` is what the credit effect recorded; `amount` stands in for an effect recorded
    without its amount.
    """
    extra: dict[str, Any] = {}
    if issued.get("amount"):
        extra["amount"] = Decimal(str(issued["amount"]))
    elif amount is not None:
        extra["amount"] = amount
    if issued.get("kind") == "gift_card" and issued.get("code"):
        extra["gift_card_code"] = issued["code"]
    return extra


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


def _shopify_shows(verify: Callable[[], T]) -> T:
    """Whether Shopify shows the effect; its failures (throttled, down) are ours to retry."""
    try:
        return verify()
    except ShopifyError as exc:
        raise _shopify(exc) from exc


def _ensure_not_in_flight(ctx: ReturnsContext, shop: Shop, key: str) -> None:
    """Raise a retryable error while a fresh claim on `key` says another worker is at it."""
    claim = ctx.ledger.get(shop.domain, key)
    if claim is not None and claim.status == "started":
        _raise_if_in_flight(ctx, key, claim)


def _raise_if_in_flight(ctx: ReturnsContext, key: str, claim: EffectRecord) -> None:
    if ctx.clock.now() - datetime.fromisoformat(claim.started_at) < IN_FLIGHT:
        # Another worker is doing it right now: Shopify may not show it yet, and
        # doing it again could do it twice. Retry once that worker has finished.
        raise UpstreamError(f"{key} is in progress in another worker", retryable=True)


def _once(
    ctx: ReturnsContext,
    shop: Shop,
    key: str,
    call: Callable[[], object],
    *,
    verify: Callable[[], bool] | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """Perform a Shopify side effect once per key, whatever the retries.

    A claim left `started` by an attempt that died is settled by `verify`
    (reading Shopify back) when given; without it the effect is not repeated
    blindly and the caller is told to look. With `keep`, what `call` returned (a
    dict) is recorded with the effect and returned again to every later caller.
    """
    claim = ctx.ledger.claim(shop.domain, key, at=ctx.clock.now())
    if claim is not None:
        if claim.status == "done":
            return claim.result or {}
        if verify is not None and _shopify_shows(verify):
            ctx.ledger.complete(shop.domain, key, {"verified": True})
            return {"verified": True}
        _raise_if_in_flight(ctx, key, claim)
        if verify is None:
            raise UpstreamError(
                f"an earlier attempt at {key} has an unknown outcome; check Shopify",
                retryable=False,
            )
        # The claim is older than any attempt takes and Shopify shows no effect: the
        # worker died before Shopify did it, so doing it now does it once.
    try:
        answer = call()
    except ShopifyOutcomeUnknownError as exc:
        raise UpstreamError(
            f"{key}: Shopify did not confirm; it will be checked before retrying", retryable=True
        ) from exc
    except ShopifyError as exc:
        if exc.retryable:
            # Throttled or unreachable before Shopify did anything (a mutation that may have
            # applied raises ShopifyOutcomeUnknownError instead): the next try goes straight
            # ahead rather than waiting out IN_FLIGHT behind a claim nobody holds.
            ctx.ledger.release(shop.domain, key)
        elif verify is not None and _shopify_shows(verify):
            # Refused, perhaps because an earlier attempt whose answer was lost already
            # did it (a return processed twice is refused): then it is done, once.
            ctx.ledger.complete(shop.domain, key, {"verified": True})
            return {"verified": True}
        else:
            ctx.ledger.release(shop.domain, key)
        raise _shopify(exc) from exc
    result = dict(answer) if keep and isinstance(answer, dict) else {"ok": True}
    ctx.ledger.complete(shop.domain, key, result)
    return result


# -- exchange and replacement -----------------------------------------------------------------


def exchange_return(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str) -> Rma:
    """Settle a received exchange: process the returned items, send the chosen variants (once).

    No money moves. Raises InvalidInput when the return is not an exchange or nothing came back.
    """
    return _exchange(ctx, shop, number, actor=actor, action="exchange")


def replace_return(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str) -> Rma:
    """Settle a received replacement: process the returned items, send the same ones (once)."""
    return _exchange(ctx, shop, number, actor=actor, action="replace")


def _exchange(ctx: ReturnsContext, shop: Shop, number: str, *, actor: str, action: str) -> Rma:
    rma = _load(ctx, shop.domain, number)
    if rma.state == "received":
        rma = _save(
            ctx, shop.domain, rmas.apply(rma, "inspect", actor=actor, at=ctx.clock.now()), rma
        )
    rmas.ensure_can(rma, action)
    _ensure_settled_by(rma, action)
    if not rma.shopify_return_id:
        # Its creation failed earlier (e.g. out of stock at approval): try again now.
        rma = _open_shopify_return(ctx, shop, rma)
    admin = ctx.admin_for(shop.domain)
    ret = _read_return(admin, rma)
    lines = _process_lines(rma, ret)
    sends = _exchange_process_lines(rma, ret)
    if not lines and not sends:
        raise InvalidInput("nothing came back, so there is nothing to exchange", "received")
    _once(
        ctx,
        shop,
        f"{number}:process",
        lambda: admin.process_return(
            ret.id, lines, exchange_lines=sends, note=f"Hemline {rma.number}: {action}, no refund"
        ),
        verify=lambda: _processed(admin, rma),
    )
    done = rmas.apply(rma, action, actor=actor, at=ctx.clock.now(), note=_exchange_note(rma))
    try:
        rma = _save(ctx, shop.domain, done, rma)
    except Conflict:
        # Another worker settled it first; Shopify processed the return once.
        return _load(ctx, shop.domain, number)
    logger.info(
        "exchange processed", extra={"shop": shop.domain, "rma": rma.number, "state": rma.state}
    )
    return rma


def _ensure_settled_by(rma: Rma, action: str) -> None:
    """An exchange settles exchange lines; money back and new items are not mixed in one step."""
    resolutions = {ln.resolution for ln in rma.lines}
    if resolutions - EXCHANGE_RESOLUTIONS:
        raise InvalidInput(
            "this return also has items to refund or credit; settle it with a refund or credit",
            "resolution",
        )
    if action == "exchange" and "exchange" not in resolutions:
        raise InvalidInput(
            "this return replaces items with the same ones: replace it", "resolution"
        )
    if action == "replace" and "exchange" in resolutions:
        raise InvalidInput(
            "this return swaps items for other sizes or colours: exchange it", "resolution"
        )


def _read_return(admin: AdminClient, rma: Rma) -> ReturnInfo:
    try:
        ret = admin.get_return(rma.shopify_return_id)  # type: ignore[arg-type]
    except ShopifyError as exc:
        raise _shopify(exc) from exc
    if ret is None:
        raise UpstreamError(f"Shopify lost return {rma.shopify_return_id}", retryable=False)
    return ret


def _exchange_process_lines(rma: Rma, ret: ReturnInfo) -> list[tuple[str, int]]:
    """(exchange line item id, quantity) to confirm: one new item per item that came back."""
    left = {e.id: e.unprocessed_quantity for e in ret.exchange_lines}
    sends: dict[str, int] = {}
    for i, line in enumerate(rma.lines):
        if line.resolution not in EXCHANGE_RESOLUTIONS:
            continue
        variant = _new_variant_gid(line, i)
        matching = [e for e in ret.exchange_lines if e.variant_id == variant]
        if not matching:
            raise InvalidInput(
                f"Shopify return {ret.name} has no exchange item for {line.title}; "
                "add it to the exchange in Shopify",
                f"items[{i}]",
            )
        wanted = line.quantity if line.received_quantity is None else line.received_quantity
        for e in matching:
            take = min(wanted, left[e.id])
            if take:
                left[e.id] -= take
                sends[e.id] = sends.get(e.id, 0) + take
                wanted -= take
    return list(sends.items())


def _processed(admin: AdminClient, rma: Rma) -> bool:
    ret = admin.get_return(rma.shopify_return_id)  # type: ignore[arg-type]
    return bool(ret) and (
        any(ln.processed_quantity for ln in ret.lines)  # type: ignore[union-attr]
        or any(e.processed_quantity for e in ret.exchange_lines)  # type: ignore[union-attr]
    )


def _exchange_note(rma: Rma) -> str:
    fee = sum((ln.exchange_fee for ln in rma.lines), Decimal("0.00"))
    if fee > 0:
        # Exchange items take a discount, never a fee: the policy's fee is recorded, not collected.
        return f"no refund; expedited exchange fee {fee:.2f} {rma.currency} not charged here"
    return "no refund"


def exchange_shipped(ctx: ReturnsContext, shop: str, fulfillment: Fulfillment) -> list[str]:
    """fulfillments/create: email each customer whose exchange items this shipment carries, once.

    The RMA's Shopify return says which order lines are its new items. Returns
    the RMA numbers concerned; raises UpstreamError when Shopify cannot be read.
    """
    shipped = {ln.line_item_id for ln in fulfillment.lines}
    candidates = [
        r
        for r in ctx.store.rmas_for_order(shop, fulfillment.order_id)
        if r.shopify_return_id
        and r.state not in rmas.FINAL_STATES - {"closed"}
        and has_exchange_items(r)
    ]
    found = ctx.store.get_shop(shop) if shipped and candidates else None
    if found is None:
        return []
    admin = ctx.admin_for(shop)
    concerned = []
    for rma in candidates:
        new_lines = {
            int(gid.rsplit("/", 1)[1])
            for e in _read_return(admin, rma).exchange_lines
            for gid in e.line_item_ids
        }
        if new_lines & shipped:
            _notify(ctx, found, rma, "exchange_shipped")
            concerned.append(rma.number)
    return concerned


def reconcile_external_refund(
    store: DynamoStore, ledger: DynamoLedger, clock: Clock, shop: str, refund: Refund
) -> list[Rma]:
    """refunds/create: a refund made outside Hemline (in the Shopify admin) settles the RMA it covers.

    The RMA is marked refunded and its refund step is recorded as done, so
    Hemline never refunds the same items a second time.
    """
    now = clock.now()
    refunded = {ln.line_item_id: ln.quantity for ln in refund.lines}
    settled: list[Rma] = []
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
        saved = store.update_rma(shop, updated, rma)
        if saved.state == "refunded":
            settled.append(saved)
        logger.info(
            "return settled by a refund made in Shopify", extra={"shop": shop, "rma": rma.number}
        )
    return settled
