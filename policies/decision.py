"""The decision of POLICIES.md: per-item eligibility, fees and refund, and review.

Plain immutable data; `to_json_dict()` gives exactly the contract's JSON shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from policies.vocabulary import ApproverRole, Payer, Reason, Resolution


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


@dataclass(frozen=True, slots=True)
class ItemDecision:
    """What happens to one requested item; `reasons` are written for the customer."""

    line_item_id: str
    eligible: bool
    window_ends: date | None
    restocking_fee: Decimal
    label_fee: Decimal
    exchange_fee: Decimal
    return_shipping_paid_by: Payer
    photos_required: int
    refund_amount: Decimal
    reasons: tuple[str, ...]
    discount_code_percent: int
    quantity: int
    reason: Reason
    resolution: Resolution

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "line_item_id": self.line_item_id,
            "eligible": self.eligible,
            "window_ends": None if self.window_ends is None else self.window_ends.isoformat(),
            "restocking_fee": _money(self.restocking_fee),
            "label_fee": _money(self.label_fee),
            "exchange_fee": _money(self.exchange_fee),
            "return_shipping_paid_by": self.return_shipping_paid_by.value,
            "photos_required": self.photos_required,
            "refund_amount": _money(self.refund_amount),
            "reasons": list(self.reasons),
            "discount_code_percent": self.discount_code_percent,
            "quantity": self.quantity,
            "reason": self.reason.value,
            "resolution": self.resolution.value,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request: the items, the money back, and who must approve."""

    items: tuple[ItemDecision, ...]
    requires_review: bool
    approver_role: ApproverRole | None
    refund_total: Decimal
    refund_due_by_business_days: int
    currency: str | None
    review_within_business_days: int | None

    @property
    def eligible_items(self) -> tuple[ItemDecision, ...]:
        return tuple(item for item in self.items if item.eligible)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "items": [item.to_json_dict() for item in self.items],
            "requires_review": self.requires_review,
            "approver_role": None if self.approver_role is None else self.approver_role.value,
            "refund_total": _money(self.refund_total),
            "refund_due_by_business_days": self.refund_due_by_business_days,
            "currency": self.currency,
            "review_within_business_days": self.review_within_business_days,
        }
