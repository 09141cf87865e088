"""Rule conditions as data: all/any/not trees of {fact, op, value} leaves.

Facts and operators are closed registries; a document is checked and compiled
to a plain function once, at policy load time, so evaluation never re-reads it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from operator import attrgetter
from typing import Any, ClassVar, Self

from pydantic_core import PydanticCustomError, core_schema

from policies.money import coerce_money, format_money
from policies.vocabulary import (
    DefectCode,
    ItemCondition,
    Reason,
    ReasonClass,
    Resolution,
    join_and,
    join_or,
)


class Kind(Enum):
    ENUM = "enum"
    TEXT = "text"
    TEXT_SET = "text set"
    BOOL = "true/false"
    MONEY = "money"
    INT = "whole number"


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    apply: Callable[[Any, Any], bool]
    phrase: str
    takes_list: bool


def _contains_any(actual: frozenset[str], expected: frozenset[str]) -> bool:
    return not actual.isdisjoint(expected)


def _contains_all(actual: frozenset[str], expected: frozenset[str]) -> bool:
    return expected <= actual


def _contains_none(actual: frozenset[str], expected: frozenset[str]) -> bool:
    return actual.isdisjoint(expected)


def _is_in(actual: Any, expected: frozenset[Any]) -> bool:
    return actual in expected


def _not_in(actual: Any, expected: frozenset[Any]) -> bool:
    return actual not in expected


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    # An absent number (None) never satisfies an ordering.
    def apply(actual: Any, expected: Any) -> bool:
        return actual is not None and compare(actual, expected)

    return apply


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", operator.eq, "is", False),
        Operator("ne", operator.ne, "is not", False),
        Operator("in", _is_in, "is one of", True),
        Operator("not_in", _not_in, "is none of", True),
        Operator("gt", _ordered(operator.gt), "is over", False),
        Operator("gte", _ordered(operator.ge), "is at least", False),
        Operator("lt", _ordered(operator.lt), "is under", False),
        Operator("lte", _ordered(operator.le), "is at most", False),
        Operator("contains_any", _contains_any, "include any of", True),
        Operator("contains_all", _contains_all, "include all of", True),
        Operator("contains_none", _contains_none, "include none of", True),
    )
}

_OPS_BY_KIND: dict[Kind, tuple[str, ...]] = {
    Kind.ENUM: ("eq", "ne", "in", "not_in"),
    Kind.TEXT: ("eq", "ne", "in", "not_in"),
    Kind.TEXT_SET: ("contains_any", "contains_all", "contains_none"),
    Kind.BOOL: ("eq", "ne"),
    Kind.MONEY: ("eq", "ne", "gt", "gte", "lt", "lte"),
    Kind.INT: ("eq", "ne", "gt", "gte", "lt", "lte"),
}


@dataclass(frozen=True, slots=True)
class Fact:
    """A named value a condition may test; `get` reads it from the facts object."""

    name: str
    kind: Kind
    get: Callable[[Any], Any]
    noun: str
    enum: type[StrEnum] | None = None
    nullable: bool = False
    true_phrase: str = ""
    false_phrase: str = ""
    # For enum facts that read better as a verb: "the customer asks for an exchange".
    verb: str = ""
    negated_verb: str = ""


def _facts(*facts: Fact) -> dict[str, Fact]:
    return {fact.name: fact for fact in facts}


def _fact(name: str, kind: Kind, noun: str, **extra: Any) -> Fact:
    # `name` is one of this module's constants, never text from a policy document.
    return Fact(name, kind, attrgetter(name), noun, **extra)


ITEM_FACTS: dict[str, Fact] = _facts(
    _fact("reason", Kind.ENUM, "the reason", enum=Reason),
    _fact("reason_class", Kind.ENUM, "the kind of reason", enum=ReasonClass),
    _fact(
        "resolution",
        Kind.ENUM,
        "the resolution",
        enum=Resolution,
        verb="the customer asks for",
        negated_verb="the customer does not ask for",
    ),
    _fact(
        "condition",
        Kind.ENUM,
        "the declared condition",
        enum=ItemCondition,
        nullable=True,
        verb="the item is",
        negated_verb="the item is not",
    ),
    _fact("defect", Kind.ENUM, "the reported defect", enum=DefectCode, nullable=True),
    _fact("tags", Kind.TEXT_SET, "the item's tags"),
    _fact("product_type", Kind.TEXT, "the product type"),
    _fact(
        "final_sale",
        Kind.BOOL,
        "final sale",
        true_phrase="the item is final sale",
        false_phrase="the item is not final sale",
    ),
    _fact(
        "below_compare_at",
        Kind.BOOL,
        "sold below compare-at",
        true_phrase="the item was sold below its compare-at price",
        false_phrase="the item was sold at or above its compare-at price",
    ),
    _fact(
        "domestic",
        Kind.BOOL,
        "domestic",
        true_phrase="the order ships within the shop's country",
        false_phrase="the order ships abroad",
    ),
    _fact(
        "expedited",
        Kind.BOOL,
        "expedited",
        true_phrase="the customer asks for expedited shipping",
        false_phrase="the customer does not ask for expedited shipping",
    ),
    _fact("order_subtotal", Kind.MONEY, "the order subtotal"),
    _fact("unit_price", Kind.MONEY, "the item's price"),
    _fact("line_total", Kind.MONEY, "the returned items' total"),
    _fact("photos", Kind.INT, "the number of photos"),
    _fact("quantity", Kind.INT, "the quantity returned"),
)

REQUEST_FACTS: dict[str, Fact] = _facts(
    _fact("refund_total", Kind.MONEY, "the refund total"),
    _fact("order_subtotal", Kind.MONEY, "the order subtotal"),
    _fact("eligible_item_count", Kind.INT, "the number of accepted items"),
    _fact("item_count", Kind.INT, "the number of items asked for"),
    _fact(
        "has_eligible_merchant_fault",
        Kind.BOOL,
        "merchant fault",
        true_phrase="the request includes an accepted damage, defect, wrong-item or"
        " not-as-described claim",
        false_phrase="the request has no accepted damage, defect, wrong-item or"
        " not-as-described claim",
    ),
    _fact(
        "has_eligible_item",
        Kind.BOOL,
        "accepted item",
        true_phrase="at least one item is accepted",
        false_phrase="no item is accepted",
    ),
    _fact(
        "domestic",
        Kind.BOOL,
        "domestic",
        true_phrase="the order ships within the shop's country",
        false_phrase="the order ships abroad",
    ),
)


class ConditionError(ValueError):
    """A condition document is malformed; `subpath` locates the problem inside it."""

    def __init__(self, subpath: str, message: str) -> None:
        super().__init__(f"{subpath}: {message}" if subpath else message)
        self.subpath = subpath
        self.message = message


def _join_path(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _coerce_scalar(fact: Fact, value: Any, path: str) -> Any:
    if fact.kind is Kind.ENUM and fact.enum is not None:
        if value is None and fact.nullable:
            return None
        try:
            return fact.enum(value)
        except ValueError:
            raise ConditionError(
                path,
                f"unknown {fact.name} {value!r} (expected one of "
                f"{', '.join(m.value for m in fact.enum)})",
            ) from None
    if fact.kind in (Kind.TEXT, Kind.TEXT_SET):
        if not isinstance(value, str):
            raise ConditionError(path, f"must be text, got {value!r}")
        return value.strip().casefold()
    if fact.kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise ConditionError(path, f"must be true or false, got {value!r}")
        return value
    if fact.kind is Kind.MONEY:
        try:
            return coerce_money(value)
        except ValueError as exc:
            raise ConditionError(path, str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConditionError(path, f"must be a whole number, got {value!r}")
    return value


def _compile_leaf(
    document: Mapping[str, Any], facts: dict[str, Fact], path: str
) -> tuple[Callable[[Any], bool], Callable[[str | None], str]]:
    unknown = set(document) - {"fact", "op", "value"}
    if unknown:
        raise ConditionError(
            _join_path(path, sorted(unknown)[0]),
            "unknown key (a condition is {fact, op, value}, all, any or not)",
        )
    for key in ("fact", "op", "value"):
        if key not in document:
            raise ConditionError(_join_path(path, key), "required")
    name, op_name, raw = document["fact"], document["op"], document["value"]
    fact = facts.get(name) if isinstance(name, str) else None
    if fact is None:
        raise ConditionError(
            _join_path(path, "fact"),
            f"unknown fact {name!r} (expected one of {', '.join(facts)})",
        )
    op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        raise ConditionError(
            _join_path(path, "op"),
            f"unknown operator {op_name!r} (expected one of {', '.join(OPERATORS)})",
        )
    allowed = _OPS_BY_KIND[fact.kind]
    if op.name not in allowed:
        raise ConditionError(
            _join_path(path, "op"),
            f"operator {op.name!r} does not apply to {fact.name} "
            f"(expected one of {', '.join(allowed)})",
        )
    value_path = _join_path(path, "value")
    if op.takes_list:
        items = [raw] if isinstance(raw, str) and fact.kind is Kind.TEXT_SET else raw
        if not isinstance(items, list) or not items:
            raise ConditionError(value_path, f"operator {op.name!r} needs a non-empty list")
        value: Any = frozenset(
            _coerce_scalar(fact, item, _join_path(value_path, index))
            for index, item in enumerate(items)
        )
    else:
        value = _coerce_scalar(fact, raw, value_path)
    get, apply = fact.get, op.apply

    def test(facts_object: Any) -> bool:
        return apply(get(facts_object), value)

    def describe(currency: str | None) -> str:
        return _describe_leaf(fact, op, value, currency)

    return test, describe


def _show(fact: Fact, value: Any, currency: str | None) -> str:
    if fact.kind is Kind.MONEY:
        return format_money(value, currency)
    if value is None:
        return "none"
    if isinstance(value, Reason):
        return value.label
    if isinstance(value, ItemCondition):
        return value.phrase
    if isinstance(value, Resolution):
        return value.noun
    if isinstance(value, StrEnum):
        return value.value.replace("_", " ")
    return str(value)


def _shown(fact: Fact, values: frozenset[Any], currency: str | None) -> list[str]:
    # Enum values in their declared order, text alphabetically: stable explanations.
    if fact.enum is not None:
        ordered = [member for member in fact.enum if member in values]
        if None in values:
            ordered.append(None)
        return [_show(fact, v, currency) for v in ordered]
    return sorted(_show(fact, v, currency) for v in values)


def _describe_leaf(fact: Fact, op: Operator, value: Any, currency: str | None) -> str:
    if fact.kind is Kind.BOOL:
        positive = (op.name == "eq") == value
        return fact.true_phrase if positive else fact.false_phrase
    positive = op.name in ("eq", "in")
    if op.takes_list:
        shown = _shown(fact, value, currency)
        if fact.kind is Kind.TEXT_SET:
            if op.name == "contains_all":
                return f"the item is tagged {join_and(shown)}"
            negation = "" if op.name == "contains_any" else "not "
            return f"the item is {negation}tagged {join_or(shown)}"
        listed = join_or(shown)
    else:
        listed = _show(fact, value, currency)
    if fact.verb and op.name in ("eq", "ne", "in", "not_in"):
        return f"{fact.verb if positive else fact.negated_verb} {listed}"
    if op.name in ("in", "not_in"):
        return f"{fact.noun} {'is' if positive else 'is not'} {listed}"
    return f"{fact.noun} {op.phrase} {listed}"


def _compile(
    document: Any, facts: dict[str, Fact], path: str
) -> tuple[Callable[[Any], bool], Callable[[str | None], str]]:
    if not isinstance(document, Mapping):
        raise ConditionError(path, "must be a mapping: {fact, op, value}, all, any or not")
    groups = [key for key in ("all", "any", "not") if key in document]
    if not groups:
        return _compile_leaf(document, facts, path)
    key = groups[0]
    if len(document) != 1:
        extra = sorted(k for k in document if k != key)[0]
        raise ConditionError(_join_path(path, extra), f"not allowed next to {key!r}")
    inner = document[key]
    if key == "not":
        test_one, describe_one = _compile(inner, facts, _join_path(path, "not"))

        def negated(facts_object: Any) -> bool:
            return not test_one(facts_object)

        def describe_not(currency: str | None) -> str:
            return f"not ({describe_one(currency)})"

        return negated, describe_not
    if not isinstance(inner, list) or not inner:
        raise ConditionError(_join_path(path, key), "must be a non-empty list of conditions")
    parts = [
        _compile(sub, facts, _join_path(_join_path(path, key), i)) for i, sub in enumerate(inner)
    ]
    tests = tuple(part[0] for part in parts)
    describers = tuple(part[1] for part in parts)
    if key == "all":

        def every(facts_object: Any) -> bool:
            return all(test(facts_object) for test in tests)

        def describe_all(currency: str | None) -> str:
            return " and ".join(d(currency) for d in describers)

        return every, describe_all

    def some(facts_object: Any) -> bool:
        return any(test(facts_object) for test in tests)

    def describe_any(currency: str | None) -> str:
        return "(" + " or ".join(d(currency) for d in describers) + ")"

    return some, describe_any


class Predicate:
    """A compiled condition; `test(facts)` answers it, `describe()` says it in English."""

    facts: ClassVar[dict[str, Fact]] = {}
    __slots__ = ("_describe", "source", "test")

    def __init__(self, source: Any) -> None:
        self.source = source
        self.test, self._describe = _compile(source, self.facts, "")

    def describe(self, currency: str | None = None) -> str:
        return self._describe(currency)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.source == self.source  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(repr(self.source))

    @classmethod
    def parse(cls, document: Any) -> Self:
        """Raises ConditionError naming where in the document the problem is."""
        return cls(document)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def validate(document: Any) -> Self:
            if isinstance(document, cls):
                return document
            try:
                return cls(document)
            except ConditionError as exc:
                raise PydanticCustomError(
                    "condition", "{message}", {"message": exc.message, "subpath": exc.subpath}
                ) from None

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda p: p.source),
        )


class ItemPredicate(Predicate):
    """A condition on one requested item (reason, resolution, tags, prices...)."""

    facts = ITEM_FACTS
    __slots__ = ()


class RequestPredicate(Predicate):
    """A condition on a whole request (refund total, accepted claims...)."""

    facts = REQUEST_FACTS
    __slots__ = ()
