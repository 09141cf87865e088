"""Properties of every decision, over generated requests for all three presets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import evaluate, load_preset, parse_request
from policies.vocabulary import MONEY_BACK, Payer

from .builders import LOS_ANGELES, NEW_YORK, SHANGHAI

SHOPS = {"petite-plume": NEW_YORK, "lavish-ivy": LOS_ANGELES, "cn-consumer": SHANGHAI}
REASONS = [
    "changed_mind",
    "size_fit",
    "color_style",
    "defective",
    "damaged_in_transit",
    "wrong_item",
    "not_as_described",
]
RESOLUTIONS = ["refund", "store_credit", "exchange", "replacement"]
CONDITIONS = [
    None,
    "unworn_tags_attached",
    "unworn_no_tags",
    "worn",
    "washed",
    "opened",
    "unopened",
]
DEFECTS = [None, "colour_difference", "loose_threads", "chalk_marks"]
TAGS = ["sale", "Final-Sale", "bespoke", "BESPOKE", "custom", "new", "gift"]
TYPES = ["Rompers", "Hair Bows", "Dog Accessories", "Underwear", "socks", "Dresses"]
EPOCH = datetime(2025, 12, 1, tzinfo=UTC)

cents = st.integers(min_value=0, max_value=60_000)


def _money(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict]:
    preset = draw(st.sampled_from(sorted(SHOPS)))
    count = draw(st.integers(min_value=1, max_value=4))
    lines = []
    for index in range(count):
        price = draw(cents)
        compare_at = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=70_000)))
        lines.append(
            {
                "id": str(index + 1),
                "title": "Thing",
                "product_type": draw(st.sampled_from(TYPES)),
                "tags": draw(st.lists(st.sampled_from(TAGS), max_size=2)),
                "price": _money(price),
                "compare_at_price": None if compare_at is None else _money(compare_at),
                "quantity": draw(st.integers(min_value=1, max_value=3)),
            }
        )
    chosen = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=count, unique_by=id))
    items = [
        {
            "line_item_id": line["id"],
            "quantity": draw(st.integers(min_value=1, max_value=line["quantity"])),
            "reason": draw(st.sampled_from(REASONS)),
            "resolution": draw(st.sampled_from(RESOLUTIONS)),
            "condition": draw(st.sampled_from(CONDITIONS)),
            "photos": draw(st.integers(min_value=0, max_value=3)),
            "expedited": draw(st.booleans()),
            "defect": draw(st.sampled_from(DEFECTS)),
        }
        for line in chosen
    ]
    created = EPOCH + timedelta(minutes=draw(st.integers(min_value=0, max_value=900 * 24 * 60)))
    shipped = created + timedelta(minutes=draw(st.integers(min_value=0, max_value=5 * 24 * 60)))
    delivered = shipped + timedelta(minutes=draw(st.integers(min_value=0, max_value=9 * 24 * 60)))
    state = draw(st.sampled_from(["delivered", "delivered", "shipped", "unshipped"]))
    requested = delivered + timedelta(
        minutes=draw(st.integers(min_value=0, max_value=120 * 24 * 60))
    )
    shop = SHOPS[preset]
    data = {
        "shop": shop,
        "order": {
            "name": "#1",
            "created_at": created.isoformat(),
            "subtotal": _money(draw(cents)),
            "shipping_country": draw(st.sampled_from([shop["country"], "CA", None])),
            "shipped_at": None if state == "unshipped" else shipped.isoformat(),
            "delivered_at": delivered.isoformat() if state == "delivered" else None,
            "line_items": lines,
        },
        "items": items,
        "requested_at": requested.isoformat(),
    }
    return preset, data


PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _line_total(data: dict, index: int) -> Decimal:
    requested = data["items"][index]
    line = next(li for li in data["order"]["line_items"] if li["id"] == requested["line_item_id"])
    return Decimal(line["price"]) * requested["quantity"]


@PROPERTY_SETTINGS
@given(requests())
def test_fees_never_exceed_the_refundable_amount_when_money_goes_back(case):
    preset, data = case
    decision = evaluate(load_preset(preset), data)

    for index, decided in enumerate(decision.items):
        if decided.eligible and decided.resolution in MONEY_BACK:
            total = _line_total(data, index)
            assert decided.restocking_fee + decided.label_fee <= total
            assert decided.refund_amount >= 0


@PROPERTY_SETTINGS
@given(requests())
def test_refund_plus_fees_equals_the_item_total_when_an_eligible_item_is_refunded(case):
    preset, data = case
    decision = evaluate(load_preset(preset), data)

    for index, decided in enumerate(decision.items):
        if decided.eligible and decided.resolution in MONEY_BACK:
            assert (
                decided.refund_amount + decided.restocking_fee + decided.label_fee
                == _line_total(data, index)
            )
        else:
            assert decided.refund_amount == 0


@PROPERTY_SETTINGS
@given(requests(), st.integers(min_value=1, max_value=400 * 24 * 60))
def test_later_request_never_turns_an_ineligible_item_eligible_when_time_passes(case, minutes):
    preset, data = case
    policy = load_preset(preset)
    earlier = evaluate(policy, data)
    later_data = dict(data)
    later_data["requested_at"] = (
        datetime.fromisoformat(data["requested_at"]) + timedelta(minutes=minutes)
    ).isoformat()
    later = evaluate(policy, later_data)

    for before, after in zip(earlier.items, later.items, strict=True):
        assert before.eligible or not after.eligible
        assert before.window_ends == after.window_ends


@PROPERTY_SETTINGS
@given(requests())
def test_decision_is_consistent_when_any_request_is_evaluated(case):
    preset, data = case
    decision = evaluate(load_preset(preset), parse_request(data))
    body = decision.to_json_dict()

    assert decision.refund_total == sum(i.refund_amount for i in decision.items)
    assert sum(1 for i in decision.items if i.label_fee > 0) <= 1
    assert sum(1 for i in decision.items if i.exchange_fee > 0) <= 1
    assert (body["approver_role"] is None) is (not body["requires_review"])
    for decided in decision.items:
        assert decided.reasons, "every item explains itself"
        if not decided.eligible:
            assert decided.restocking_fee == decided.label_fee == decided.exchange_fee == 0
        if decided.reason.is_merchant_fault:
            assert decided.return_shipping_paid_by is Payer.MERCHANT
            assert decided.restocking_fee == decided.label_fee == 0
        if decided.label_fee > 0:
            assert decided.return_shipping_paid_by is Payer.CUSTOMER
        for amount in (decided.refund_amount, decided.restocking_fee, decided.label_fee):
            assert amount == amount.quantize(Decimal("0.01"))
    if preset == "cn-consumer":
        assert body["approver_role"] == "agent"
