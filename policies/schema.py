"""The policy document: pydantic models for a merchant's returns policy.

A preset and a merchant's own policy are the same YAML, validated once at load
time (errors name the field, e.g. `fees.restocking.percent`). Money is Decimal,
days and hours are ints; other features read these fields by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from policies.money import coerce_money
from policies.predicates import ItemPredicate, RequestPredicate
from policies.vocabulary import (
    MONEY_BACK,
    Anchor,
    ApproverRole,
    BackorderOption,
    DayUnit,
    DefectCode,
    ItemCondition,
    Payer,
    Resolution,
    SlaStart,
)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number of {what}, got {value!r}")
    if value < 0:
        raise ValueError(f"must be 0 or more {what}, got {value}")
    return value


def _days(value: Any) -> int:
    return _whole(value, "days")


def _hours(value: Any) -> int:
    return _whole(value, "hours")


def _count(value: Any) -> int:
    return _whole(value, "items")


def _percent(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise ValueError("must be between 0 and 100")
    try:
        percent = Decimal(value)
    except InvalidOperation:
        raise ValueError("must be between 0 and 100") from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ValueError("must be between 0 and 100")
    return percent


def _whole_percent(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError("must be a whole number between 0 and 100")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


Money = Annotated[Decimal, PlainValidator(coerce_money)]
Days = Annotated[int, PlainValidator(_days)]
Hours = Annotated[int, PlainValidator(_hours)]
Count = Annotated[int, PlainValidator(_count)]
Percent = Annotated[Decimal, PlainValidator(_percent)]
WholePercent = Annotated[int, PlainValidator(_whole_percent)]
Text = Annotated[str, PlainValidator(_text)]

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_ALL_RESOLUTIONS = tuple(Resolution)
_DISCRETIONARY_RESOLUTIONS = (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)


def _field_error(subpath: str, message: str) -> PydanticCustomError:
    """An error on a field of the model being validated (cross-field checks)."""
    return PydanticCustomError("policy", "{message}", {"message": message, "subpath": subpath})


class _Model(BaseModel):
    # defer_build: a model's validator is built when first used, not when policies is imported.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Window(_Model):
    """Requests are accepted until the end of the merchant's local day `days` after `anchor`."""

    days: Days
    anchor: Anchor = Anchor.DELIVERED
    unit: DayUnit = DayUnit.CALENDAR_DAYS

    @property
    def in_business_days(self) -> bool:
        return self.unit is DayUnit.BUSINESS_DAYS


class FinalSale(_Model):
    """What makes an item final sale: it then takes merchant-fault reasons only."""

    label: Text = "final sale"
    tags: tuple[Text, ...] = ()
    product_types: tuple[Text, ...] = ()
    below_compare_at: bool = False

    @property
    def tag_set(self) -> frozenset[str]:
        """Tags case-folded: tags and product types match without regard to case (detail 2)."""
        return frozenset(tag.casefold() for tag in self.tags)

    @property
    def product_type_set(self) -> frozenset[str]:
        return frozenset(kind.casefold() for kind in self.product_types)


class Refusal(_Model):
    """Refused for every reason, merchant-fault reasons included (e.g. washed items)."""

    when: ItemPredicate
    message: Text


class DiscretionaryRule(_Model):
    """One clause for changed_mind / size_fit / color_style; the first whose `when` holds applies."""

    when: ItemPredicate | None = None
    window: Window
    conditions: tuple[ItemCondition, ...] = Field(min_length=1)
    resolutions: tuple[Resolution, ...] = _DISCRETIONARY_RESOLUTIONS
    final_sale_applies: bool = True
    note: Text | None = None

    @field_validator("resolutions")
    @classmethod
    def _replacement_is_exchange(
        cls, resolutions: tuple[Resolution, ...]
    ) -> tuple[Resolution, ...]:
        # Detail 3: a discretionary replacement is an exchange, so it is listed as one.
        if not resolutions:
            raise ValueError("list at least one resolution")
        return tuple(
            dict.fromkeys(
                Resolution.EXCHANGE if r is Resolution.REPLACEMENT else r for r in resolutions
            )
        )


class Discretionary(_Model):
    rules: tuple[DiscretionaryRule, ...] = ()


class MerchantFaultRule(_Model):
    """One clause for defective / damaged_in_transit / wrong_item / not_as_described."""

    when: ItemPredicate | None = None
    window: Window
    photos: Count = 0
    resolutions: tuple[Resolution, ...] = _ALL_RESOLUTIONS
    discount_code_percent: WholePercent = 0
    note: Text | None = None

    @field_validator("resolutions")
    @classmethod
    def _some_resolution(cls, resolutions: tuple[Resolution, ...]) -> tuple[Resolution, ...]:
        if not resolutions:
            raise ValueError("list at least one resolution")
        return tuple(dict.fromkeys(resolutions))


class MerchantFault(_Model):
    rules: tuple[MerchantFaultRule, ...] = ()
    not_quality_problems: tuple[DefectCode, ...] = ()
    resolve_within_hours: Hours | None = None


class Restocking(_Model):
    """A percentage of each returned line's price, rounded half-up, then held to floor and cap."""

    percent: Percent
    cap: Money | None = None
    floor: Money | None = None
    resolutions: tuple[Resolution, ...] = (Resolution.REFUND, Resolution.STORE_CREDIT)
    when: ItemPredicate | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Restocking:
        if self.cap is not None and self.floor is not None and self.floor > self.cap:
            raise _field_error("floor", "must not be more than the cap")
        for index, resolution in enumerate(self.resolutions):
            if resolution not in MONEY_BACK:
                raise _field_error(
                    f"resolutions[{index}]", "a restocking fee applies to refund or store_credit"
                )
        return self


class Fees(_Model):
    restocking: Restocking | None = None
    return_label: Money | None = None
    expedited_exchange: Money | None = None


class ShippingRule(_Model):
    """Who pays postage for a discretionary return; `label_fee` deducts fees.return_label."""

    when: ItemPredicate | None = None
    paid_by: Payer
    label_fee: bool = False

    @model_validator(mode="after")
    def _label_fee_is_the_customers(self) -> ShippingRule:
        if self.label_fee and self.paid_by is not Payer.CUSTOMER:
            raise _field_error("label_fee", "only applies when paid_by is customer")
        return self


def _customer_pays() -> tuple[ShippingRule, ...]:
    return (ShippingRule(paid_by=Payer.CUSTOMER),)


class ReturnShipping(_Model):
    """Merchant-fault returns always ship free; discretionary ones follow `discretionary`."""

    discretionary: tuple[ShippingRule, ...] = Field(default_factory=_customer_pays)

    @model_validator(mode="after")
    def _ends_with_fallback(self) -> ReturnShipping:
        if not self.discretionary:
            raise _field_error("discretionary", "list at least one rule")
        if self.discretionary[-1].when is not None:
            raise _field_error(
                f"discretionary[{len(self.discretionary) - 1}].when",
                "the last rule applies to everything else, so it has no `when`",
            )
        return self


class Approval(_Model):
    """The first approval whose `when` holds names the role that must review."""

    when: RequestPredicate | None = None
    role: ApproverRole
    tier: Count | None = None


class Review(_Model):
    approvals: tuple[Approval, ...] = ()
    deadline_business_days: Days | None = None


class RefundSla(_Model):
    """Money goes back within these business days of `counted_from`."""

    counted_from: SlaStart
    refund_business_days: Days
    refund_target_business_days: Days | None = None
    store_credit_business_days: Days | None = None
    exchange_business_days: Days | None = None


class CreditTier(_Model):
    from_order_total: Money
    credit: Money


class DelayCompensation(_Model):
    """An order not delivered `threshold_business_days` past its promise is compensated."""

    threshold_business_days: Days
    upgrade_shipping: bool = True
    store_credit_tiers: tuple[CreditTier, ...] = ()
    recovery_spend_target_percent: Percent | None = None

    @model_validator(mode="after")
    def _tiers_ascend(self) -> DelayCompensation:
        previous: Decimal | None = None
        for index, tier in enumerate(self.store_credit_tiers):
            if previous is None and tier.from_order_total != 0:
                raise _field_error(
                    f"store_credit_tiers[{index}].from_order_total", "the first tier starts at 0"
                )
            if previous is not None and tier.from_order_total <= previous:
                raise _field_error(
                    f"store_credit_tiers[{index}].from_order_total",
                    "tiers must be in increasing order",
                )
            previous = tier.from_order_total
        return self

    def store_credit_for(self, order_total: Decimal) -> Decimal:
        """The credit for an order of `order_total`: the last tier it reaches."""
        credit = Decimal("0.00")
        for tier in self.store_credit_tiers:
            if order_total >= tier.from_order_total:
                credit = tier.credit
        return credit


class Compensation(_Model):
    delay: DelayCompensation | None = None


class ShippingMethod(_Model):
    transit_business_days: Days


class Fulfillment(_Model):
    dispatch_business_days: Days | None = None
    shipping_methods: dict[str, ShippingMethod] = Field(default_factory=dict)


class Backorders(_Model):
    """An item out of stock more than `backordered_after_days` is backordered."""

    backordered_after_days: Days
    notice_within_hours: Hours
    customer_options: tuple[BackorderOption, ...] = tuple(BackorderOption)


class Complaints(_Model):
    acknowledge_within_hours: Hours
    proposal_within_hours: Hours
    escalate_to: Text | None = None


@dataclass(frozen=True, slots=True)
class Lookups:
    final_sale_tags: frozenset[str]
    final_sale_types: frozenset[str]
    not_quality_problems: frozenset[DefectCode]


class Policy(_Model):
    """A merchant's whole returns policy."""

    name: str
    display_name: Text
    summary: Text | None = None
    currency: str | None = None
    assumed_transit_days: Days
    final_sale: FinalSale = Field(default_factory=FinalSale)
    refusals: tuple[Refusal, ...] = ()
    discretionary: Discretionary = Field(default_factory=Discretionary)
    merchant_fault: MerchantFault = Field(default_factory=MerchantFault)
    fees: Fees = Field(default_factory=Fees)
    return_shipping: ReturnShipping = Field(default_factory=ReturnShipping)
    review: Review = Field(default_factory=Review)
    refund_sla: RefundSla
    compensation: Compensation = Field(default_factory=Compensation)
    fulfillment: Fulfillment = Field(default_factory=Fulfillment)
    backorders: Backorders | None = None
    complaints: Complaints | None = None
    _lookups: Lookups = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._lookups = Lookups(
            final_sale_tags=self.final_sale.tag_set,
            final_sale_types=self.final_sale.product_type_set,
            not_quality_problems=frozenset(self.merchant_fault.not_quality_problems),
        )

    @property
    def lookups(self) -> Lookups:
        """Sets derived once at load time, so evaluation does not rebuild them."""
        return self._lookups

    @model_validator(mode="before")
    @classmethod
    def _check_name(cls, data: Any) -> Any:
        if isinstance(data, dict):
            name = data.get("name")
            if isinstance(name, str) and not _SLUG.fullmatch(name):
                raise _field_error("name", "use lowercase letters, digits and dashes")
            currency = data.get("currency")
            if currency is not None and (
                not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency)
            ):
                raise _field_error("currency", "must be a three-letter code such as USD")
        return data

    @model_validator(mode="after")
    def _label_fee_is_priced(self) -> Policy:
        for index, rule in enumerate(self.return_shipping.discretionary):
            if rule.label_fee and self.fees.return_label is None:
                raise _field_error(
                    f"return_shipping.discretionary[{index}].label_fee",
                    "needs fees.return_label to say how much the label costs",
                )
        return self

    def delay_credit(self, order_total: Decimal) -> Decimal:
        """Store credit owed for a delayed order of `order_total` (0.00 without delay rules)."""
        delay = self.compensation.delay
        return delay.store_credit_for(order_total) if delay else Decimal("0.00")
