"""The returns vocabulary of POLICIES.md: reason, resolution, condition and defect codes.

Codes are what requests and policies carry; the phrases are what customers read.
"""

from __future__ import annotations

from enum import StrEnum


class ReasonClass(StrEnum):
    DISCRETIONARY = "discretionary"
    MERCHANT_FAULT = "merchant_fault"


class Reason(StrEnum):
    CHANGED_MIND = "changed_mind"
    SIZE_FIT = "size_fit"
    COLOR_STYLE = "color_style"
    DEFECTIVE = "defective"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"

    @property
    def reason_class(self) -> ReasonClass:
        return REASON_CLASS[self]

    @property
    def is_merchant_fault(self) -> bool:
        return REASON_CLASS[self] is ReasonClass.MERCHANT_FAULT

    @property
    def phrase(self) -> str:
        return REASON_PHRASE[self]

    @property
    def label(self) -> str:
        return REASON_LABEL[self]


REASON_CLASS: dict[Reason, ReasonClass] = {
    Reason.CHANGED_MIND: ReasonClass.DISCRETIONARY,
    Reason.SIZE_FIT: ReasonClass.DISCRETIONARY,
    Reason.COLOR_STYLE: ReasonClass.DISCRETIONARY,
    Reason.DEFECTIVE: ReasonClass.MERCHANT_FAULT,
    Reason.DAMAGED_IN_TRANSIT: ReasonClass.MERCHANT_FAULT,
    Reason.WRONG_ITEM: ReasonClass.MERCHANT_FAULT,
    Reason.NOT_AS_DESCRIBED: ReasonClass.MERCHANT_FAULT,
}

REASON_PHRASE: dict[Reason, str] = {
    Reason.CHANGED_MIND: "change of mind",
    Reason.SIZE_FIT: "size or fit",
    Reason.COLOR_STYLE: "color or style",
    Reason.DEFECTIVE: "a defective item",
    Reason.DAMAGED_IN_TRANSIT: "an item damaged in transit",
    Reason.WRONG_ITEM: "a wrong item",
    Reason.NOT_AS_DESCRIBED: "an item not as described",
}


# Short names for lists in policy text ("size/fit or color/style").
REASON_LABEL: dict[Reason, str] = {
    Reason.CHANGED_MIND: "change of mind",
    Reason.SIZE_FIT: "size/fit",
    Reason.COLOR_STYLE: "color/style",
    Reason.DEFECTIVE: "defect",
    Reason.DAMAGED_IN_TRANSIT: "damage in transit",
    Reason.WRONG_ITEM: "wrong item",
    Reason.NOT_AS_DESCRIBED: "not as described",
}


class Resolution(StrEnum):
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"
    REPLACEMENT = "replacement"

    @property
    def gives_money_back(self) -> bool:
        return self in MONEY_BACK

    @property
    def noun(self) -> str:
        return RESOLUTION_NOUN[self]


MONEY_BACK = frozenset({Resolution.REFUND, Resolution.STORE_CREDIT})

RESOLUTION_NOUN: dict[Resolution, str] = {
    Resolution.REFUND: "a refund",
    Resolution.STORE_CREDIT: "store credit",
    Resolution.EXCHANGE: "an exchange",
    Resolution.REPLACEMENT: "a replacement",
}


class ItemCondition(StrEnum):
    UNWORN_TAGS_ATTACHED = "unworn_tags_attached"
    UNWORN_NO_TAGS = "unworn_no_tags"
    WORN = "worn"
    WASHED = "washed"
    OPENED = "opened"
    UNOPENED = "unopened"

    @property
    def phrase(self) -> str:
        return CONDITION_PHRASE[self]


CONDITION_PHRASE: dict[ItemCondition, str] = {
    ItemCondition.UNWORN_TAGS_ATTACHED: "unworn with tags attached",
    ItemCondition.UNWORN_NO_TAGS: "unworn without tags",
    ItemCondition.WORN: "worn",
    ItemCondition.WASHED: "washed",
    ItemCondition.OPENED: "opened",
    ItemCondition.UNOPENED: "unopened",
}


class DefectCode(StrEnum):
    """What a customer may report under `defective` that a merchant may say is no defect."""

    COLOUR_DIFFERENCE = "colour_difference"
    LOOSE_THREADS = "loose_threads"
    LOOSE_BUTTON = "loose_button"
    FABRIC_PREFERENCE = "fabric_preference"
    MISSING_COLLAR_LABEL = "missing_collar_label"
    SUBJECTIVE_FIT = "subjective_fit"
    CHALK_MARKS = "chalk_marks"

    @property
    def explanation(self) -> str:
        return DEFECT_EXPLANATION[self]


# The seed's own explanations (003: 以下不属于退换范围), worded for customers.
DEFECT_EXPLANATION: dict[DefectCode, str] = {
    DefectCode.COLOUR_DIFFERENCE: (
        "A colour difference caused by screen display is not a quality problem"
    ),
    DefectCode.LOOSE_THREADS: (
        "Loose thread ends are not a quality problem: they do not affect the garment"
    ),
    DefectCode.LOOSE_BUTTON: (
        "A button lost in transit is not a quality problem: machine-sewn buttons can"
        " come loose on the way"
    ),
    DefectCode.FABRIC_PREFERENCE: (
        "Not liking the fabric is not a quality problem: please check the fabric before buying"
    ),
    DefectCode.MISSING_COLLAR_LABEL: (
        "A missing collar label is not a quality problem: some styles have none"
    ),
    DefectCode.SUBJECTIVE_FIT: ("Not liking how an item looks or fits is not a quality problem"),
    DefectCode.CHALK_MARKS: (
        "Chalk marks from production are not a quality problem: they wash out"
    ),
}


class Anchor(StrEnum):
    """The event a window counts from."""

    ORDERED = "ordered"
    SHIPPED = "shipped"
    DELIVERED = "delivered"

    @property
    def phrase(self) -> str:
        return ANCHOR_PHRASE[self]


ANCHOR_PHRASE: dict[Anchor, str] = {
    Anchor.ORDERED: "the order date",
    Anchor.SHIPPED: "shipping",
    Anchor.DELIVERED: "delivery",
}


class DayUnit(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


class Payer(StrEnum):
    """Who bears the return postage (POLICIES.md detail 4)."""

    MERCHANT = "merchant"
    CUSTOMER = "customer"


class ApproverRole(StrEnum):
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    OWNER = "owner"
    AGENT = "agent"


class SlaStart(StrEnum):
    """The event a refund or store-credit deadline counts from."""

    APPROVAL = "approval"
    WAREHOUSE_RECEIPT = "warehouse_receipt"


class BackorderOption(StrEnum):
    REFUND_ITEM = "refund_item"
    KEEP_ON_FILE = "keep_on_file"


def codes(enum: type[StrEnum]) -> str:
    """The codes of an enum as a comma-separated list, for error messages."""
    return ", ".join(member.value for member in enum)


def join_or(words: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def join_and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
