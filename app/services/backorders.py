"""Backorder notices: order lines the stock cannot cover, told to the customer once, with
one-click links to refund the item or keep it on order.

`check_order` runs after an order is stored, on restock rechecks and from `sweep`.
It reads the stock of each unfulfilled line at its fulfilling location; a line short
for longer than the policy's days (no expected date, a date too far off, or nothing
incoming) is backordered and the customer gets one email. An item expected back
within the days is looked at again the day after its date. The decisions are pure
functions below; the email (mail.send_once), the order tag and the count each happen
once per order, and the notice item fixes what every retry sends.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app import i18n
from app.domain.money import to_cents
from app.domain.orders import OrderView
from app.domain.shops import SHOP_DOMAIN_RE, Shop
from app.errors import InvalidInput, NotAllowed, NotFound, UpstreamError
from app.observability import logger
from app.services import mail, refunds
from app.services.proactive import ProactiveContext, SweepResult, run_due
from app.shopify.errors import ShopifyError, ShopifyOutcomeUnknownError
from app.shopify.models import Order as ShopifyOrder
from app.shopify.models import VariantInventory
from policies.calendar import add_business_days, local_date, start_of_local_day
from policies.service_levels import backorder_notice_due
from policies.vocabulary import BackorderOption

if TYPE_CHECKING:
    from policies.schema import Policy

KIND = "backorder"
# How far ahead a restock date may be: later than this is a typo, or not a backorder.
RESTOCK_HORIZON = timedelta(days=366)
NOTICE_TAG = "hemline-backorder-notice"
LINK_AUDIENCE = "hemline-oneclick"
LINK_TTL = timedelta(days=30)
# When Shopify could not be asked, the sweep looks at the order again after this.
RETRY_AFTER = timedelta(minutes=15)
REFUND = "refund"
KEEP = "keep"
ACTIONS = (REFUND, KEEP)
# The link each of the policy's customer options puts in the email.
OPTION_ACTIONS = {BackorderOption.REFUND_ITEM: REFUND, BackorderOption.KEEP_ON_FILE: KEEP}
# Fulfillment orders whose remaining units still wait for stock.
_OPEN_FO = frozenset({"OPEN", "IN_PROGRESS", "ON_HOLD", "SCHEDULED"})
_FINAL_NOTICE = frozenset({"sent", "undeliverable"})


# -- pure decisions ----------------------------------------------------------------------


def shortage(remaining: int, available: int) -> int:
    """Units of a line its location cannot cover.

    Shopify commits stock at checkout, so `available` already counts this order's
    units: an oversold item goes negative by the units nobody can ship.
    """
    return max(0, min(remaining, -available))


@dataclass(frozen=True)
class Verdict:
    short: int
    backordered: bool
    expected_on: date | None  # the restock date the customer is told (None: not known)
    recheck_on: date | None  # short but expected back within the days: look again then
    reason: str


def judge_line(
    short: int,
    incoming: int,
    restock_on: date | None,
    *,
    ordered_on: date,
    today: date,
    after_days: int,
) -> Verdict:
    """Whether a short line is backordered: out of stock for longer than `after_days`
    from the order, counting to the merchant's restock date. A date already past is
    stale (the stock did not come), so it counts as unknown."""
    if short <= 0:
        return Verdict(0, False, None, None, "in stock")
    if restock_on is not None and restock_on < today:
        restock_on = None
    if restock_on is None:
        return Verdict(short, True, None, None, "no expected restock date")
    if incoming < short:
        return Verdict(short, True, restock_on, None, "not enough stock incoming")
    if (restock_on - ordered_on).days > after_days:
        return Verdict(
            short,
            True,
            restock_on,
            None,
            f"expected back more than {after_days} days after the order",
        )
    return Verdict(
        short,
        False,
        restock_on,
        restock_on + timedelta(days=1),
        f"expected back within {after_days} days",
    )


def ship_by(
    expected_on: date | None, dispatch_business_days: int | None, country: str
) -> date | None:
    """The day the item should leave: its restock date plus the dispatch SLA in business days."""
    if expected_on is None:
        return None
    return add_business_days(expected_on, dispatch_business_days or 0, country)


def expected_ship_text(ship_on: date | None, locale: str) -> str:
    """'Expected to ship by June 12, 2025' in the customer's language, or that it is not known."""
    if ship_on is None:
        return i18n.t(locale, "backorder_notice.ship_unknown")
    return i18n.t(locale, "backorder_notice.ship_by", date=i18n.format_date(ship_on, locale))


@dataclass(frozen=True)
class LineStock:
    line_item_id: int
    title: str
    sku: str | None
    variant_id: int | None
    inventory_item_id: int | None
    remaining: int
    short: int
    incoming: int
    location_id: str | None
    unit_amount: Decimal


def line_stocks(order: ShopifyOrder, inventory: Sequence[VariantInventory]) -> list[LineStock]:
    """Per unfulfilled line: units still to ship, those the fulfilling location cannot cover,
    and what is incoming there. Untracked items are never short."""
    by_variant = {v.variant_id: v for v in inventory}
    tax = order.total.amount - order.subtotal.amount - order.total_shipping.amount
    out = []
    for line in order.lines:
        remaining = min(line.unfulfilled_quantity, line.current_quantity)
        if remaining <= 0:
            continue
        at: dict[str | None, int] = {}
        for fo in order.fulfillment_orders:
            if fo.status not in _OPEN_FO:
                continue
            for fl in fo.lines:
                if fl.line_item_id == line.id and fl.remaining_quantity > 0:
                    at[fo.location_id] = at.get(fo.location_id, 0) + fl.remaining_quantity
        inv = by_variant.get(line.variant_id or "")
        short = incoming = 0
        if inv is not None and inv.tracked and inv.levels:
            if not at:
                at = {inv.levels[0].location_id: remaining}
            for location, units in at.items():
                level = next((lv for lv in inv.levels if lv.location_id == location), None)
                if level is None:
                    continue
                short += shortage(units, level.available)
                incoming += max(0, level.incoming)
        unit = line.discounted_unit_price.amount
        if tax > 0 and order.subtotal.amount > 0:
            # The line's share of the order's tax (shipping tax included, an approximation
            # in the customer's favour when shipping is taxed).
            unit += tax * unit / order.subtotal.amount
        out.append(
            LineStock(
                line_item_id=_tail(line.id),
                title=line.name,
                sku=line.sku,
                variant_id=_tail(line.variant_id) if line.variant_id else None,
                inventory_item_id=_tail(line.inventory_item_id) if line.inventory_item_id else None,
                remaining=remaining,
                short=min(short, remaining),
                incoming=incoming,
                location_id=next(iter(at), None),
                unit_amount=unit,
            )
        )
    return out


# -- one-click links ---------------------------------------------------------------------


class LinkRefused(NotAllowed):
    """A one-click link that cannot be used: `reason` is malformed, forged or expired."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"one-click link {reason}")


@dataclass(frozen=True)
class LinkClaims:
    shop: str
    order_id: int
    line_item_id: int
    action: str
    jti: str
    expires_at: datetime


def sign_link(
    secret: bytes,
    *,
    shop: str,
    order_id: int,
    line_item_id: int,
    action: str,
    jti: str,
    issued_at: datetime,
    ttl: timedelta = LINK_TTL,
) -> str:
    """A signed one-click token (HS256) naming one action on one line of one order."""
    if action not in ACTIONS:
        raise ValueError(f"unknown one-click action {action!r}")
    claims = {
        "aud": LINK_AUDIENCE,
        "shop": shop,
        "order": str(order_id),
        "line": str(line_item_id),
        "act": action,
        "jti": jti,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + ttl).timestamp()),
    }
    import jwt  # loaded on first use: webhook-only cold starts never need it

    return jwt.encode(claims, secret, algorithm="HS256")


def read_link(secret: bytes, token: str, now: datetime) -> LinkClaims:
    """The claims of a token this app signed; raises LinkRefused (malformed, forged, expired)."""
    if not token or len(token) > 2048 or token.count(".") != 2:
        raise LinkRefused("malformed")
    import jwt

    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=LINK_AUDIENCE,
            # Expiry is checked below against the app's clock, after the signature.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "require": ["aud", "exp", "jti", "shop", "order", "line", "act"],
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise LinkRefused("forged") from exc
    except (jwt.DecodeError, jwt.MissingRequiredClaimError) as exc:
        raise LinkRefused("malformed") from exc
    except jwt.InvalidTokenError as exc:  # wrong audience or algorithm
        raise LinkRefused("forged") from exc
    try:
        shop, order, line, action = claims["shop"], claims["order"], claims["line"], claims["act"]
        if not (isinstance(shop, str) and SHOP_DOMAIN_RE.match(shop)) or action not in ACTIONS:
            raise ValueError
        parsed = LinkClaims(
            shop=shop,
            order_id=int(order),
            line_item_id=int(line),
            action=action,
            jti=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo),
        )
    except (TypeError, ValueError) as exc:
        raise LinkRefused("malformed") from exc
    if now >= parsed.expires_at:
        raise LinkRefused("expired")
    return parsed


def link_url(
    ctx: ProactiveContext,
    shop: str,
    notice: Mapping[str, Any],
    line: Mapping[str, Any],
    action: str,
) -> str:
    """The page of one action on one notice line (the same token on every retry)."""
    token = sign_link(
        ctx.link_secret,
        shop=shop,
        order_id=int(notice["order_id"]),
        line_item_id=int(line["line_item_id"]),
        action=action,
        jti=str(line["links"][action]),
        issued_at=datetime.fromisoformat(notice["created_at"]),
    )
    return f"{ctx.app_url.rstrip('/')}/o/{token}"


# -- the check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    line_item_id: int
    title: str
    sku: str | None
    quantity: int
    expected_on: date | None
    ship_by: date | None
    amount: Decimal


@dataclass(frozen=True)
class BackorderCheck:
    """What a check found: skipped | in_stock | waiting | notified | already_notified | no_contact."""

    outcome: str
    reason: str = ""
    lines: tuple[NoticeLine, ...] = ()
    recheck_at: datetime | None = None
    verdicts: tuple[tuple[LineStock, Verdict], ...] = field(default=(), repr=False)


def check_order(
    ctx: ProactiveContext, shop: Shop, order_id: int, *, locale: str | None = None
) -> BackorderCheck:
    """Find an order's backordered lines and send its one notice; safe to call any number of
    times, concurrently. `locale` is the customer's (en, zh-CN), when the caller knows it.

    Raises UpstreamError (Shopify or mail unavailable; a due item makes the sweep retry).
    """
    policy = ctx.policy_for(shop)
    if policy.backorders is None:
        return BackorderCheck("skipped", "the policy has no backorder rules")
    notice = ctx.store.get_backorder_notice(shop.domain, order_id)
    if notice is not None:
        if notice.get("status") in _FINAL_NOTICE:
            return BackorderCheck("already_notified", lines=_notice_lines(notice))
        return _deliver(ctx, shop, notice)
    view = ctx.store.get_order(shop.domain, order_id)
    if view is None:
        return BackorderCheck("skipped", "the order is not stored")
    if view.order.cancelled_at is not None or view.order.fulfillment_status == "fulfilled":
        _settle(ctx, shop, order_id)
        return BackorderCheck("skipped", "the order is cancelled or fulfilled")
    variants = [
        f"gid://shopify/ProductVariant/{li.variant_id}"
        for li in view.order.line_items
        if li.variant_id and _remaining(view, li.id, li.quantity) > 0
    ]
    if not variants:
        _settle(ctx, shop, order_id)
        return BackorderCheck("skipped", "nothing left to ship")
    try:
        return _check_stock(ctx, shop, policy, view, variants, locale)
    except ShopifyError as exc:
        # Nothing was decided: the sweep looks again shortly, even if the caller drops this.
        ctx.store.put_due(
            shop.domain, KIND, str(order_id), ctx.clock.now() + RETRY_AFTER, {"stage": "check"}
        )
        raise UpstreamError(f"Shopify: {type(exc).__name__}", retryable=exc.retryable) from exc


def _check_stock(
    ctx: ProactiveContext,
    shop: Shop,
    policy: Policy,
    view: OrderView,
    variants: list[str],
    locale: str | None,
) -> BackorderCheck:
    assert policy.backorders is not None
    order_id = view.order.id
    admin = ctx.admin_for(shop.domain)
    inventory = admin.inventory_levels(variants)
    if not any(inv.tracked and any(lv.available < 0 for lv in inv.levels) for inv in inventory):
        _settle(ctx, shop, order_id)  # the cheap answer for almost every order
        return BackorderCheck("in_stock")
    live = admin.get_order(view.order.gid)
    if live is None or live.cancelled_at is not None:
        _settle(ctx, shop, order_id)
        return BackorderCheck("skipped", "the order is cancelled")
    now = ctx.clock.now()
    today = local_date(now, shop.zone)
    ordered_on = local_date(live.created_at, shop.zone)
    verdicts = tuple(
        (
            stock,
            judge_line(
                stock.short,
                stock.incoming,
                _restock_date(ctx, shop, stock.variant_id),
                ordered_on=ordered_on,
                today=today,
                after_days=policy.backorders.backordered_after_days,
            ),
        )
        for stock in line_stocks(live, inventory)
        if stock.short > 0
    )
    backordered = [(s, v) for s, v in verdicts if v.backordered]
    if backordered:
        if not view.order.email:
            logger.warning(
                "backordered order has no email address",
                extra={"shop": shop.domain, "order_id": order_id},
            )
            _settle(ctx, shop, order_id)
            return BackorderCheck("no_contact", "the order has no email address", verdicts=verdicts)
        record = _new_notice(shop, policy, live, backordered, locale, now)
        _schedule_backstop(ctx, shop, order_id, record["notice_due"])
        ctx.store.create_backorder_notice(shop.domain, order_id, record)
        # Whoever recorded first, every worker sends that record.
        notice = ctx.store.get_backorder_notice(shop.domain, order_id) or record
        return _deliver(ctx, shop, notice)
    if not verdicts:
        _settle(ctx, shop, order_id)
        return BackorderCheck("in_stock")
    recheck_on = min(v.recheck_on for _, v in verdicts if v.recheck_on is not None)
    recheck_at = start_of_local_day(recheck_on, shop.zone)
    previous = ctx.store.get_due(shop.domain, KIND, str(order_id))
    watch = sorted(
        {s.inventory_item_id for s, _ in verdicts if s.inventory_item_id}
        | {int(i) for i in (previous.data.get("watch", []) if previous else [])}
    )
    ctx.store.put_due(
        shop.domain,
        KIND,
        str(order_id),
        recheck_at,
        {"stage": "recheck", "watch": watch},
        replace_existing=True,
    )
    for item in watch:
        ctx.store.watch_backorder(shop.domain, item, order_id)
    logger.info(
        "order short of stock, expected back in time",
        extra={"shop": shop.domain, "order_id": order_id, "recheck_at": recheck_at.isoformat()},
    )
    return BackorderCheck("waiting", recheck_at=recheck_at, verdicts=verdicts)


def _new_notice(
    shop: Shop,
    policy: Policy,
    live: ShopifyOrder,
    lines: Sequence[tuple[LineStock, Verdict]],
    locale: str | None,
    now: datetime,
) -> dict[str, Any]:
    dispatch = policy.fulfillment.dispatch_business_days
    due = backorder_notice_due(policy, now)
    return {
        "order_name": live.name,
        "currency": live.currency,
        "locale": i18n.normalize_locale(locale) if locale else i18n.shop_locale(shop.country),
        "created_at": now.isoformat(),
        "notice_due": (due or now).isoformat(),
        "status": "pending",
        "lines": [
            {
                "line_item_id": stock.line_item_id,
                "title": stock.title,
                "sku": stock.sku,
                "variant_id": stock.variant_id,
                "quantity": verdict.short,
                "expected_on": _iso(verdict.expected_on),
                "ship_by": _iso(ship_by(verdict.expected_on, dispatch, shop.country)),
                "amount": to_cents(stock.unit_amount * verdict.short),
                "location_id": stock.location_id,
                # One random id per link: the token names it, the first use claims it.
                "links": {action: secrets.token_urlsafe(16) for action in ACTIONS},
            }
            for stock, verdict in lines
        ],
    }


def _deliver(ctx: ProactiveContext, shop: Shop, notice: Mapping[str, Any]) -> BackorderCheck:
    """Send a recorded notice (once), tag the order (once), count it (once)."""
    order_id = int(notice["order_id"])
    now = ctx.clock.now()
    _schedule_backstop(ctx, shop, order_id, str(notice["notice_due"]))
    view = ctx.store.get_order(shop.domain, order_id)
    email = view.order.email if view else None
    if not email or ctx.mailer is None:
        return _undeliverable(ctx, shop, order_id, "no email address or mailer")
    if now > datetime.fromisoformat(notice["notice_due"]):
        logger.warning(
            "backorder notice is past its deadline",
            extra={"shop": shop.domain, "order_id": order_id, "deadline": notice["notice_due"]},
        )
    try:
        sent = mail.send_once(
            shop=shop.domain,
            key=f"backorder:{order_id}",
            to=email,
            template="backorder_notice",
            context=_email_context(ctx, shop, notice, view),
            locale=str(notice.get("locale") or "en"),
            mailer=ctx.mailer,
            ledger=ctx.ledger,
            clock=ctx.clock,
            reply_to=shop.sender_email,
        )
    except InvalidInput as exc:
        # A bad address will not improve on a retry.
        return _undeliverable(ctx, shop, order_id, str(exc))
    if sent == "sent":
        ctx.store.add_stats(
            shop.domain, shop.month_of(now), str(order_id), {"backorder_notices": 1}
        )
        ctx.metrics.count("BackorderNoticesSent")
    _tag_once(ctx, shop, order_id)
    ctx.store.set_backorder_notice_status(shop.domain, order_id, "sent", now.isoformat())
    _settle(ctx, shop, order_id)
    logger.info(
        "backorder notice sent", extra={"shop": shop.domain, "order_id": order_id, "email": sent}
    )
    return BackorderCheck("notified", lines=_notice_lines(notice))


def _undeliverable(ctx: ProactiveContext, shop: Shop, order_id: int, why: str) -> BackorderCheck:
    logger.warning(
        "backorder notice cannot be sent",
        extra={"shop": shop.domain, "order_id": order_id, "error": why},
    )
    ctx.store.set_backorder_notice_status(
        shop.domain, order_id, "undeliverable", ctx.clock.now().isoformat()
    )
    _settle(ctx, shop, order_id)
    return BackorderCheck("no_contact", why)


def _email_context(
    ctx: ProactiveContext, shop: Shop, notice: Mapping[str, Any], view: OrderView | None
) -> dict[str, Any]:
    backorders = ctx.policy_for(shop).backorders
    options = backorders.customer_options if backorders else tuple(BackorderOption)
    actions = [OPTION_ACTIONS[BackorderOption(o)] for o in options]
    items = []
    for line in notice["lines"]:
        links = {a: link_url(ctx, shop.domain, notice, line, a) for a in actions}
        items.append(
            {
                "title": line["title"],
                "sku": line.get("sku"),
                "quantity": int(line["quantity"]),
                "ship_by": _day(line.get("ship_by")),
                "amount": Decimal(str(line["amount"])),
                "currency": notice["currency"],
                "refund_url": links.get(REFUND),
                "keep_url": links.get(KEEP),
            }
        )
    context: dict[str, Any] = {
        "shop_name": shop.name or shop.domain,
        "order_name": notice["order_name"],
        "items": items,
    }
    shipped = [
        f for f in (view.fulfillments if view else ()) if f.tracking_url or f.tracking_number
    ]
    if shipped:
        latest = max(shipped, key=lambda f: f.created_at)
        url = latest.tracking_url or ""
        context.update(
            tracking_url=url if url.startswith(("https://", "http://")) else None,
            tracking_number=latest.tracking_number,
            carrier=latest.tracking_company,
        )
    return context


def _tag_once(ctx: ProactiveContext, shop: Shop, order_id: int) -> None:
    key = f"backorder:{order_id}:tag"
    claim = ctx.ledger.claim(shop.domain, key, at=ctx.clock.now())
    if claim is not None and claim.status == "done":
        return
    # tagsAdd adds a tag the order already has as nothing, so repeating an attempt whose
    # outcome is unknown (or racing another worker) never tags twice.
    try:
        ctx.admin_for(shop.domain).add_tags(f"gid://shopify/Order/{order_id}", [NOTICE_TAG])
    except ShopifyOutcomeUnknownError as exc:
        raise UpstreamError("tagging the order: Shopify did not confirm", retryable=True) from exc
    except ShopifyError as exc:
        raise UpstreamError(f"Shopify: {type(exc).__name__}", retryable=exc.retryable) from exc
    ctx.ledger.complete(shop.domain, key, {"tag": NOTICE_TAG})


def _schedule_backstop(ctx: ProactiveContext, shop: Shop, order_id: int, deadline: str) -> None:
    """Before sending: a due item the sweep retries from, should this attempt fail."""
    previous = ctx.store.get_due(shop.domain, KIND, str(order_id))
    if previous is not None and previous.data.get("stage") == "notice":
        return
    watch = previous.data.get("watch", []) if previous else []
    ctx.store.put_due(
        shop.domain,
        KIND,
        str(order_id),
        ctx.clock.now(),
        {"stage": "notice", "deadline": deadline, "watch": watch},
        replace_existing=True,
    )


def _settle(ctx: ProactiveContext, shop: Shop, order_id: int) -> None:
    """Nothing more to do for the order: drop its due item and restock watches."""
    due = ctx.store.get_due(shop.domain, KIND, str(order_id))
    if due is None:
        return
    for item in due.data.get("watch", []):
        ctx.store.unwatch_backorder(shop.domain, int(item), order_id)
    ctx.store.delete_due(shop.domain, KIND, str(order_id))


def sweep(ctx: ProactiveContext, now: datetime | None = None) -> SweepResult:
    """Retry notices that failed to send and recheck orders whose restock date has passed."""

    def handle(work: Any, shop: Shop) -> bool:
        return check_order(ctx, shop, int(work.ref)).outcome != "waiting"

    return run_due(ctx.store, KIND, now or ctx.clock.now(), handle, metrics=ctx.metrics)


def recheck_inventory_item(
    ctx: ProactiveContext, shop: Shop, inventory_item_id: int
) -> list[BackorderCheck]:
    """inventory_levels/update: look again at the orders waiting for this item."""
    return [
        check_order(ctx, shop, order_id)
        for order_id in ctx.store.orders_awaiting_restock(shop.domain, inventory_item_id)
    ]


# -- the customer's choice ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkOffer:
    """What a valid link offers: one action on one backordered line."""

    claims: LinkClaims
    shop: Shop
    order_name: str
    currency: str
    locale: str
    line: NoticeLine
    choice: Mapping[str, Any] | None  # what the customer already chose for this line


@dataclass(frozen=True)
class LinkResult:
    """refunded | kept | already_used | already_chosen | not_refundable."""

    outcome: str
    offer: LinkOffer
    choice: Mapping[str, Any]


def open_link(ctx: ProactiveContext, token: str) -> LinkOffer:
    """What a link would do, without doing it. Raises LinkRefused, NotFound."""
    claims = read_link(ctx.link_secret, token, ctx.clock.now())
    shop = ctx.store.get_shop(claims.shop)
    if shop is None or not shop.is_installed:
        raise NotFound("this shop no longer uses Hemline")
    notice = ctx.store.get_backorder_notice(shop.domain, claims.order_id)
    raw = next(
        (
            ln
            for ln in (notice or {}).get("lines", [])
            if int(ln["line_item_id"]) == claims.line_item_id
        ),
        None,
    )
    # Signed with our key yet never sent (or for another line): not a link we gave out.
    if notice is None or raw is None or raw.get("links", {}).get(claims.action) != claims.jti:
        raise LinkRefused("forged")
    return LinkOffer(
        claims=claims,
        shop=shop,
        order_name=str(notice["order_name"]),
        currency=str(notice["currency"]),
        locale=str(notice.get("locale") or "en"),
        line=_notice_line(raw),
        choice=notice.get("choices", {}).get(f"L{claims.line_item_id}"),
    )


def use_link(ctx: ProactiveContext, token: str) -> LinkResult:
    """Do what a link says, once: refund the line or keep it on order.

    Raises LinkRefused, NotFound, UpstreamError (Shopify unavailable: the same link works
    again later, and never refunds twice).
    """
    offer = open_link(ctx, token)
    c = offer.claims
    mine = {
        "action": c.action,
        "jti": c.jti,
        "at": ctx.clock.now().isoformat(),
        "status": "done" if c.action == KEEP else "started",
    }
    existing = ctx.store.claim_backorder_choice(offer.shop.domain, c.order_id, c.line_item_id, mine)
    fresh = existing is None
    if existing is not None:
        if existing.get("jti") != c.jti:
            return LinkResult("already_chosen", offer, existing)
        if existing.get("status") == "done":
            return LinkResult("already_used", offer, existing)
        mine = dict(existing)  # this link's refund started earlier and did not finish
    if c.action == KEEP:
        logger.info(
            "customer keeps a backordered item",
            extra={
                "shop": offer.shop.domain,
                "order_id": c.order_id,
                "line_item_id": c.line_item_id,
            },
        )
        return LinkResult("kept", offer, mine)
    return _refund(ctx, offer, mine, fresh=fresh)


def _refund(
    ctx: ProactiveContext, offer: LinkOffer, choice: Mapping[str, Any], *, fresh: bool
) -> LinkResult:
    c = offer.claims
    domain = offer.shop.domain
    order_gid = f"gid://shopify/Order/{c.order_id}"
    line_gid = f"gid://shopify/LineItem/{c.line_item_id}"
    notice = ctx.store.get_backorder_notice(domain, c.order_id) or {}
    raw = next(ln for ln in notice.get("lines", []) if int(ln["line_item_id"]) == c.line_item_id)
    try:
        admin = ctx.admin_for(domain)
        if fresh:
            # Only before the first attempt: afterwards the line may show our own refund.
            live = admin.get_order(order_gid)
            line = next((ln for ln in (live.lines if live else ()) if ln.id == line_gid), None)
            left = min(line.unfulfilled_quantity, line.refundable_quantity) if line else 0
            if live is None or live.cancelled_at is not None or left < offer.line.quantity:
                ctx.store.release_backorder_choice(domain, c.order_id, c.line_item_id, c.jti)
                return LinkResult("not_refundable", offer, {})
        outcome = refunds.refund_items(
            admin,
            ctx.ledger,
            ctx.clock,
            domain,
            key=f"backorder:{c.order_id}:{c.line_item_id}",
            order_id=order_gid,
            items=[
                refunds.ItemRefund(
                    line_gid, offer.line.quantity, "CANCEL", raw.get("location_id") or None
                )
            ],
            amount=offer.line.amount,
            currency=offer.currency,
            note="Backordered item refunded at the customer's request",
            notify=True,
        )
    except ShopifyError as exc:
        if fresh and not exc.retryable:
            ctx.store.release_backorder_choice(domain, c.order_id, c.line_item_id, c.jti)
        raise UpstreamError(f"Shopify: {type(exc).__name__}", retryable=exc.retryable) from exc
    except UpstreamError as exc:
        if not exc.retryable:
            ctx.store.release_backorder_choice(domain, c.order_id, c.line_item_id, c.jti)
        raise
    result = {
        "refund_id": outcome.refund_id,
        "amount": outcome.amount,
        "currency": outcome.currency,
    }
    ctx.store.finish_backorder_choice(domain, c.order_id, c.line_item_id, c.jti, result)
    ctx.metrics.count("RefundsIssued", source="backorder")
    ctx.metrics.amount("RefundAmount", outcome.amount, currency=outcome.currency)
    logger.info(
        "backordered item refunded",
        extra={"shop": domain, "order_id": c.order_id, "refund_id": outcome.refund_id},
    )
    return LinkResult("refunded", offer, {**choice, "status": "done", "result": result})


# -- merchant settings -------------------------------------------------------------------------


def set_restock_date(
    ctx: ProactiveContext,
    shop: Shop,
    *,
    variant_id: str,
    expected_on: str,
    actor: str,
) -> dict[str, Any]:
    """Set a variant's expected restock date (today or later, in the shop's time zone), or
    clear it with an empty date. Raises InvalidInput naming the field, UpstreamError."""
    raw_id = (variant_id or "").strip().rsplit("/", 1)[-1]
    # isdecimal() alone admits other scripts' digits; the length keeps int() cheap.
    if not (raw_id.isascii() and raw_id.isdecimal() and len(raw_id) <= 19) or not (
        0 < int(raw_id) < 2**63
    ):
        raise InvalidInput("must be a product variant id (a number)", "variant_id")
    vid = int(raw_id)
    day: date | None = None
    if (expected_on or "").strip():
        try:
            day = date.fromisoformat(expected_on.strip())
        except ValueError as exc:
            raise InvalidInput("must be a date like 2025-06-12", "expected_on") from exc
        today = local_date(ctx.clock.now(), shop.zone)
        if day < today:
            raise InvalidInput("must be today or later", "expected_on")
        if day > today + RESTOCK_HORIZON:
            raise InvalidInput("must be within a year from today", "expected_on")
    try:
        found = ctx.admin_for(shop.domain).inventory_levels([f"gid://shopify/ProductVariant/{vid}"])
    except ShopifyError as exc:
        raise UpstreamError(f"Shopify: {type(exc).__name__}", retryable=exc.retryable) from exc
    if not found:
        raise InvalidInput("is not a product variant of this shop", "variant_id")
    if day is None:
        ctx.store.delete_restock_date(shop.domain, vid)
    else:
        ctx.store.put_restock_date(
            shop.domain,
            vid,
            expected_on=day.isoformat(),
            sku=found[0].sku,
            title=None,
            set_by=actor,
            set_at=ctx.clock.now().isoformat(),
        )
    # Orders waiting for this item decide again under the new date (a later or no date may
    # make them backordered now); one that fails is rechecked by the sweep on its due date.
    try:
        recheck_inventory_item(ctx, shop, _tail(found[0].inventory_item_id))
    except UpstreamError as exc:
        logger.warning(
            "recheck after a restock date change failed",
            extra={"shop": shop.domain, "variant_id": vid, "error": str(exc)},
        )
    return {"variant_id": vid, "expected_on": day, "sku": found[0].sku}


# -- helpers -----------------------------------------------------------------------------------


def _restock_date(ctx: ProactiveContext, shop: Shop, variant_id: int | None) -> date | None:
    if variant_id is None:
        return None
    item = ctx.store.get_restock_date(shop.domain, variant_id)
    return _day(item.get("expected_on")) if item else None


def _remaining(view: OrderView, line_item_id: int, quantity: int) -> int:
    shipped = sum(
        fl.quantity
        for f in view.fulfillments
        if f.status not in ("cancelled", "error", "failure")
        for fl in f.lines
        if fl.line_item_id == line_item_id
    )
    return quantity - shipped - view.refunded_quantity(line_item_id)


def _notice_line(raw: Mapping[str, Any]) -> NoticeLine:
    return NoticeLine(
        line_item_id=int(raw["line_item_id"]),
        title=str(raw["title"]),
        sku=raw.get("sku"),
        quantity=int(raw["quantity"]),
        expected_on=_day(raw.get("expected_on")),
        ship_by=_day(raw.get("ship_by")),
        amount=Decimal(str(raw["amount"])),
    )


def _notice_lines(notice: Mapping[str, Any]) -> tuple[NoticeLine, ...]:
    return tuple(_notice_line(ln) for ln in notice.get("lines", []))


def _tail(gid: str) -> int:
    return int(gid.rsplit("/", 1)[-1].split("?", 1)[0])


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


# -- the merchant's view -----------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    """One backordered line of a notice, as the merchant's list shows it."""

    order_id: int
    order_name: str
    status: str  # pending | sent | undeliverable
    status_at: str | None
    line: NoticeLine
    variant_id: int | None
    choice: str | None  # refund | keep (None: no choice yet)
    choice_status: str | None  # started | done
    choice_at: str | None
    refunded: Decimal | None
    currency: str


def list_notices(ctx: ProactiveContext, shop: Shop, *, limit: int = 100) -> list[NoticeRow]:
    """The shop's backorder notices, newest order first, one row per backordered line."""
    rows = []
    for notice in ctx.store.list_backorder_notices(shop.domain, limit=limit):
        choices = notice.get("choices") or {}
        for raw in notice.get("lines", []):
            choice = choices.get(f"L{int(raw['line_item_id'])}") or {}
            result = choice.get("result") or {}
            rows.append(
                NoticeRow(
                    order_id=int(notice["order_id"]),
                    order_name=str(notice["order_name"]),
                    status=str(notice.get("status") or "pending"),
                    status_at=notice.get("status_at"),
                    line=_notice_line(raw),
                    variant_id=int(raw["variant_id"]) if raw.get("variant_id") else None,
                    choice=choice.get("action"),
                    choice_status=choice.get("status"),
                    choice_at=choice.get("at"),
                    refunded=Decimal(str(result["amount"]))
                    if result.get("amount") is not None
                    else None,
                    currency=str(notice.get("currency") or shop.currency),
                )
            )
    return rows


def list_restock_dates(ctx: ProactiveContext, shop: Shop) -> list[dict[str, Any]]:
    """The expected restock dates the merchant set, soonest first."""
    items = ctx.store.list_restock_dates(shop.domain)
    return sorted(
        (
            {
                "variant_id": int(i["variant_id"]),
                "sku": i.get("sku"),
                "expected_on": _day(i.get("expected_on")),
                "set_by": i.get("set_by"),
                "set_at": i.get("set_at"),
            }
            for i in items
        ),
        key=lambda r: (r["expected_on"] or date.max, r["variant_id"]),
    )
