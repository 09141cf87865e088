"""A policy in plain English: the text a merchant pastes on their returns page.

Written from the validated Policy only, so the page never disagrees with the engine.
"""

from __future__ import annotations

from decimal import Decimal

from policies.money import format_money, format_percent
from policies.schema import DiscretionaryRule, MerchantFaultRule, Policy, Window
from policies.vocabulary import (
    BackorderOption,
    Payer,
    Reason,
    ReasonClass,
    Resolution,
    SlaStart,
    join_and,
    join_or,
)

_SLA_START = {
    SlaStart.APPROVAL: "approval",
    SlaStart.WAREHOUSE_RECEIPT: "our warehouse receiving the return",
}
_BACKORDER_OPTION = {
    BackorderOption.REFUND_ITEM: "a refund of the item",
    BackorderOption.KEEP_ON_FILE: "keeping the order on file",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _within(window: Window) -> str:
    unit = "business day" if window.in_business_days else "day"
    return f"within {_plural(window.days, unit)} of {window.anchor.phrase}"


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _reasons_of(reason_class: ReasonClass) -> str:
    return join_or([r.label for r in Reason if r.reason_class is reason_class])


def _resolutions(resolutions: tuple[Resolution, ...]) -> str:
    return join_or([r.noun for r in resolutions])


def _discretionary_line(rule: DiscretionaryRule, currency: str | None, otherwise: bool) -> str:
    if rule.when is not None:
        lead = f"When {rule.when.describe(currency)}: "
    elif otherwise:
        lead = "Otherwise: "
    else:
        lead = ""
    offered = _resolutions(rule.resolutions)
    conditions = join_or([c.phrase for c in rule.conditions])
    text = f"{lead}{offered} {_within(rule.window)}; the item must be {conditions}"
    if rule.note:
        text += f". {rule.note}"
    return _sentence(text)


def _merchant_fault_line(
    rule: MerchantFaultRule, currency: str | None, otherwise: bool, resolve_hours: int | None
) -> str:
    if rule.when is not None:
        lead = f"When {rule.when.describe(currency)}: "
    elif otherwise:
        lead = "Other claims: "
    else:
        lead = ""
    text = f"{lead}report it {_within(rule.window)}"
    if rule.photos:
        text += f" with at least {_plural(rule.photos, 'photo')}"
    text += f", for {_resolutions(rule.resolutions)}"
    if resolve_hours is not None:
        text += f" issued within {resolve_hours} hours of the return authorization"
    if rule.discount_code_percent:
        text += f", plus a {rule.discount_code_percent}% discount code for your next purchase"
    if rule.note:
        text += f". {rule.note}"
    return _sentence(text)


def _final_sale_lines(policy: Policy) -> list[str]:
    final_sale = policy.final_sale
    parts: list[str] = []
    if final_sale.tags:
        parts.append("items tagged " + join_or(list(final_sale.tags)))
    if final_sale.product_types:
        parts.append(join_and(list(final_sale.product_types)))
    if final_sale.below_compare_at:
        parts.append("items sold below their compare-at price")
    if not parts:
        return []
    label = final_sale.label[:1].upper() + final_sale.label[1:]
    return [
        _sentence(
            f"{label}: {'; '.join(parts)}. These can be returned only if they are damaged,"
            " defective, wrong or not as described"
        )
    ]


def _shipping_lines(policy: Policy, currency: str | None) -> list[str]:
    lines = ["Damaged, defective, wrong or not-as-described items come back at our cost."]
    rules = policy.return_shipping.discretionary
    for rule in rules:
        if rule.when is not None:
            lead = f"when {rule.when.describe(currency)}"
        else:
            lead = "otherwise" if len(rules) > 1 else "for other returns"
        if rule.paid_by is Payer.MERCHANT:
            lines.append(_sentence(f"Return shipping is free {lead}"))
        elif rule.label_fee and policy.fees.return_label is not None:
            fee = format_money(policy.fees.return_label, currency)
            lines.append(
                _sentence(
                    f"{lead[:1].upper() + lead[1:]}, a {fee} return label fee is deducted from"
                    " the refund, once per request"
                )
            )
        else:
            lines.append(_sentence(f"{lead[:1].upper() + lead[1:]}, you pay for return shipping"))
    return lines


def _fee_lines(policy: Policy, currency: str | None) -> list[str]:
    fees = policy.fees
    lines: list[str] = []
    restocking = fees.restocking
    if restocking is not None:
        text = (
            f"Restocking fee when you ask for {_resolutions(restocking.resolutions)} for"
            f" {_reasons_of(ReasonClass.DISCRETIONARY)}:"
            f" {format_percent(restocking.percent)} of each returned line's price"
        )
        if restocking.cap is not None:
            text += f", at most {format_money(restocking.cap, currency)}"
        if restocking.floor is not None:
            text += f", at least {format_money(restocking.floor, currency)}"
        if restocking.when is not None:
            text += f", when {restocking.when.describe(currency)}"
        lines.append(_sentence(text))
    if fees.expedited_exchange is not None:
        lines.append(
            _sentence(
                f"Expedited exchange: {format_money(fees.expedited_exchange, currency)},"
                " once per request"
            )
        )
    return lines


def _refund_lines(policy: Policy) -> list[str]:
    sla = policy.refund_sla
    start = _SLA_START[sla.counted_from]
    text = f"Refunds within {_plural(sla.refund_business_days, 'business day')} of {start}"
    if sla.refund_target_business_days is not None:
        text += f" (usually {_plural(sla.refund_target_business_days, 'business day')})"
    lines = [_sentence(text)]
    if sla.store_credit_business_days is not None:
        lines.append(
            _sentence(
                f"Store credit within {_plural(sla.store_credit_business_days, 'business day')}"
                f" of {start}"
            )
        )
    if sla.exchange_business_days is not None:
        lines.append(
            _sentence(
                f"Exchanges completed within {_plural(sla.exchange_business_days, 'business day')}"
                f" of {start}"
            )
        )
    return lines


def _review_lines(policy: Policy, currency: str | None) -> list[str]:
    review = policy.review
    lines: list[str] = []
    for approval in review.approvals:
        who = (
            f"a {approval.role.value}"
            if approval.role.value[0] not in "aeiou"
            else (f"an {approval.role.value}")
        )
        tier = f" (escalation tier {approval.tier})" if approval.tier is not None else ""
        if approval.when is None:
            lines.append(_sentence(f"Every request is reviewed by {who}{tier}"))
        else:
            lines.append(
                _sentence(f"When {approval.when.describe(currency)}, {who}{tier} approves")
            )
    if review.deadline_business_days is not None:
        lines.append(
            _sentence(
                f"Reviews happen within {_plural(review.deadline_business_days, 'business day')}"
            )
        )
    if review.approvals and review.approvals[-1].when is not None:
        lines.append("Other requests are approved automatically.")
    if not review.approvals:
        lines.append("Requests are approved automatically.")
    return lines


def _service_lines(policy: Policy, currency: str | None) -> list[str]:
    lines: list[str] = []
    fulfillment = policy.fulfillment
    if fulfillment.dispatch_business_days is not None:
        lines.append(
            _sentence(
                f"Orders leave our warehouse within"
                f" {_plural(fulfillment.dispatch_business_days, 'business day')}"
            )
        )
    if fulfillment.shipping_methods:
        methods = [
            f"{name} up to {_plural(method.transit_business_days, 'business day')}"
            for name, method in fulfillment.shipping_methods.items()
        ]
        lines.append(_sentence("Delivery takes " + join_and(methods)))
    delay = policy.compensation.delay
    if delay is not None:
        text = (
            f"If an order is not delivered within"
            f" {_plural(delay.threshold_business_days, 'business day')} of its promised date"
        )
        perks = []
        if delay.upgrade_shipping:
            perks.append("we upgrade its shipping at no cost")
        if delay.store_credit_tiers:
            tiers = _credit_tiers(delay.store_credit_tiers, currency)
            perks.append(f"you get store credit of {tiers}")
        lines.append(_sentence(text + ", " + join_and(perks) if perks else text))
    backorders = policy.backorders
    if backorders is not None:
        options = join_or([_BACKORDER_OPTION[o] for o in backorders.customer_options])
        lines.append(
            _sentence(
                f"An item out of stock for more than"
                f" {_plural(backorders.backordered_after_days, 'day')} is backordered: we write"
                f" within {backorders.notice_within_hours} hours with the expected ship date and"
                f" let you choose {options}"
            )
        )
    complaints = policy.complaints
    if complaints is not None:
        text = (
            f"Complaints are acknowledged within {complaints.acknowledge_within_hours} hours and"
            f" answered with a proposal within {complaints.proposal_within_hours} hours"
        )
        if complaints.escalate_to:
            text += f"; otherwise they go to the {complaints.escalate_to}"
        lines.append(_sentence(text))
    return lines


def _credit_tiers(tiers: tuple, currency: str | None) -> str:  # type: ignore[type-arg]
    parts: list[str] = []
    for index, tier in enumerate(tiers):
        credit = format_money(tier.credit, currency)
        upper: Decimal | None = (
            tiers[index + 1].from_order_total if index + 1 < len(tiers) else None
        )
        low = format_money(tier.from_order_total, currency)
        if tier.from_order_total == 0 and upper is not None:
            parts.append(f"{credit} on orders under {format_money(upper, currency)}")
        elif upper is not None:
            parts.append(f"{credit} from {low} to under {format_money(upper, currency)}")
        else:
            parts.append(f"{credit} from {low}")
    return join_and(parts)


def explain(policy: Policy) -> str:
    """The whole policy as short paragraphs of plain English."""
    currency = policy.currency
    sections: list[tuple[str, list[str]]] = []

    rules = policy.discretionary.rules
    returns = [
        _discretionary_line(rule, currency, otherwise=index > 0) for index, rule in enumerate(rules)
    ]
    if not returns:
        returns = [
            _sentence(f"No returns or exchanges for {_reasons_of(ReasonClass.DISCRETIONARY)}")
        ]
    returns.extend(_final_sale_lines(policy))
    returns.extend(_sentence(refusal.message) for refusal in policy.refusals)
    sections.append(("Returns and exchanges", returns))

    fault_rules = policy.merchant_fault.rules
    faults = [
        _merchant_fault_line(rule, currency, index > 0, policy.merchant_fault.resolve_within_hours)
        for index, rule in enumerate(fault_rules)
    ]
    if policy.merchant_fault.not_quality_problems:
        faults.append("These are not quality problems:")
        faults.extend(
            f"  {code.explanation}." for code in policy.merchant_fault.not_quality_problems
        )
    sections.append(("Damaged, defective, wrong or not-as-described items", faults))

    sections.append(("Return shipping", _shipping_lines(policy, currency)))
    fees = _fee_lines(policy, currency)
    if fees:
        sections.append(("Fees", fees))
    sections.append(("Refunds", _refund_lines(policy)))
    sections.append(("Review", _review_lines(policy, currency)))
    service = _service_lines(policy, currency)
    if service:
        sections.append(("Shipping and service", service))

    out = [f"{policy.display_name}: returns policy", ""]
    if policy.summary:
        out.extend([_sentence(policy.summary), ""])
    for title, lines in sections:
        out.append(title)
        out.extend(line if line.startswith("  ") else f"- {line}" for line in lines)
        out.append("")
    out.append(
        "Windows end at the end of our local day. When no delivery date is known, delivery"
        f" counts as {policy.assumed_transit_days} business days after shipping. Business days"
        " exclude weekends and national public holidays."
    )
    return "\n".join(out) + "\n"
