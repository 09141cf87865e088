"""A merchant's changes to a preset policy: the settings they may override, the shop's
effective policy (cached, it is on every eligibility check), and a dry-run preview of a
policy on a built-in sample order.

Overrides are stored on the shop as {path: text or list of text}; a path names a place in
the preset's YAML document, `discretionary.rules[-1].window.days` being the window of the
last (catch-all) rule. Blank means "the preset's value".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

import policies
from app.domain.orders import Fulfillment, LineItem, OrderSnapshot, OrderView
from app.domain.shops import Shop
from app.errors import InvalidInput, NotAllowed
from app.observability import logger

# The two modules need each other (the effective policy there, the request builder here):
# imported as a module, so either may be imported first.
from app.services import eligibility

OverrideValue = str | list[str]
Document = dict[str, Any]

# Roles that may change the shop's return policy.
EDITOR_ROLES = frozenset({"owner", "manager"})
DEFAULT_DELIVERED_DAYS_AGO = 10
MAX_DELIVERED_DAYS_AGO = 365
MAX_TAGS = 20
MAX_TAG_LENGTH = 40

_STEP = re.compile(r"([a-z_]+)(?:\[(-?\d+)\])?")
_AMOUNT = re.compile(r"\d{1,6}(\.\d{1,2})?")


class ShopWriter(Protocol):
    def put_shop(self, shop: Shop) -> None:
        """Store the shop's profile and settings."""


# -- paths into a policy document ------------------------------------------------------------


def _steps(path: str) -> list[str | int]:
    """'discretionary.rules[-1].window.days' -> ['discretionary', 'rules', -1, 'window', 'days']."""
    steps: list[str | int] = []
    for part in path.split("."):
        match = _STEP.fullmatch(part)
        if match is None:  # pragma: no cover - the paths are the constants below
            raise ValueError(f"bad override path {path!r}")
        steps.append(match[1])
        if match[2] is not None:
            steps.append(int(match[2]))
    return steps


def _get(document: Any, path: str) -> Any:
    """The value at `path`, or None where the document has nothing there."""
    return _walk(document, _steps(path))


def _walk(node: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                return None
            node = node[step]
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return node


def _set(document: Document, path: str, value: Any) -> None:
    """Put `value` at `path`, creating the mappings on the way (a list item must exist)."""
    *parents, last = _steps(path)
    node: Any = document
    for step in parents:
        if isinstance(step, int):
            node = node[step]
        else:
            if not isinstance(node.get(step), dict | list):
                node[step] = {}
            node = node[step]
    node[last] = value


def _remove(document: Document, path: str) -> None:
    *parents, last = _steps(path)
    node = _walk(document, parents)
    if isinstance(node, dict):
        node.pop(last, None)


# -- which settings a preset offers -----------------------------------------------------------


def _always(document: Document) -> bool:
    return True


def _catch_all(section: str) -> Callable[[Document], bool]:
    """The section's last rule applies to everything else (no `when`): its window is 'the' one."""

    def applies(document: Document) -> bool:
        rules = _get(document, f"{section}.rules")
        return isinstance(rules, list) and bool(rules) and "when" not in rules[-1]

    return applies


def _has(path: str) -> Callable[[Document], bool]:
    def applies(document: Document) -> bool:
        return isinstance(_get(document, path), dict)

    return applies


def _charges_label_fee(document: Document) -> bool:
    rules = _get(document, "return_shipping.discretionary") or []
    return any(isinstance(rule, dict) and rule.get("label_fee") for rule in rules)


def _reviews(document: Document) -> bool:
    return bool(_get(document, "review.approvals"))


# -- applying a value ---------------------------------------------------------------------------


def _apply_return_label(document: Document, path: str, value: OverrideValue) -> None:
    if Decimal(str(value)) == 0:
        # No fee: the customer sends the parcel at their own cost, so no label is charged
        # (a "$0.00 label fee" would still be written into the policy's text).
        _remove(document, path)
        for rule in _get(document, "return_shipping.discretionary") or []:
            if isinstance(rule, dict):
                rule.pop("label_fee", None)
        return
    _set(document, path, value)


def _apply_restocking(document: Document, path: str, value: OverrideValue) -> None:
    if Decimal(str(value)) == 0:
        _remove(document, "fees.restocking")
        return
    _set(document, path, value)  # creates fees.restocking when the preset has none


def _apply_whole(document: Document, path: str, value: OverrideValue) -> None:
    _set(document, path, int(str(value)))


def _apply_as_is(document: Document, path: str, value: OverrideValue) -> None:
    _set(document, path, list(value) if isinstance(value, list) else value)


@dataclass(frozen=True)
class OverrideField:
    """One setting a merchant may change: where it lives in the policy and what it accepts."""

    path: str
    label: str
    help: str
    kind: str  # days | hours | money | percent | tags
    minimum: int = 0
    maximum: int = 0
    unit: str = ""  # "days", "business days" or "hours", for messages
    applies: Callable[[Document], bool] = _always
    apply_value: Callable[[Document, str, OverrideValue], None] = _apply_whole

    @property
    def name(self) -> str:
        """The form field and the error field: `overrides.<path>`."""
        return f"overrides.{self.path}"

    def preset_value(self, document: Document) -> OverrideValue | None:
        """The preset's own value, written as a merchant would type it (None: the preset has none)."""
        value = _get(document, self.path)
        if value is None:
            return None
        if self.kind == "tags":
            return [str(tag) for tag in value]
        if self.kind == "money":
            return f"{Decimal(str(value)):.2f}"
        if self.kind == "percent":
            return _percent_text(Decimal(str(value)))
        return str(value)

    def parse(self, raw: object) -> OverrideValue | None:
        """The value as it is stored, None when blank (keep the preset's). Raises ValueError."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if self.kind == "tags":
            return _parse_tags(raw, self.problem)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueError(self.problem)
        text = str(raw).strip()
        if self.kind in ("days", "hours"):
            if not _is_small_whole(text) or not self.minimum <= int(text) <= self.maximum:
                raise ValueError(self.problem)
            return str(int(text))
        if not _AMOUNT.fullmatch(text) or not self.minimum <= Decimal(text) <= self.maximum:
            raise ValueError(self.problem)
        if self.kind == "money":
            return f"{Decimal(text):.2f}"
        return _percent_text(Decimal(text))

    @property
    def problem(self) -> str:
        """What is wrong with a bad value, in the merchant's words."""
        if self.kind in ("days", "hours"):
            return f"must be a whole number of {self.unit} from {self.minimum} to {self.maximum}"
        if self.kind == "money":
            return f"must be an amount from 0 to {self.maximum}, like 6.95 (0 means no fee)"
        if self.kind == "percent":
            return f"must be a percentage from 0 to {self.maximum}, like 10 (0 means no fee)"
        return (
            f"must be tags separated by commas, at most {MAX_TAGS} tags"
            f" of up to {MAX_TAG_LENGTH} characters each"
        )


def _is_small_whole(text: str) -> bool:
    """ASCII digits, few enough for int(): isdigit() alone admits "²", which int() refuses."""
    return text.isascii() and text.isdecimal() and len(text) <= 9


def _percent_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _parse_tags(raw: object, problem: str) -> list[str] | None:
    if isinstance(raw, str):
        parts = raw.split(",")
    elif isinstance(raw, list | tuple) and all(isinstance(t, str) for t in raw):
        parts = [t for tag in raw for t in tag.split(",")]
    else:
        raise ValueError(problem)
    tags: dict[str, str] = {}
    for part in parts:
        tag = part.strip()
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(problem)
        if tag:
            tags.setdefault(tag.casefold(), tag)  # tags match without regard to case
    if len(tags) > MAX_TAGS:
        raise ValueError(problem)
    return list(tags.values()) or None


# The settings, in the order the page shows them.
FIELDS: tuple[OverrideField, ...] = (
    OverrideField(
        path="discretionary.rules[-1].window.days",
        label="Return window",
        help="Days after delivery to send an item back for change of mind, size or style."
        " Special windows of the preset (such as longer size exchanges) stay as they are.",
        kind="days",
        minimum=1,
        maximum=365,
        unit="days",
        applies=_catch_all("discretionary"),
    ),
    OverrideField(
        path="merchant_fault.rules[-1].window.days",
        label="Time to report a damaged or faulty item",
        help="Days after delivery to report an item that arrived damaged, faulty, wrong or not"
        " as described.",
        kind="days",
        minimum=1,
        maximum=365,
        unit="days",
        applies=_catch_all("merchant_fault"),
    ),
    OverrideField(
        path="fees.return_label",
        label="Return label fee",
        help="Deducted from the refund when the customer pays for return shipping."
        " 0 means no fee: the customer sends the parcel at their own cost.",
        kind="money",
        minimum=0,
        maximum=100,
        applies=_charges_label_fee,
        apply_value=_apply_return_label,
    ),
    OverrideField(
        path="fees.restocking.percent",
        label="Restocking fee (%)",
        help="Kept from each item returned for change of mind, size or style for a refund or"
        " store credit. 0 means no restocking fee.",
        kind="percent",
        minimum=0,
        maximum=100,
        apply_value=_apply_restocking,
    ),
    OverrideField(
        path="final_sale.tags",
        label="Final-sale tags",
        help="Product tags that make an item final sale, separated by commas. Final-sale items"
        " come back only when damaged, faulty or wrong.",
        kind="tags",
        apply_value=_apply_as_is,
    ),
    OverrideField(
        path="refund_sla.refund_business_days",
        label="Refund within",
        help="Business days you take to send the money back.",
        kind="days",
        minimum=1,
        maximum=60,
        unit="business days",
        applies=_has("refund_sla"),
    ),
    OverrideField(
        path="review.deadline_business_days",
        label="Review requests within",
        help="Business days you take to review a return that needs approval.",
        kind="days",
        minimum=1,
        maximum=30,
        unit="business days",
        applies=_reviews,
    ),
    OverrideField(
        path="fulfillment.dispatch_business_days",
        label="Ship orders within",
        help="Business days before an order leaves your warehouse.",
        kind="days",
        minimum=1,
        maximum=30,
        unit="business days",
        applies=_has("fulfillment"),
    ),
    OverrideField(
        path="backorders.backordered_after_days",
        label="Backordered after",
        help="Days an item may be out of stock before the customer is told it is backordered.",
        kind="days",
        minimum=1,
        maximum=90,
        unit="days",
        applies=_has("backorders"),
    ),
    OverrideField(
        path="backorders.notice_within_hours",
        label="Backorder notice within",
        help="Hours to write to the customer once an item is backordered.",
        kind="hours",
        minimum=1,
        maximum=168,
        unit="hours",
        applies=_has("backorders"),
    ),
    OverrideField(
        path="compensation.delay.threshold_business_days",
        label="Compensate late deliveries after",
        help="Business days past the promised delivery date before a late order is compensated.",
        kind="days",
        minimum=1,
        maximum=30,
        unit="business days",
        applies=_has("compensation.delay"),
    ),
)
FIELDS_BY_PATH: dict[str, OverrideField] = {f.path: f for f in FIELDS}


@dataclass(frozen=True)
class FieldState:
    """A setting as a preset offers it: the merchant's value (None: not changed) and the preset's."""

    field: OverrideField
    value: OverrideValue | None
    preset_value: OverrideValue | None

    def to_json_dict(self) -> dict[str, Any]:
        bounds = self.field.kind != "tags"
        return {
            "path": self.field.path,
            "label": self.field.label,
            "help": self.field.help,
            "kind": self.field.kind,
            "min": self.field.minimum if bounds else None,
            "max": self.field.maximum if bounds else None,
            "value": self.value,
            "preset_value": self.preset_value,
        }


def fields_for(preset: str, overrides: Mapping[str, Any] | None = None) -> list[FieldState]:
    """The settings the preset offers, with the merchant's values. Raises UnknownPreset."""
    document = policies.preset_document(preset)
    current = stored_overrides(overrides)
    return [
        FieldState(f, current.get(f.path), f.preset_value(document))
        for f in FIELDS
        if f.applies(document)
    ]


@lru_cache(maxsize=1)
def preset_values() -> dict[str, dict[str, OverrideValue | None]]:
    """For each setting, the presets that offer it and their values (to switch presets live)."""
    out: dict[str, dict[str, OverrideValue | None]] = {f.path: {} for f in FIELDS}
    for name in policies.preset_names():
        for state in fields_for(name):
            out[state.field.path][name] = state.preset_value
    return out


def stored_overrides(overrides: Mapping[str, Any] | None) -> dict[str, OverrideValue]:
    """The shop's overrides without the blanks that stand for "the preset's value"."""
    out: dict[str, OverrideValue] = {}
    for path, value in (overrides or {}).items():
        if isinstance(value, list | tuple):
            if value:
                out[str(path)] = [str(v) for v in value]
        elif value is not None and str(value).strip():
            out[str(path)] = str(value)
    return out


def form_values(overrides: Mapping[str, Any] | None) -> dict[str, str]:
    """The overrides as a form shows them (tags joined by commas)."""
    return {
        path: ", ".join(value) if isinstance(value, list) else value
        for path, value in stored_overrides(overrides).items()
    }


# -- validating and building -----------------------------------------------------------------


def ensure_preset(value: object) -> str:
    """The name of a shipped preset; raises InvalidInput on `preset` otherwise."""
    names = policies.preset_names()
    if not isinstance(value, str) or value not in names:
        raise InvalidInput(f"must be one of {', '.join(names)}", "preset")
    return value


def check_overrides(
    preset: str, raw: Mapping[str, object]
) -> tuple[dict[str, OverrideValue], dict[str, str]]:
    """Every value parsed, and every problem by field (`overrides.<path>`), without raising.

    Blank values are left out (the preset's value stays). Raises UnknownPreset.
    """
    document = policies.preset_document(preset)
    parsed: dict[str, OverrideValue] = {}
    errors: dict[str, str] = {}
    for path, value in raw.items():
        spec = FIELDS_BY_PATH.get(path) if isinstance(path, str) else None
        if spec is None:
            errors[f"overrides.{path}"] = "is not a setting you can change"
            continue
        if not spec.applies(document):
            errors[spec.name] = f"is not part of the {document['display_name']} policy"
            continue
        try:
            result = spec.parse(value)
        except ValueError as exc:
            errors[spec.name] = str(exc)
            continue
        if result is not None:
            parsed[path] = result
    values = {f.path: parsed[f.path] for f in FIELDS if f.path in parsed}
    if not errors and values:
        try:
            build_policy(preset, values)
        except InvalidInput as exc:
            errors[exc.field or "overrides"] = _message(exc)
    return values, errors


def validate_overrides(preset: str, raw: Mapping[str, object]) -> dict[str, OverrideValue]:
    """The overrides as they are stored; raises InvalidInput on `preset` or `overrides.<path>`."""
    preset = ensure_preset(preset)
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be an object of settings and their values", "overrides")
    values, errors = check_overrides(preset, raw)
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field)
    return values


def build_policy(preset: str, overrides: Mapping[str, OverrideValue]) -> policies.Policy:
    """The preset with these (parsed) overrides, validated. Raises InvalidInput naming the
    override at fault, UnknownPreset for an unknown preset."""
    if not overrides:
        return policies.load_preset(preset)
    try:
        return policies.policy_from_mapping(_document(preset, overrides))
    except policies.InvalidPolicy as exc:
        raise InvalidInput(exc.message, _culprit(preset, overrides)) from None


def _document(preset: str, overrides: Mapping[str, OverrideValue]) -> Document:
    document = policies.preset_document(preset)
    for path, value in overrides.items():
        spec = FIELDS_BY_PATH[path]
        spec.apply_value(document, path, value)
    # The preset's one-line summary no longer describes a changed policy.
    document.pop("summary", None)
    return document


def _culprit(preset: str, overrides: Mapping[str, OverrideValue]) -> str:
    """The first override that breaks the policy on its own (else the first one)."""
    for path, value in overrides.items():
        try:
            policies.policy_from_mapping(_document(preset, {path: value}))
        except policies.InvalidPolicy:
            return f"overrides.{path}"
    return f"overrides.{next(iter(overrides))}"


def _message(exc: InvalidInput) -> str:
    text = str(exc)
    prefix = f"{exc.field}: "
    return text[len(prefix) :] if exc.field and text.startswith(prefix) else text


def policy_for(shop: Shop) -> policies.Policy:
    """The shop's effective policy: its preset with its overrides. Raises UnknownPreset."""
    return _effective_policy(shop.policy_preset, _frozen(shop.policy_overrides))


def _frozen(overrides: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(
        sorted(
            (path, tuple(value) if isinstance(value, list) else value)
            for path, value in stored_overrides(overrides).items()
        )
    )


@lru_cache(maxsize=512)
def _effective_policy(preset: str, frozen: tuple[tuple[str, Any], ...]) -> policies.Policy:
    if not frozen:
        return policies.load_preset(preset)
    raw = {path: list(value) if isinstance(value, tuple) else value for path, value in frozen}
    values, errors = check_overrides(preset, raw)
    if errors:
        # A stored override that no longer fits (a preset or a bound changed in a release):
        # the others still apply, and the settings page shows the merchant what to fix.
        logger.warning(
            "stored policy overrides skipped", extra={"preset": preset, "fields": sorted(errors)}
        )
        values = {p: v for p, v in values.items() if f"overrides.{p}" not in errors}
        try:
            return build_policy(preset, values)
        except InvalidInput:
            return policies.load_preset(preset)
    return build_policy(preset, values)


def can_edit_policy(role: str) -> bool:
    return role in EDITOR_ROLES


def save_policy(
    store: ShopWriter, shop: Shop, preset: object, overrides: object, *, by_role: str
) -> Shop:
    """Switch the shop to `preset` with these overrides (None: none) and store it.

    Raises NotAllowed below a manager, InvalidInput on `preset` or `overrides.<path>`.
    """
    if not can_edit_policy(by_role):
        raise NotAllowed("only an owner or a manager can change the return policy")
    name = ensure_preset(preset)
    raw = {} if overrides is None else overrides
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be an object of settings and their values", "overrides")
    values = validate_overrides(name, raw)
    # put_shop SETs attributes and never REMOVEs one, so an override taken away is stored
    # blank ("the preset's value") rather than left behind.
    stored: dict[str, OverrideValue] = {path: "" for path in shop.policy_overrides or {}}
    stored.update(values)
    updated = replace(shop, policy_preset=name, policy_overrides=stored or None)
    store.put_shop(updated)
    return updated


# -- the preview on a sample order -------------------------------------------------------------


@dataclass(frozen=True)
class SampleLine:
    title: str
    description: str
    request: eligibility.RequestedLine


@dataclass(frozen=True)
class SampleOrder:
    """A made-up order of the shop, delivered `delivered_days_ago` days before `now`."""

    shop: Shop
    view: OrderView
    lines: tuple[SampleLine, ...]
    now: datetime
    delivered_days_ago: int

    @property
    def description(self) -> str:
        country = self.view.order.shipping_country
        days = self.delivered_days_ago
        ago = "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} ago"
        return (
            f"Order {self.view.order.name}: {len(self.lines)} items,"
            f" {self.view.order.subtotal:.2f} {self.view.order.currency}, shipped to {country}"
            f" (outside {self.shop.country}), delivered {ago}."
        )


def parse_delivered_days_ago(raw: object) -> int:
    """The sample's delivery age from a form or JSON (blank: the default). Raises InvalidInput."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_DELIVERED_DAYS_AGO
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, bool) or not (
        (isinstance(text, int) and 0 <= text <= MAX_DELIVERED_DAYS_AGO)
        or (isinstance(text, str) and _is_small_whole(text) and int(text) <= MAX_DELIVERED_DAYS_AGO)
    ):
        raise InvalidInput(
            f"must be a whole number of days from 0 to {MAX_DELIVERED_DAYS_AGO}",
            "delivered_days_ago",
        )
    return int(text)


def sample_order(
    shop: Shop, now: datetime, delivered_days_ago: int = DEFAULT_DELIVERED_DAYS_AGO
) -> SampleOrder:
    """Four lines that meet the usual rules: an ordinary return, an exchange, a final-sale
    item and a faulty one with photos; shipped abroad, so a label fee shows where one applies."""
    delivered = now - timedelta(days=delivered_days_ago)
    shipped = delivered - timedelta(days=3)
    items = (
        LineItem(1, "Linen sundress", 1, Decimal("68.00"), product_type="Dresses"),
        LineItem(2, "Smocked romper", 1, Decimal("42.00"), product_type="Rompers"),
        LineItem(
            3,
            "Striped tee",
            1,
            Decimal("24.00"),
            product_type="Tops",
            tags=("final-sale",),
            compare_at_price=Decimal("40.00"),
        ),
        LineItem(4, "Knit cardigan", 1, Decimal("56.00"), product_type="Knitwear"),
    )
    order = OrderSnapshot(
        id=1,
        name="#SAMPLE",
        created_at=shipped - timedelta(days=1),
        updated_at=delivered,
        currency=shop.currency,
        subtotal=sum((li.price for li in items), Decimal("0.00")),
        total=sum((li.price for li in items), Decimal("0.00")),
        line_items=items,
        shipping_country="CA" if shop.country != "CA" else "US",
    )
    parcel = Fulfillment(
        id=1,
        order_id=1,
        status="success",
        created_at=shipped,
        updated_at=delivered,
        shipment_status="delivered",
        delivered_at=delivered,
    )
    requested = eligibility.RequestedLine
    lines = (
        SampleLine(
            "Linen sundress",
            "Wrong size, unopened, for a refund",
            requested(1, 1, "size_fit", "refund", "unopened"),
        ),
        SampleLine(
            "Smocked romper",
            "Wrong size, unopened, exchanged for another size",
            requested(2, 1, "size_fit", "exchange", "unopened"),
        ),
        SampleLine(
            "Striped tee",
            "Tagged final-sale and sold below its compare-at price; change of mind, for a refund",
            requested(3, 1, "changed_mind", "refund", "unopened"),
        ),
        SampleLine(
            "Knit cardigan",
            "A seam came open; reported with 2 photos, for a refund",
            requested(4, 1, "defective", "refund", "worn", photos=("photo-1", "photo-2")),
        ),
    )
    return SampleOrder(
        shop=shop,
        view=OrderView(order=order, fulfillments=(parcel,)),
        lines=lines,
        now=now,
        delivered_days_ago=delivered_days_ago,
    )


@dataclass(frozen=True)
class PreviewLine:
    title: str
    description: str
    eligible: bool
    window_ends: date | None
    refund_amount: Decimal
    restocking_fee: Decimal
    label_fee: Decimal
    exchange_fee: Decimal
    reasons: tuple[str, ...]

    @property
    def fees(self) -> Decimal:
        return self.restocking_fee + self.label_fee + self.exchange_fee


@dataclass(frozen=True)
class Preview:
    """What the policy decides for each line of the sample order (nothing is stored)."""

    description: str
    currency: str
    lines: tuple[PreviewLine, ...]
    refund_total: Decimal
    requires_review: bool
    approver_role: str | None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "currency": self.currency,
            "refund_total": f"{self.refund_total:.2f}",
            "requires_review": self.requires_review,
            "approver_role": self.approver_role,
            "lines": [
                {
                    "title": ln.title,
                    "description": ln.description,
                    "eligible": ln.eligible,
                    "window_ends": ln.window_ends.isoformat() if ln.window_ends else None,
                    "refund_amount": f"{ln.refund_amount:.2f}",
                    "restocking_fee": f"{ln.restocking_fee:.2f}",
                    "label_fee": f"{ln.label_fee:.2f}",
                    "exchange_fee": f"{ln.exchange_fee:.2f}",
                    "reasons": list(ln.reasons),
                }
                for ln in self.lines
            ],
        }


def preview(policy: policies.Policy, sample: SampleOrder) -> Preview:
    """Evaluate the sample order under `policy` with the real evaluator (a dry run)."""
    decision = eligibility.decide_under(
        policy, sample.shop, sample.view, [ln.request for ln in sample.lines], sample.now
    )
    return Preview(
        description=sample.description,
        currency=sample.view.order.currency,
        lines=tuple(
            PreviewLine(
                title=ln.title,
                description=ln.description,
                eligible=item.eligible,
                window_ends=item.window_ends,
                refund_amount=item.refund_amount,
                restocking_fee=item.restocking_fee,
                label_fee=item.label_fee,
                exchange_fee=item.exchange_fee,
                reasons=item.reasons,
            )
            for ln, item in zip(sample.lines, decision.items, strict=True)
        ),
        refund_total=decision.refund_total,
        requires_review=decision.requires_review,
        approver_role=decision.approver_role.value if decision.approver_role else None,
    )
