"""The evaluator: (policy, request) -> Decision, as pure functions.

Items are judged in request order because two fees are charged once per
request on the first item that qualifies (POLICIES.md detail 5). No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from policies.calendar import add_business_days, add_window_days
from policies.decision import Decision, ItemDecision
from policies.money import ZERO, format_money, format_percent, percent_of
from policies.request import EvaluationRequest, LineItem, RequestedItem, parse_request
from policies.schema import (
    DiscretionaryRule,
    FinalSale,
    Lookups,
    MerchantFaultRule,
    Policy,
    Restocking,
    Window,
)
from policies.vocabulary import (
    MONEY_BACK,
    Anchor,
    ApproverRole,
    Payer,
    Reason,
    Resolution,
    join_or,
)


class ItemFacts:
    """The facts an item condition may test (see predicates.ITEM_FACTS)."""

    __slots__ = (
        "below_compare_at",
        "condition",
        "defect",
        "domestic",
        "expedited",
        "final_sale",
        "line_total",
        "order_subtotal",
        "photos",
        "product_type",
        "quantity",
        "reason",
        "reason_class",
        "resolution",
        "tags",
        "unit_price",
    )

    def __init__(
        self,
        item: RequestedItem,
        resolution: Resolution,
        final_sale: bool,
        domestic: bool,
        order_subtotal: Decimal,
        line_total: Decimal,
    ) -> None:
        line = item.line
        self.reason = item.reason
        self.reason_class = item.reason.reason_class
        self.resolution = resolution
        self.condition = item.condition
        self.defect = item.defect
        self.tags = line.tag_set
        self.product_type = line.product_type_key
        self.final_sale = final_sale
        self.below_compare_at = line.below_compare_at
        self.domestic = domestic
        self.expedited = item.expedited
        self.order_subtotal = order_subtotal
        self.unit_price = line.price
        self.line_total = line_total
        self.photos = item.photos
        self.quantity = item.quantity


class RequestFacts:
    """The facts a request condition may test (see predicates.REQUEST_FACTS)."""

    __slots__ = (
        "domestic",
        "eligible_item_count",
        "has_eligible_item",
        "has_eligible_merchant_fault",
        "item_count",
        "order_subtotal",
        "refund_total",
    )

    def __init__(
        self,
        items: tuple[ItemDecision, ...],
        refund_total: Decimal,
        subtotal: Decimal,
        domestic: bool,
    ) -> None:
        eligible = [item for item in items if item.eligible]
        self.refund_total = refund_total
        self.order_subtotal = subtotal
        self.domestic = domestic
        self.item_count = len(items)
        self.eligible_item_count = len(eligible)
        self.has_eligible_item = bool(eligible)
        self.has_eligible_merchant_fault = any(item.reason.is_merchant_fault for item in eligible)


class _Anchors:
    """The local dates a window may count from, computed once per request."""

    __slots__ = ("_cache", "_country", "_order", "_transit", "_tz", "not_shipped")

    def __init__(self, request: EvaluationRequest, assumed_transit_days: int) -> None:
        self._order = request.order
        # Detail 11: without shipping or delivery there is nothing to return yet.
        self.not_shipped = request.order.shipped_at is None and request.order.delivered_at is None
        self._tz = request.shop.timezone
        self._country = request.shop.country
        self._transit = assumed_transit_days
        self._cache: dict[Anchor, tuple[date | None, bool]] = {}

    def get(self, anchor: Anchor) -> tuple[date | None, bool]:
        """(local date or None when unknown, True when the date is an assumed delivery)."""
        cached = self._cache.get(anchor)
        if cached is None:
            cached = self._compute(anchor)
            self._cache[anchor] = cached
        return cached

    def _compute(self, anchor: Anchor) -> tuple[date | None, bool]:
        order, tz = self._order, self._tz
        if anchor is Anchor.ORDERED:
            return order.created_at.astimezone(tz).date(), False
        shipped = None if order.shipped_at is None else order.shipped_at.astimezone(tz).date()
        if anchor is Anchor.SHIPPED:
            return shipped, False
        if order.delivered_at is not None:
            return order.delivered_at.astimezone(tz).date(), False
        if shipped is None:
            return None, False
        # Detail 10: assumed transit counts business days from the day after shipping.
        return add_business_days(shipped, self._transit, self._country), True


def _final_sale_why(final_sale: FinalSale, lookups: Lookups, line: LineItem) -> str | None:
    """Why an item is final sale, in words, or None when it is not."""
    tags = lookups.final_sale_tags
    if tags and not tags.isdisjoint(line.tag_set):
        tag = next(t for t in line.tags if t.strip().casefold() in tags)
        return f"tagged '{tag.strip()}'"
    if line.product_type_key and line.product_type_key in lookups.final_sale_types:
        return f"product type '{line.product_type.strip()}'"
    if final_sale.below_compare_at and line.below_compare_at:
        return "sold below its compare-at price"
    return None


def _span(window: Window) -> str:
    unit = "business day" if window.in_business_days else "day"
    plural = "" if window.days == 1 else "s"
    return f"{window.days} {unit}{plural} after {window.anchor.phrase}"


def _kind(reason: Reason, resolution: Resolution) -> str:
    """How a customer names the request: 'Returns', 'Exchanges' or (merchant fault) 'Claims'."""
    if reason.is_merchant_fault:
        return "Claims"
    return "Exchanges" if resolution is Resolution.EXCHANGE else "Returns"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _first_rule(rules: tuple[Any, ...], facts: ItemFacts) -> Any:
    for rule in rules:
        if rule.when is None or rule.when.test(facts):
            return rule
    return None


class _Charges:
    """Fees charged once per request (detail 5), and whether they have been charged yet."""

    __slots__ = ("expedited_charged", "label_charged")

    def __init__(self) -> None:
        self.label_charged = False
        self.expedited_charged = False


class _Judgement:
    """What an item's checks found: blocking failures, and lines for an accepted item."""

    __slots__ = ("context", "failures", "notes", "window_ends")

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.context: list[str] = []
        self.window_ends: date | None = None

    def reasons(self) -> tuple[str, ...]:
        return tuple((self.failures or self.notes) + self.context)


def _check_rule_terms(
    policy: Policy,
    item: RequestedItem,
    resolution: Resolution,
    rule: DiscretionaryRule | MerchantFaultRule | None,
    final_sale_why: str | None,
    judgement: _Judgement,
) -> None:
    """Everything but the window: refusals, defects, resolution, final sale, condition, photos."""
    reason, phrase = item.reason, item.reason.phrase
    kind = _kind(reason, resolution)
    failures = judgement.failures
    if rule is None:
        failures.append(f"{kind} for {phrase} are not accepted for this item")
    elif resolution not in rule.resolutions:
        offered = join_or([r.noun for r in rule.resolutions])
        failures.append(
            f"{_capitalized(resolution.noun)} is not available for {phrase} on this item;"
            f" you can ask for {offered}"
        )
        if rule.note:
            failures.append(rule.note)
    if isinstance(rule, MerchantFaultRule):
        if item.photos < rule.photos:
            plural = "" if rule.photos == 1 else "s"
            failures.append(
                f"Claims for {phrase} need at least {rule.photos} photo{plural};"
                f" we have {item.photos}, please add {rule.photos - item.photos} more"
            )
        return
    if reason.is_merchant_fault:
        return
    # Detail 1: final sale and condition matter for discretionary reasons only.
    if final_sale_why and (rule is None or rule.final_sale_applies):
        failures.append(
            f"This item is {policy.final_sale.label} ({final_sale_why}), so it can be"
            " returned only if it is damaged, defective, wrong or not as described"
        )
    if rule is not None and item.condition not in rule.conditions:
        accepted = join_or([c.phrase for c in rule.conditions])
        declared = (
            f"you told us it is {item.condition.phrase}"
            if item.condition is not None
            else "you did not tell us its condition"
        )
        failures.append(f"{kind} for {phrase} need the item {accepted}; {declared}")


def _check_window(
    policy: Policy,
    rule: DiscretionaryRule | MerchantFaultRule,
    kind: str,
    phrase: str,
    anchors: _Anchors,
    requested_on: date,
    country: str,
    judgement: _Judgement,
) -> None:
    """Detail 13: the request's local date against the window's last day, inclusive."""
    window = rule.window
    anchor_date, assumed = anchors.get(window.anchor)
    if anchor_date is None:
        if not anchors.not_shipped:
            # A window counted from shipping on an order that only has a delivery event.
            judgement.failures.append(
                f"{kind} for {phrase} count from shipping, which is not recorded yet"
            )
        return
    ends = add_window_days(anchor_date, window.days, country, window.in_business_days)
    judgement.window_ends = ends
    if requested_on > ends:
        judgement.failures.append(
            f"{kind} for {phrase} ended {_span(window)}: {ends.isoformat()}"
            f" (requested {requested_on.isoformat()})"
        )
    else:
        judgement.notes.append(f"{kind} for {phrase} end {_span(window)}: {ends.isoformat()}")
    if assumed:
        judgement.context.append(
            f"No delivery date is known, so delivery is counted as"
            f" {policy.assumed_transit_days} business days after shipping:"
            f" {anchor_date.isoformat()}"
        )


def _restocking_fee(restocking: Restocking, line_total: Decimal) -> Decimal:
    """The percentage of the returned line, rounded half-up, held to the floor and the cap."""
    fee = percent_of(line_total, restocking.percent)
    if restocking.floor is not None and fee < restocking.floor:
        fee = restocking.floor
    if restocking.cap is not None and fee > restocking.cap:
        fee = restocking.cap
    return fee


def _restocking_note(
    restocking: Restocking, fee: Decimal, line_total: Decimal, currency: str | None
) -> str:
    limits = ""
    if restocking.cap is not None:
        limits += f", at most {format_money(restocking.cap, currency)}"
    if restocking.floor is not None:
        limits += f", at least {format_money(restocking.floor, currency)}"
    return (
        f"A restocking fee of {format_money(fee, currency)} applies"
        f" ({format_percent(restocking.percent)} of {format_money(line_total, currency)}{limits})"
    )


def _evaluate_item(
    policy: Policy,
    request: EvaluationRequest,
    item: RequestedItem,
    anchors: _Anchors,
    requested_on: date,
    domestic: bool,
    charges: _Charges,
    lookups: Lookups,
) -> ItemDecision:
    currency = request.shop.currency
    reason = item.reason
    merchant_fault = reason.is_merchant_fault
    resolution = item.resolution
    if not merchant_fault and resolution is Resolution.REPLACEMENT:
        resolution = Resolution.EXCHANGE  # detail 3: same windows and fees as an exchange
    line_total = item.line.price * item.quantity
    final_sale_why = _final_sale_why(policy.final_sale, lookups, item.line)
    facts = ItemFacts(
        item, resolution, final_sale_why is not None, domestic, request.order.subtotal, line_total
    )
    rules = policy.merchant_fault.rules if merchant_fault else policy.discretionary.rules
    rule: DiscretionaryRule | MerchantFaultRule | None = _first_rule(rules, facts)

    judgement = _Judgement()
    if anchors.not_shipped:
        judgement.failures.append(
            "Your order has not shipped yet, so it cannot be returned for now"
        )
    judgement.failures.extend(r.message for r in policy.refusals if r.when.test(facts))
    defect = item.defect
    if reason is Reason.DEFECTIVE and defect is not None and defect in lookups.not_quality_problems:
        judgement.failures.append(defect.explanation)
    _check_rule_terms(policy, item, resolution, rule, final_sale_why, judgement)
    if rule is not None:
        _check_window(
            policy,
            rule,
            _kind(reason, resolution),
            reason.phrase,
            anchors,
            requested_on,
            request.shop.country,
            judgement,
        )

    # Detail 4: who bears the return postage.
    if merchant_fault:
        paid_by, label_rule = Payer.MERCHANT, False
    else:
        shipping = _first_rule(policy.return_shipping.discretionary, facts)
        paid_by, label_rule = shipping.paid_by, shipping.label_fee

    eligible = not judgement.failures
    restocking_fee = label_fee = exchange_fee = refund_amount = ZERO
    discount = 0
    if eligible:
        notes = judgement.notes
        fees = policy.fees
        remaining = line_total
        money_back = resolution in MONEY_BACK
        if money_back and not merchant_fault:
            restocking = fees.restocking
            if (
                restocking is not None
                and resolution in restocking.resolutions
                and (restocking.when is None or restocking.when.test(facts))
            ):
                # Detail 5: a refund is never negative, so the fee stops at the price.
                restocking_fee = min(_restocking_fee(restocking, line_total), remaining)
                remaining -= restocking_fee
                notes.append(_restocking_note(restocking, restocking_fee, line_total, currency))
            if label_rule and fees.return_label is not None and not charges.label_charged:
                charges.label_charged = True
                label_fee = min(fees.return_label, remaining)
                remaining -= label_fee
                notes.append(
                    "Return shipping is not free for this order: the"
                    f" {format_money(fees.return_label, currency)} return label fee is deducted"
                    " from this refund (once per request)"
                )
            elif label_rule:
                notes.append(
                    "Return shipping is not free for this order; the return label fee is"
                    " charged once per request, on the first returned item"
                )
        if (
            not merchant_fault
            and resolution is Resolution.EXCHANGE
            and item.expedited
            and fees.expedited_exchange is not None
            and not charges.expedited_charged
        ):
            charges.expedited_charged = True
            exchange_fee = fees.expedited_exchange
            notes.append(
                f"An expedited exchange fee of {format_money(exchange_fee, currency)} applies"
                " (once per request)"
            )
        if money_back:
            refund_amount = remaining
        if paid_by is Payer.MERCHANT:
            notes.append("Return shipping is free for you")
        elif not label_rule:
            notes.append("You arrange and pay for return shipping")
        if isinstance(rule, MerchantFaultRule) and rule.discount_code_percent:
            discount = rule.discount_code_percent  # detail 14
            notes.append(
                f"You will also receive a {discount}% discount code for your next purchase"
            )

    return ItemDecision(
        line_item_id=item.line_item_id,
        eligible=eligible,
        window_ends=judgement.window_ends,
        restocking_fee=restocking_fee,
        label_fee=label_fee,
        exchange_fee=exchange_fee,
        return_shipping_paid_by=paid_by,
        photos_required=rule.photos if isinstance(rule, MerchantFaultRule) else 0,
        refund_amount=refund_amount,
        reasons=judgement.reasons(),
        discount_code_percent=discount,
        quantity=item.quantity,
        reason=reason,
        resolution=resolution,
    )


def _refund_due(policy: Policy, items: tuple[ItemDecision, ...]) -> int:
    """Detail 9: the store-credit SLA when all money back is store credit, else the refund SLA."""
    sla = policy.refund_sla
    if sla.store_credit_business_days is not None:
        money_back = [i.resolution for i in items if i.eligible and i.resolution in MONEY_BACK]
        if money_back and all(r is Resolution.STORE_CREDIT for r in money_back):
            return sla.store_credit_business_days
    return sla.refund_business_days


def _approver(policy: Policy, facts: RequestFacts) -> ApproverRole | None:
    for approval in policy.review.approvals:
        if approval.when is None or approval.when.test(facts):
            return approval.role
    return None


def evaluate(policy: Policy, request: EvaluationRequest | Mapping[str, Any]) -> Decision:
    """Judge every requested item against `policy` at `request.requested_at`.

    A mapping is parsed first (raises InvalidRequest); an EvaluationRequest never raises.
    """
    if not isinstance(request, EvaluationRequest):
        request = parse_request(request)
    shop, order = request.shop, request.order
    requested_on = request.requested_at.astimezone(shop.timezone).date()
    domestic = order.shipping_country == shop.country
    anchors = _Anchors(request, policy.assumed_transit_days)
    charges = _Charges()
    lookups = policy.lookups
    items = tuple(
        _evaluate_item(policy, request, item, anchors, requested_on, domestic, charges, lookups)
        for item in request.items
    )
    refund_total = sum((item.refund_amount for item in items), ZERO)
    approver = _approver(policy, RequestFacts(items, refund_total, order.subtotal, domestic))
    return Decision(
        items=items,
        requires_review=approver is not None,
        approver_role=approver,
        refund_total=refund_total,
        refund_due_by_business_days=_refund_due(policy, items),
        currency=shop.currency,
        review_within_business_days=(
            policy.review.deadline_business_days if approver is not None else None
        ),
    )
