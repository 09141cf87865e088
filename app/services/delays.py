"""Delayed shipments: a late order is upgraded, credited and apologised to, once per order.

`schedule` puts a due item (kind "delay") at the end of the last local day the order may
arrive before the policy owes compensation: order date + dispatch SLA + the shipping
method's transit + the delay threshold, in business days of the shop's country.
`on_delivered` drops it when the parcel arrives in time. The sweep's handler,
`upgrade_if_late`, reads the order back from Shopify and, unless it arrived in time or
was cancelled: (a) upgrades the shipping at no charge (an order edit of the shipping
line when nothing has shipped, else a note and a tag for the warehouse to upgrade the
carrier service), (b) issues store credit by the policy's tier in the order's currency
(a gift card for a guest), (c) emails an apology with the new delivery date and the
credit, (d) records what was done and counts the recovery spend in the month's stats.
Each step claims its key in the effect ledger, so retries and concurrent sweeps do
each thing once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import policies
from app import i18n
from app.adapters.dynamo.store import DueWork
from app.domain.orders import OrderView
from app.domain.shops import Shop
from app.errors import InvalidInput, UpstreamError
from app.observability import logger
from app.services import mail, refunds
from app.services.proactive import ProactiveContext, SweepResult, run_due
from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyError, ShopifyOutcomeUnknownError, ShopifyUserError
from app.shopify.models import Money
from app.shopify.models import Order as ShopifyOrder
from policies.calendar import add_business_days, end_of_local_day, local_date
from policies.service_levels import delay_deadline, promised_delivery_date

KIND = "delay"
# Tells the warehouse, in the Shopify admin's order list, which orders to ship faster.
UPGRADE_TAG = "hemline-delay-upgrade"
NOTE_MARKER = "Hemline delay upgrade"
# A step claimed this long ago and still unfinished lost its worker (or its answer).
LEASE = timedelta(minutes=10)
NO_CHARGE = Decimal("0.00")

# Shipping line titles are free text ("Standard Shipping", "FedEx Express"): the words
# that name each of the presets' method keys. A policy's own key always names itself.
METHOD_WORDS: dict[str, frozenset[str]] = {
    "standard": frozenset({"standard", "economy", "ground"}),
    "expedited": frozenset({"express", "expedited", "priority", "overnight"}),
}
# How a policy method reads on the order's new shipping line and in the warehouse note.
METHOD_TITLES = {"standard": "Standard", "expedited": "Expedited"}

_CANCELLED_FULFILLMENT = frozenset({"CANCELLED", "ERROR", "FAILURE"})
_CANCELLED_REST = frozenset({"cancelled", "error", "failure"})  # webhook statuses


class _Busy(Exception):
    """Another worker is doing this step right now; the due item waits for the next sweep."""


# -- the pure part ----------------------------------------------------------------------------


def method_key(title: str | None, methods: Iterable[str]) -> str | None:
    """The policy's shipping method a Shopify shipping line title names; None when unsure.

    The exact key first ("standard"), then a word of the title: the key itself, then its
    synonyms (ground -> standard, express -> expedited). A title naming two methods is
    ambiguous and names none.
    """
    if not title or not title.strip():
        return None
    known = list(methods)
    wanted = title.strip().lower()
    for key in known:
        if key.lower() == wanted:
            return key
    words = set(re.findall(r"[a-z]+", wanted))
    by_key = [key for key in known if key.lower() in words]
    by_synonym = [key for key in known if words & METHOD_WORDS.get(key.lower(), frozenset())]
    for found in (by_key, by_synonym):
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def method_title(key: str) -> str:
    """The readable name of a policy method ("expedited" -> "Expedited")."""
    return METHOD_TITLES.get(key) or key.replace("_", " ").replace("-", " ").title()


def method_label(key: str, locale: str) -> str:
    """The method's name for the customer, translated where i18n knows it."""
    if f"delay_apology.method.{key}" in i18n.STRINGS[i18n.DEFAULT_LOCALE]:
        return i18n.t(locale, f"delay_apology.method.{key}")
    return method_title(key)


def due_at(
    policy: policies.Policy, shop: Shop, ordered_at: datetime, method: str
) -> datetime | None:
    """The end of the last local day the order may arrive before compensation is owed."""
    deadline = delay_deadline(policy, ordered_at, method, shop.country, shop.zone)
    return None if deadline is None else end_of_local_day(deadline, shop.zone)


def faster_method(policy: policies.Policy, current: str) -> str | None:
    """The policy's fastest method when it is faster than `current`; None otherwise."""
    methods = policy.fulfillment.shipping_methods
    if current not in methods:
        return None
    fastest = min(methods, key=lambda k: (methods[k].transit_business_days, k))
    days = methods[fastest].transit_business_days
    return fastest if days < methods[current].transit_business_days else None


@dataclass(frozen=True)
class Plan:
    """What a late order is owed, before anything is done about it."""

    upgrade_to: str | None  # a policy method key
    upgrade_mode: str | None  # "order_edit" (nothing shipped) | "warehouse_note"
    skipped: str | None  # why there is no upgrade
    credit: Decimal  # in the order's currency
    eta_method: str | None  # the method the new delivery date is counted with


def plan(
    policy: policies.Policy, method: str, order_total: Decimal, *, fulfilled: bool, delivered: bool
) -> Plan:
    """The upgrade and the credit a late order gets under `policy` (pure)."""
    delay = policy.compensation.delay
    if delay is None:
        return Plan(None, None, "the policy has no delay compensation", NO_CHARGE, None)
    upgrade_to: str | None = None
    if delivered:
        skipped: str | None = "delivered late: nothing left to speed up"
    elif not delay.upgrade_shipping:
        skipped = "the policy does not upgrade shipping"
    elif method not in policy.fulfillment.shipping_methods:
        skipped = f"the policy no longer has the method {method}"
    else:
        upgrade_to = faster_method(policy, method)
        skipped = None if upgrade_to else "already on the fastest method"
    mode = None if upgrade_to is None else ("warehouse_note" if fulfilled else "order_edit")
    eta_method = None if delivered else (upgrade_to or method)
    return Plan(upgrade_to, mode, skipped, delay.store_credit_for(order_total), eta_method)


def new_eta(policy: policies.Policy, method: str, today: date, country: str) -> date | None:
    """The new delivery date: the method's transit from today, in business days."""
    shipping = policy.fulfillment.shipping_methods.get(method)
    return (
        None
        if shipping is None
        else add_business_days(today, shipping.transit_business_days, country)
    )


# -- scheduling -----------------------------------------------------------------------------


def delay_check(
    policy: policies.Policy, shop: Shop, view: OrderView
) -> tuple[datetime, dict[str, Any]] | None:
    """When an order's delay check is due and what it carries; None without a promise (pure).

    No promise: cancelled or delivered, no delay compensation in the policy, or a shipping
    method the policy does not know.
    """
    order = view.order
    if order.cancelled_at is not None or view.delivered_at is not None:
        return None
    if policy.compensation.delay is None:
        return None
    method = method_key(order.shipping_method, policy.fulfillment.shipping_methods)
    if method is None:
        return None
    due = due_at(policy, shop, order.created_at, method)
    promised = promised_delivery_date(policy, order.created_at, method, shop.country, shop.zone)
    if due is None or promised is None:
        return None
    # Everything the sweep needs to decide and to word the apology; no personal data
    # (the contact is read from Shopify when the work is done, so a redaction holds).
    return due, {
        "order_id": order.id,
        "order_gid": order.gid,
        "order_name": order.name,
        "total": str(order.total),
        "currency": order.currency,
        "method": method,
        "shipping_title": order.shipping_method,
        "ordered_at": order.created_at.isoformat(),
        "promised": promised.isoformat(),
        "fulfilled": bool(view.fulfillments),
        "locale": order.customer_locale or i18n.shop_locale(shop.country),
    }


def schedule(ctx: ProactiveContext, shop: Shop, view: OrderView) -> datetime | None:
    """Schedule the delay check of a stored order; returns when it is due, None for no promise.

    Idempotent: the promise is the one made at checkout, so an existing check never moves,
    and an order already compensated is never scheduled again.
    """
    policy = ctx.policy_for(shop)
    check = delay_check(policy, shop, view)
    if check is None:
        order = view.order
        methods = policy.fulfillment.shipping_methods
        if policy.compensation.delay and method_key(order.shipping_method, methods) is None:
            logger.info(
                "no delivery promise: the shipping method is not one of the policy's",
                extra={
                    "shop": shop.domain,
                    "order_id": order.id,
                    "shipping": order.shipping_method,
                },
            )
        return None
    due, data = check
    if ctx.store.get_delay(shop.domain, view.order.id) is not None:
        return None
    ctx.store.put_due(shop.domain, KIND, str(view.order.id), due, data)
    return due


def on_delivered(
    ctx: ProactiveContext, shop: Shop | str, order_id: int, delivered_at: datetime | None = None
) -> bool:
    """A parcel arrived: drop the delay check if the whole order arrived in time; True if dropped.

    An order with parcels still out (or items not shipped) keeps its check: the sweep asks
    Shopify when it is due. One that arrived after the deadline still earns the credit and
    the apology, so its check stays too (the sweep then skips the upgrade).
    """
    domain = shop.domain if isinstance(shop, Shop) else shop
    work = ctx.store.get_due(domain, KIND, str(order_id))
    if work is None:
        return False
    arrived = delivered_at or ctx.clock.now()
    view = ctx.store.get_order(domain, order_id)
    if view is not None:
        shipped = [f for f in view.fulfillments if f.status not in _CANCELLED_REST]
        if view.order.fulfillment_status == "partial" or any(
            f.delivered_at is None for f in shipped
        ):
            return False
        arrived = max([arrived, *(f.delivered_at for f in shipped if f.delivered_at)])
    if arrived > work.due_at:
        return False
    ctx.store.delete_due(domain, KIND, str(order_id))
    return True


def sweep(ctx: ProactiveContext, now: datetime) -> SweepResult:
    """Compensate every order whose delay check is due by `now`."""
    return run_due(
        ctx.store,
        KIND,
        now,
        lambda work, shop: upgrade_if_late(ctx, work, shop),
        metrics=ctx.metrics,
    )


# -- the due handler -------------------------------------------------------------------------


def upgrade_if_late(ctx: ProactiveContext, work: DueWork, shop: Shop) -> bool:
    """Compensate one late order (upgrade, credit, apology, record), each step once.

    True when done or nothing is owed (delivered in time, cancelled, unknown to Shopify);
    False while another worker holds a step (the next sweep finishes). Raises
    UpstreamError when Shopify, DynamoDB or the mailer fails (the check stays).
    """
    data = {**work.data, "order_id": int(work.data["order_id"])}  # numbers load as Decimal
    order_id = data["order_id"]
    policy = ctx.policy_for(shop)
    if policy.compensation.delay is None:
        logger.info(
            "delay check dropped: no delay compensation in the policy now",
            extra={"shop": shop.domain, "order_id": order_id},
        )
        return True
    admin = ctx.admin_for(shop.domain)
    order = _shopify(lambda: admin.get_order_status(data["order_gid"]))
    if order is None or order.cancelled_at is not None:
        return True
    delivered_at = _delivered_at(order)
    if delivered_at is not None and delivered_at <= work.due_at:
        return True  # it arrived in time: nothing is owed
    now = ctx.clock.now()
    fulfilled = any(f.status not in _CANCELLED_FULFILLMENT for f in order.fulfillments)
    owed = plan(
        policy,
        data["method"],
        Decimal(data["total"]),
        fulfilled=fulfilled,
        delivered=delivered_at is not None,
    )
    try:
        upgrade = _upgrade(ctx, shop, admin, order, data, owed)
        issued = _credit(ctx, shop, admin, order, data, owed)
    except _Busy as busy:
        logger.info(
            "delay step in progress elsewhere; left for the next sweep",
            extra={"shop": shop.domain, "order_id": order_id, "step": str(busy)},
        )
        return False
    eta = (
        new_eta(policy, owed.eta_method, local_date(now, shop.zone), shop.country)
        if owed.eta_method
        else None
    )
    emailed = _apologise(
        ctx, shop, order, data, owed, upgrade, issued, eta, delivered=delivered_at is not None
    )
    _record(ctx, shop, work, data, owed, upgrade, issued, emailed, eta, now)
    return True


def _shopify(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ShopifyError as exc:
        raise UpstreamError(f"Shopify: {exc}", retryable=exc.retryable) from exc


def _delivered_at(order: ShopifyOrder) -> datetime | None:
    """When the last parcel arrived, once everything shipped has; None while any is out."""
    shipped = [f for f in order.fulfillments if f.status not in _CANCELLED_FULFILLMENT]
    if not shipped or order.fulfillment_status != "FULFILLED":
        return None
    times = [f.delivered_at for f in shipped]
    if any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)


def _once(
    ctx: ProactiveContext,
    shop: str,
    key: str,
    perform: Callable[[], dict[str, Any]],
    *,
    verify: Callable[[], dict[str, Any] | None] | None = None,
    repeatable: bool,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Do a Shopify side effect once per key and return what it recorded.

    A fresh claim by another worker raises _Busy. A claim older than LEASE lost its worker
    or its answer: one worker takes it over, asks `verify` (Shopify read back), and does
    the effect again only when it is `repeatable` (renaming a shipping line twice is
    harmless; crediting twice is not, so an unconfirmed credit is recorded, never repeated).
    """
    now = ctx.clock.now()
    claim = ctx.ledger.claim(shop, key, at=now, data=data)
    if claim is None:
        return _perform(ctx, shop, key, perform)
    if claim.status == "done":
        return claim.result or {}
    age = now - datetime.fromisoformat(claim.started_at)
    if age < LEASE:
        raise _Busy(key)
    # One worker per lease window takes over a claim whose worker died.
    takeover = f"{key}:takeover:{int(age / LEASE)}"
    if ctx.ledger.claim(shop, takeover, at=now) is not None:
        raise _Busy(key)
    try:
        found = verify() if verify is not None else None
        if found is not None:
            ctx.ledger.complete(shop, key, found)
            return found
        if repeatable:
            return _perform(ctx, shop, key, perform)
        unconfirmed = {**claim.data, "unconfirmed": True}
        ctx.ledger.complete(shop, key, unconfirmed)
        logger.warning(
            "an earlier attempt's outcome is unknown and is not repeated; check Shopify",
            extra={"shop": shop, "key": key},
        )
        return unconfirmed
    finally:
        ctx.ledger.release(shop, takeover)


def _perform(
    ctx: ProactiveContext, shop: str, key: str, perform: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    try:
        result = perform()
    except ShopifyOutcomeUnknownError as exc:
        # It may have happened: the claim stays, and is settled after the lease.
        raise UpstreamError(f"{key}: Shopify did not confirm", retryable=True) from exc
    except ShopifyError as exc:
        # Shopify refused or was not reached: nothing happened, the next sweep tries again.
        ctx.ledger.release(shop, key)
        raise UpstreamError(f"{key}: Shopify: {exc}", retryable=exc.retryable) from exc
    ctx.ledger.complete(shop, key, result)
    return result


def _upgrade(
    ctx: ProactiveContext,
    shop: Shop,
    admin: AdminClient,
    order: ShopifyOrder,
    data: dict[str, Any],
    owed: Plan,
) -> dict[str, Any]:
    if owed.upgrade_to is None:
        return {"skipped": owed.skipped}
    title = method_title(owed.upgrade_to)
    key = f"delay:{data['order_id']}:upgrade"
    if owed.upgrade_mode == "order_edit":
        return _once(
            ctx,
            shop.domain,
            key,
            lambda: _edit_shipping_line(admin, order, title),
            verify=lambda: _shipping_line_titled(admin, order.id, title),
            repeatable=True,
            data={"mode": "order_edit", "to": title},
        )
    return _once(
        ctx,
        shop.domain,
        key,
        lambda: _note_for_warehouse(admin, order, title, data["promised"]),
        repeatable=True,  # the note and the tag check for themselves before writing
        data={"mode": "warehouse_note", "to": title},
    )


def _edit_shipping_line(admin: AdminClient, order: ShopifyOrder, title: str) -> dict[str, Any]:
    """Rename the shipping line to the faster service; the price paid stays (no charge)."""
    lines = [ln for ln in order.shipping_lines if not ln.is_removed]
    if not lines:
        return {"skipped": "the order has no shipping line"}
    if lines[0].title != title:
        try:
            admin.upgrade_shipping_at_no_charge(
                order.id,
                title,
                staff_note=f"Hemline: late order, shipping upgraded to {title} at no charge",
                notify_customer=False,  # Hemline's own apology says it
            )
        except ShopifyUserError as exc:
            # An order Shopify will not edit (closed, archived) still gets its credit and
            # apology; an edit begun and not committed is discarded by Shopify.
            return {"skipped": f"Shopify refused the order edit: {exc}"}
    return {"mode": "order_edit", "from": lines[0].title, "to": title, "cost": str(NO_CHARGE)}


def _shipping_line_titled(admin: AdminClient, order_gid: str, title: str) -> dict[str, Any] | None:
    fresh = _shopify(lambda: admin.get_order_status(order_gid))
    if fresh and any(ln.title == title and not ln.is_removed for ln in fresh.shipping_lines):
        return {"mode": "order_edit", "to": title, "cost": str(NO_CHARGE), "verified": True}
    return None


def _note_for_warehouse(
    admin: AdminClient, order: ShopifyOrder, title: str, promised: str
) -> dict[str, Any]:
    """Already shipped: ask the warehouse (note + tag) to upgrade the carrier service."""
    note = order.note or ""
    try:
        if NOTE_MARKER not in note:
            line = (
                f"{NOTE_MARKER}: late against the promised {promised}; upgrade the carrier "
                f"service (and anything still to ship) to {title} at no charge to the customer."
            )
            admin.update_order_note(order.id, f"{note.rstrip()}\n{line}" if note.strip() else line)
        if UPGRADE_TAG not in order.tags:
            admin.add_tags(order.id, [UPGRADE_TAG])
    except ShopifyUserError as exc:
        return {"skipped": f"Shopify refused the note or tag: {exc}"}
    return {"mode": "warehouse_note", "to": title, "cost": str(NO_CHARGE)}


def _credit(
    ctx: ProactiveContext,
    shop: Shop,
    admin: AdminClient,
    order: ShopifyOrder,
    data: dict[str, Any],
    owed: Plan,
) -> dict[str, Any]:
    if owed.credit <= 0:
        return {"kind": None, "amount": str(NO_CHARGE)}
    amount, currency = owed.credit, data["currency"]
    return _once(
        ctx,
        shop.domain,
        f"delay:{data['order_id']}:credit",
        lambda: _credit_or_gift_card(admin, order, amount, currency),
        repeatable=False,  # Shopify has no idempotency key for credit: never twice
        # What an unconfirmed attempt is recorded as: the amount, not how it was given.
        data={"amount": str(amount), "currency": currency, "kind": "unknown"},
    )


def _credit_or_gift_card(
    admin: AdminClient, order: ShopifyOrder, amount: Decimal, currency: str
) -> dict[str, Any]:
    """The returns rule (refunds.credit_or_gift_card), recorded with the amount given.

    A gift card's code is kept with the effect so a retried apology can still give it.
    """
    given = refunds.credit_or_gift_card(
        admin,
        order.customer_id,
        Money(amount, currency),
        note=f"Hemline: apology for late order {order.name}",
    )
    return {"amount": str(amount), "currency": currency, **given}


def _apologise(
    ctx: ProactiveContext,
    shop: Shop,
    order: ShopifyOrder,
    data: dict[str, Any],
    owed: Plan,
    upgrade: dict[str, Any],
    issued: dict[str, Any],
    eta: date | None,
    *,
    delivered: bool,
) -> str:
    """Email the apology once; returns "sent", "already_sent" or why it was not sent."""
    if ctx.mailer is None or not order.email:
        return "no_address"
    locale = data.get("locale") or i18n.DEFAULT_LOCALE
    upgraded = upgrade.get("mode") in ("order_edit", "warehouse_note")
    context: dict[str, Any] = {
        "shop_name": shop.name or shop.domain,
        "order_name": data["order_name"],
        "customer_name": (order.shipping_address or {}).get("firstName") or None,
        "shipping_method": method_label(owed.upgrade_to, locale)
        if upgraded and owed.upgrade_to
        else None,
        "new_eta": eta,
        "delivered": delivered,
    }
    if issued.get("kind") and not issued.get("unconfirmed"):
        context.update(amount=Decimal(issued["amount"]), currency=issued["currency"])
        if issued["kind"] == "gift_card":
            context["gift_card_code"] = issued.get("code") or None
    try:
        return mail.send_once(
            shop=shop.domain,
            key=f"delay:{data['order_id']}",
            to=order.email,
            template="delay_apology",
            context=context,
            locale=locale,
            mailer=ctx.mailer,
            ledger=ctx.ledger,
            clock=ctx.clock,
            reply_to=shop.sender_email,
        )
    except InvalidInput as exc:
        # A bad address will not get better by retrying; the rest of the work stands.
        logger.warning(
            "delay apology not sent",
            extra={"shop": shop.domain, "order_id": data["order_id"], "error": str(exc)},
        )
        return "not_sent"


def _record(
    ctx: ProactiveContext,
    shop: Shop,
    work: DueWork,
    data: dict[str, Any],
    owed: Plan,
    upgrade: dict[str, Any],
    issued: dict[str, Any],
    emailed: str,
    eta: date | None,
    now: datetime,
) -> None:
    """What was done, for the admin, with the month's counters: written once per order."""
    currency = data["currency"]
    upgraded = upgrade.get("mode") in ("order_edit", "warehouse_note")
    credit = Decimal(issued.get("amount") or NO_CHARGE) if issued.get("kind") else NO_CHARGE
    spend = credit + Decimal(upgrade.get("cost") or NO_CHARGE)
    timeline: list[dict[str, str]] = [
        {"at": work.due_at.isoformat(), "action": "late", "detail": f"promised {data['promised']}"}
    ]
    if upgraded:
        how = "order edit" if upgrade["mode"] == "order_edit" else "warehouse note and tag"
        timeline.append(
            {
                "at": now.isoformat(),
                "action": "shipping_upgraded",
                "detail": f"{data.get('shipping_title') or data['method']} -> {upgrade['to']}"
                f" ({how}, no charge)",
            }
        )
    elif upgrade.get("skipped"):
        timeline.append(
            {"at": now.isoformat(), "action": "not_upgraded", "detail": upgrade["skipped"]}
        )
    if issued.get("kind"):
        what = {"store_credit": "store credit", "gift_card": "gift card"}.get(
            issued["kind"], "store credit or gift card"
        )
        state = " (unconfirmed: check Shopify)" if issued.get("unconfirmed") else ""
        timeline.append(
            {
                "at": now.isoformat(),
                "action": "credited",
                "detail": f"{credit:.2f} {currency} {what}{state}",
            }
        )
    if emailed in ("sent", "already_sent"):
        timeline.append({"at": now.isoformat(), "action": "apology_emailed", "detail": ""})
    record = {
        "order_name": data["order_name"],
        "currency": currency,
        "order_total": Decimal(data["total"]),
        "method": data["method"],
        "promised": data["promised"],
        "due_at": work.due_at.isoformat(),
        "compensated_at": now.isoformat(),
        "upgrade": {k: v for k, v in upgrade.items() if v is not None},
        "credit": {
            "kind": issued.get("kind"),
            "amount": credit,
            "unconfirmed": bool(issued.get("unconfirmed")),
            # Never the gift card code itself: the admin sees which card, not how to spend it.
            "last_characters": issued.get("last_characters"),
        },
        "new_eta": eta.isoformat() if eta else None,
        "email": emailed,
        "recovery_spend": spend,
        "timeline": timeline,
    }
    stats: dict[str, int | Decimal] = {"delays": 1, f"recovery_{currency}": spend}
    if upgraded:
        stats["upgrades"] = 1
    if ctx.store.record_delay(
        shop.domain, int(data["order_id"]), record, month=shop.month_of(now), stats=stats
    ):
        if upgraded:
            ctx.metrics.count("ShippingUpgrades", mode=upgrade["mode"])
        if issued.get("kind"):
            ctx.metrics.count("StoreCreditsIssued", source="delay")
            ctx.metrics.amount("StoreCreditAmount", credit, currency=currency)
        logger.info(
            "late order compensated",
            extra={
                "shop": shop.domain,
                "order_id": data["order_id"],
                "upgraded": upgraded,
                "credit": str(credit),
                "email": emailed,
            },
        )
