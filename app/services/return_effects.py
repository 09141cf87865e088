"""The return steps that reach outside Shopify: the prepaid label and the customer emails.

`issue_label` runs after approval when the RMA comes with a prepaid label:
it buys the label once (the label service's ledger protocol), attaches it to
the Shopify return as a reverse delivery with tracking (`notifyCustomer:
false`, Hemline sends its own email) and moves the RMA to `label_issued`.
`notify` sends the customer the email for an RMA event, once per event; one
the mail sender failed on is due work that `send_due_emails` sends later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.adapters.dynamo.store import DueWork
from app.adapters.labels.types import Address, LabelRequest, Parcel
from app.domain import rma as rmas
from app.domain.rma import Rma
from app.domain.shops import Shop
from app.errors import HemlineError, InvalidInput, UpstreamError
from app.observability import logger
from app.services import labels, mail
from app.services.proactive import SweepResult, run_due
from app.shopify.errors import ShopifyError

if TYPE_CHECKING:
    from app.services.returns import ReturnsContext

# Due work: an RMA email the mail sender failed on, sent again by the sweep.
RMA_EMAIL = "rma_email"
EMAIL_RETRY_AFTER = timedelta(minutes=10)

# A folded garment in a poly mailer; providers rate by weight and size.
DEFAULT_PARCEL = Parcel(
    weight_oz=Decimal("16"), length_in=Decimal("12"), width_in=Decimal("10"), height_in=Decimal("3")
)


def _merchant_address(shop: Shop) -> Address:
    a = shop.return_address
    if not a or not a.get("line1") or not a.get("zip"):
        raise InvalidInput(
            "set your return address in Hemline's settings before labels can be issued",
            "return_address",
        )
    return Address(
        name=a.get("name") or shop.name or shop.domain,
        line1=a["line1"],
        line2=a.get("line2"),
        city=a.get("city", ""),
        province=a.get("province"),
        zip=a["zip"],
        country_code=a.get("country_code", shop.country),
        phone=a.get("phone"),
    )


def _customer_address(addr: Any, fallback_country: str) -> Address:
    name = " ".join(p for p in (addr.get("firstName"), addr.get("lastName")) if p) or "Customer"
    return Address(
        name=name,
        line1=addr.get("address1") or "",
        line2=addr.get("address2"),
        city=addr.get("city") or "",
        province=addr.get("provinceCode"),
        zip=addr.get("zip") or "",
        country_code=addr.get("countryCodeV2") or fallback_country,
        phone=addr.get("phone"),
    )


def issue_label(ctx: ReturnsContext, shop: Shop, rma: Rma) -> Rma:
    """Buy, store and attach the prepaid label of an approved RMA; email the customer."""
    if (
        not rma.prepaid_label
        or rma.state != "approved"
        or ctx.files is None
        or ctx.label_provider_for is None
    ):
        return rma
    admin = ctx.admin_for(shop.domain)
    try:
        order = admin.get_order(f"gid://shopify/Order/{rma.order_id}")
    except ShopifyError as exc:
        raise UpstreamError(f"Shopify: {exc}", retryable=exc.retryable) from exc
    if order is None:
        raise UpstreamError(f"Shopify does not know order {rma.order_name}", retryable=False)
    request = LabelRequest(
        reference=f"{shop.domain}/{rma.number}",
        rma_number=rma.number,
        ship_from=_customer_address(order.shipping_address, shop.country),
        ship_to=_merchant_address(shop),
        parcel=DEFAULT_PARCEL,
        shop=shop.domain,
    )
    stored = labels.buy_return_label(
        shop=shop.domain,
        rma_id=rma.number,
        request=request,
        provider=ctx.label_provider_for(shop),
        ledger=ctx.ledger,
        files=ctx.files,
        clock=ctx.clock,
    )
    if not rma.shopify_return_id:
        from app.services.returns import _open_shopify_return  # opening failed at request

        rma = _open_shopify_return(ctx, shop, rma)
    _attach_to_shopify_return(ctx, shop, rma, stored)
    label = {
        "provider": stored.provider,
        "carrier": stored.carrier,
        "tracking_number": stored.tracking_number,
        "tracking_url": stored.tracking_url or "",
        "file_key": stored.file_key,
        "cost": format(stored.cost, "f"),
        "qr_code_url": stored.qr_code_url or "",
    }
    current = ctx.store.get_rma(shop.domain, rma.number) or rma
    if current.state != "approved":
        return current  # another worker issued it meanwhile
    issued = rmas.apply(
        current, "issue_label", actor="system", at=ctx.clock.now(), note=stored.tracking_number
    )
    rma = ctx.store.update_rma(shop.domain, replace(issued, label=label), current)
    ctx.metrics.count("LabelsBought", provider=stored.provider)
    ctx.metrics.count("RmaTransitions", state=rma.state)
    notify(ctx, shop, rma, "return_approved")
    return rma


def _attach_to_shopify_return(
    ctx: ReturnsContext, shop: Shop, rma: Rma, stored: labels.StoredLabel
) -> None:
    from app.services.returns import _once  # the shared once-per-key Shopify step

    if not rma.shopify_return_id:
        return
    admin = ctx.admin_for(shop.domain)

    def attach() -> None:
        ret = admin.get_return(rma.shopify_return_id)  # type: ignore[arg-type]
        if ret is None or not ret.reverse_fulfillment_orders:
            raise UpstreamError(
                "the Shopify return has no reverse fulfillment order yet", retryable=True
            )
        rfo = ret.reverse_fulfillment_orders[0]
        admin.create_reverse_delivery_with_shipping(
            rfo.id,
            [(ln.id, ln.total_quantity) for ln in rfo.lines],
            tracking_number=stored.tracking_number,
            tracking_url=stored.tracking_url,
            label_url=ctx.files.url(stored.file_key, expires_s=3600),  # type: ignore[union-attr]
            notify_customer=False,
        )

    _once(ctx, shop, f"{rma.number}:reverse-delivery", attach)


def notify(ctx: ReturnsContext, shop: Shop, rma: Rma, template: str, **extra: Any) -> None:
    """Email the customer about this RMA event, once; an email failure never undoes the step.

    When the mail sender fails, the email becomes due work: `send_due_emails` (the
    15-minute sweep) sends it, through the same ledger key, so it still goes out once.
    """
    try:
        _send(ctx, shop, rma, template, extra)
    except InvalidInput as exc:
        # A bad address or template: sending it again would fail the same way.
        logger.warning(
            "customer email not sent",
            extra={"shop": shop.domain, "rma": rma.number, "template": template, "error": str(exc)},
        )
    except UpstreamError as exc:
        logger.warning(
            "customer email not sent; the sweep sends it",
            extra={"shop": shop.domain, "rma": rma.number, "template": template, "error": str(exc)},
        )
        _email_due(ctx, shop, rma, template)


def _email_due(ctx: ReturnsContext, shop: Shop, rma: Rma, template: str) -> None:
    try:
        ctx.store.put_due(
            shop.domain,
            RMA_EMAIL,
            f"{rma.number}:{template}",
            ctx.clock.now() + EMAIL_RETRY_AFTER,
            {"number": rma.number, "template": template},
        )
    except HemlineError as exc:
        logger.error(
            "customer email lost: it could not be scheduled again",
            extra={"shop": shop.domain, "rma": rma.number, "template": template, "error": str(exc)},
        )


# How long an RMA email stays worth sending late, by the states that would make it stale:
# "we got your request" after the approval, or "approved, here is your label" once the
# parcel is on its way, would only confuse. Templates not listed are always worth sending.
_STILL_NEWS: dict[str, frozenset[str]] = {
    "return_requested": frozenset({"requested"}),
    "return_approved": frozenset({"approved", "label_issued"}),
    "return_received": frozenset({"received", "inspected"}),
}


def send_due_emails(ctx: ReturnsContext, now: datetime) -> SweepResult:
    """Send the RMA emails the mail sender failed on, each once; drop those gone stale."""
    from app.services.returns import credit_email, credit_key

    def handle(work: DueWork, shop: Shop) -> bool:
        number, template = str(work.data["number"]), str(work.data["template"])
        rma = ctx.store.get_rma(shop.domain, number)
        if rma is None:
            return True  # redacted
        if rma.state not in _STILL_NEWS.get(template, frozenset(rmas.STATES)):
            mail.drop_unsent(
                shop=shop.domain,
                key=_event_key(rma, template),
                template=template,
                reason=f"the return is {rma.state} by now",
                ledger=ctx.ledger,
                clock=ctx.clock,
            )
            return True
        extra: dict[str, Any] = {}
        if template == "store_credit_issued":
            record = ctx.ledger.get(shop.domain, credit_key(number))
            extra = credit_email((record.result if record else None) or {})
        try:
            _send(ctx, shop, rma, template, extra)
        except InvalidInput as exc:
            logger.warning(
                "customer email dropped",
                extra={"shop": shop.domain, "rma": number, "template": template, "error": str(exc)},
            )
        return True

    return run_due(ctx.store, RMA_EMAIL, now, handle, metrics=ctx.metrics)


def _send(ctx: ReturnsContext, shop: Shop, rma: Rma, template: str, extra: dict[str, Any]) -> None:
    """Send the email for this RMA event unless it was sent; raises what mail.send_once raises."""
    if ctx.mailer is None or not rma.customer_email:
        return
    context: dict[str, Any] = {
        "shop_name": shop.name or shop.domain,
        "rma_number": rma.number,
        "order_name": rma.order_name,
        "portal_url": ctx.status_link(shop.domain, rma.number) if ctx.status_link else None,
    }
    if template == "return_approved" and rma.label:
        context.update(
            label_url=ctx.files.url(rma.label["file_key"], expires_s=30 * 86400)
            if ctx.files
            else None,
            carrier=rma.label.get("carrier"),
            tracking_number=rma.label.get("tracking_number"),
            qr_code_url=rma.label.get("qr_code_url") or None,
        )
    if template == "return_approved" and not rma.prepaid_label and shop.return_address:
        context["return_address"] = [v for v in shop.return_address.values() if v]
    if template == "return_declined":
        context["reason"] = rma.decline_reason or ""
    if template in ("refund_issued", "store_credit_issued"):
        from app.services.returns import received_amount

        context.update(
            amount=sum((received_amount(ln) for ln in rma.lines), Decimal("0.00")),
            currency=rma.currency,
        )
    context.update(extra)
    mail.send_once(
        shop=shop.domain,
        key=_event_key(rma, template),
        to=rma.customer_email,
        template=template,
        context=context,
        locale=rma.locale,
        mailer=ctx.mailer,
        ledger=ctx.ledger,
        clock=ctx.clock,
        reply_to=shop.sender_email,
    )


def _event_key(rma: Rma, template: str) -> str:
    """The email's event: one per RMA and template; an approval with its label is another."""
    label = ":label" if template == "return_approved" and rma.label else ""
    return f"{rma.number}:{template}{label}"
