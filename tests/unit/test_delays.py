"""Delayed shipments, the pure part and the scheduling: method titles, due dates, tiers, plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.adapters.dynamo.store import DueWork
from app.clock import FixedClock
from app.domain.orders import Fulfillment, LineItem, OrderSnapshot, OrderView
from app.domain.shops import Shop
from app.services import delays
from app.services.proactive import ProactiveContext
from policies import load_preset

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
IVY = load_preset("lavish-ivy")
METHODS = IVY.fulfillment.shipping_methods
US_SHOP = Shop(
    domain="ivy.myshopify.com", status="installed", country="US", timezone="America/New_York"
)
GB_SHOP = Shop(
    domain="ivy-uk.myshopify.com", status="installed", country="GB", timezone="Europe/London"
)


def _at(text: str, tz: ZoneInfo = NY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def _end_of(day: str, tz: ZoneInfo = NY) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.max.time(), tzinfo=tz)


# -- shipping line titles -> policy methods ----------------------------------------------------


@pytest.mark.parametrize(
    ("title", "method"),
    [
        ("standard", "standard"),
        ("Expedited", "expedited"),
        ("  STANDARD ", "standard"),
        ("Standard Shipping", "standard"),
        ("Economy", "standard"),
        ("UPS Ground", "standard"),
        ("Express Shipping", "expedited"),
        ("USPS Priority Mail", "expedited"),
        ("Overnight", "expedited"),
        ("FedEx 2Day Express", "expedited"),
        ("Local pickup", None),
        ("Ground or Express", None),  # names both: no promise rather than a guess
        ("", None),
        (None, None),
    ],
)
def test_shipping_title_maps_to_a_policy_method_when_a_word_names_it(title, method):
    assert delays.method_key(title, METHODS) == method


def test_merchants_own_method_key_names_itself_before_any_synonym():
    methods = ["standard", "expedited", "overnight"]

    assert delays.method_key("Overnight", methods) == "overnight"
    assert delays.method_key("Overnight express", methods) == "overnight"
    assert delays.method_key("Express", methods) == "expedited"


def test_method_reads_as_a_title_on_the_order_and_in_the_customers_language():
    assert delays.method_title("expedited") == "Expedited"
    assert delays.method_title("white_glove") == "White Glove"
    assert delays.method_label("expedited", "zh-CN") == "加急配送"
    assert delays.method_label("white_glove", "zh-CN") == "White Glove"


# -- due dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered", "method", "due"),
    [
        # Thursday: dispatch Fri 6, Mon 9; transit to Mon 16; +5 business days: Mon 23.
        ("2026-03-05T10:00", "standard", "2026-03-23"),
        # Friday: the weekend pushes everything a business day on.
        ("2026-03-06T10:00", "standard", "2026-03-24"),
        # Saturday counts from the same Monday as Friday.
        ("2026-03-07T10:00", "standard", "2026-03-24"),
        ("2026-03-06T10:00", "expedited", "2026-03-19"),
        # Thanksgiving (Thu 2026-11-26) is not a business day: promised Fri Dec 4, due Dec 11.
        ("2026-11-24T10:00", "standard", "2026-12-11"),
        ("2026-11-24T10:00", "expedited", "2026-12-08"),
    ],
)
def test_delay_check_is_due_at_the_end_of_the_last_day_before_compensation_is_owed(
    ordered, method, due
):
    assert delays.due_at(IVY, US_SHOP, _at(ordered), method) == _end_of(due)


def test_due_date_follows_the_holidays_of_the_shops_country():
    ordered = "2026-12-22T10:00"

    # US: Christmas and New Year's Day are Fridays. GB adds Boxing Day, observed Mon Dec 28.
    assert delays.due_at(IVY, US_SHOP, _at(ordered), "standard") == _end_of("2027-01-11")
    assert delays.due_at(IVY, GB_SHOP, _at(ordered, LONDON), "standard") == _end_of(
        "2027-01-12", LONDON
    )


def test_order_date_is_the_shops_local_date_when_counting():
    ordered = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)  # Thu 21:00 in New York, Fri in London

    assert delays.due_at(IVY, US_SHOP, ordered, "standard") == _end_of("2026-03-23")
    assert delays.due_at(IVY, GB_SHOP, ordered, "standard") == _end_of("2026-03-24", LONDON)


def test_new_delivery_date_skips_thanksgiving_and_the_weekend():
    assert delays.new_eta(IVY, "expedited", date(2026, 11, 25), "US") == date(2026, 11, 30)
    assert delays.new_eta(IVY, "by_pigeon", date(2026, 11, 25), "US") is None


# -- what a late order is owed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "credit"),
    [
        ("0.00", "10.00"),
        ("149.99", "10.00"),
        ("150.00", "15.00"),
        ("399.99", "15.00"),
        ("400.00", "25.00"),
        ("2500.00", "25.00"),
    ],
)
def test_credit_is_the_tier_the_order_total_reaches(total, credit):
    owed = delays.plan(IVY, "standard", Decimal(total), fulfilled=False, delivered=False)

    assert isinstance(owed.credit, Decimal)
    assert str(owed.credit) == credit


def test_unshipped_late_order_is_upgraded_by_an_order_edit_to_the_fastest_method():
    owed = delays.plan(IVY, "standard", Decimal("200.00"), fulfilled=False, delivered=False)

    assert (owed.upgrade_to, owed.upgrade_mode, owed.eta_method) == (
        "expedited",
        "order_edit",
        "expedited",
    )


def test_shipped_late_order_is_upgraded_by_a_note_for_the_warehouse():
    owed = delays.plan(IVY, "standard", Decimal("200.00"), fulfilled=True, delivered=False)

    assert (owed.upgrade_to, owed.upgrade_mode) == ("expedited", "warehouse_note")


def test_order_already_on_the_fastest_method_is_credited_without_an_upgrade():
    owed = delays.plan(IVY, "expedited", Decimal("200.00"), fulfilled=False, delivered=False)

    assert owed.upgrade_to is None and owed.skipped == "already on the fastest method"
    assert owed.credit == Decimal("15.00") and owed.eta_method == "expedited"


def test_no_upgrade_when_the_policy_says_so():
    delay = IVY.compensation.delay
    assert delay is not None
    no_upgrades = IVY.model_copy(
        update={
            "compensation": IVY.compensation.model_copy(
                update={"delay": delay.model_copy(update={"upgrade_shipping": False})}
            )
        }
    )

    owed = delays.plan(no_upgrades, "standard", Decimal("90.00"), fulfilled=False, delivered=False)

    assert owed.upgrade_to is None and owed.credit == Decimal("10.00")


def test_order_delivered_late_gets_the_credit_but_no_upgrade_or_new_date():
    owed = delays.plan(IVY, "standard", Decimal("90.00"), fulfilled=True, delivered=True)

    assert owed.upgrade_to is None and owed.eta_method is None
    assert owed.credit == Decimal("10.00")


def test_policy_without_delay_compensation_owes_nothing():
    owed = delays.plan(
        load_preset("petite-plume"), "standard", Decimal("90.00"), fulfilled=False, delivered=False
    )

    assert owed.upgrade_to is None and owed.credit == Decimal("0.00")


# -- scheduling, against a hand-written in-memory store ------------------------------------------


class InMemoryDueStore:
    """The part of the store scheduling uses: due items and delay records."""

    def __init__(self) -> None:
        self.due: dict[tuple[str, str, str], DueWork] = {}
        self.delays: dict[tuple[str, int], dict] = {}
        self.orders: dict[tuple[str, int], OrderView] = {}

    def put_due(self, shop, kind, ref, due_at, data, *, replace_existing=False):
        if (shop, kind, ref) in self.due and not replace_existing:
            return False
        self.due[(shop, kind, ref)] = DueWork(shop, kind, ref, due_at, dict(data))
        return True

    def get_due(self, shop, kind, ref):
        return self.due.get((shop, kind, ref))

    def delete_due(self, shop, kind, ref):
        self.due.pop((shop, kind, ref), None)

    def get_delay(self, shop, order_id):
        return self.delays.get((shop, order_id))

    def get_order(self, shop, order_id):
        return self.orders.get((shop, order_id))


def _context(store, now="2026-03-06T12:00"):
    return ProactiveContext(
        store=store,  # type: ignore[arg-type]
        ledger=None,  # type: ignore[arg-type]
        clock=FixedClock(_at(now)),
        admin_for=lambda shop: None,  # type: ignore[arg-type,return-value]
        mailer=None,
        policy_for=lambda shop: IVY,
        app_url="https://hemline.example",
        link_secret=b"x" * 32,
    )


def _view(shipping="Standard Shipping", ordered="2026-03-06T10:00", delivered_at=None):
    order = OrderSnapshot(
        id=5551001,
        name="#1001",
        created_at=_at(ordered),
        updated_at=_at(ordered),
        currency="USD",
        subtotal=Decimal("190.00"),
        total=Decimal("196.95"),
        line_items=(LineItem(id=1, title="Cashmere throw", quantity=1, price=Decimal("190.00")),),
        email="ada@example.com",
        customer_id=77,
        shipping_method=shipping,
    )
    fulfillments = ()
    if delivered_at is not None:
        fulfillments = (
            Fulfillment(
                id=9,
                order_id=order.id,
                status="success",
                created_at=_at(ordered) + timedelta(days=1),
                updated_at=delivered_at,
                delivered_at=delivered_at,
            ),
        )
    return OrderView(order, fulfillments)


def test_scheduling_puts_one_check_with_what_the_sweep_needs_and_no_personal_data():
    store = InMemoryDueStore()
    ctx = _context(store)

    first = delays.schedule(ctx, US_SHOP, _view())
    again = delays.schedule(ctx, US_SHOP, _view())

    assert first == again == _end_of("2026-03-24")
    [work] = store.due.values()
    assert work.ref == "5551001" and work.due_at == first
    assert work.data["method"] == "standard" and work.data["promised"] == "2026-03-17"
    assert work.data["total"] == "196.95" and work.data["currency"] == "USD"
    assert "ada@example.com" not in str(work.data)


@pytest.mark.parametrize(
    "view",
    [
        _view(shipping="Local pickup"),
        _view(shipping=None),
        _view(delivered_at=_at("2026-03-10T15:00")),
    ],
)
def test_nothing_is_scheduled_without_a_promise_or_after_delivery(view):
    store = InMemoryDueStore()

    assert delays.schedule(_context(store), US_SHOP, view) is None
    assert store.due == {}


def test_compensated_order_is_never_scheduled_again():
    store = InMemoryDueStore()
    store.delays[(US_SHOP.domain, 5551001)] = {"order_name": "#1001"}

    assert delays.schedule(_context(store), US_SHOP, _view(shipping="Expedited")) is None
    assert store.due == {}


def test_delivery_in_time_drops_the_check_and_a_late_one_keeps_it():
    store = InMemoryDueStore()
    ctx = _context(store)
    delays.schedule(ctx, US_SHOP, _view())

    assert not delays.on_delivered(ctx, US_SHOP, 5551001, _at("2026-03-25T09:00"))
    assert store.due  # delivered after the deadline: the credit and apology are still owed
    assert delays.on_delivered(ctx, US_SHOP.domain, 5551001, _at("2026-03-24T18:00"))
    assert store.due == {}
    assert not delays.on_delivered(ctx, US_SHOP, 5551001)  # nothing left to drop


# -- the apology ---------------------------------------------------------------------------------


def test_apology_gives_the_new_date_the_faster_method_and_the_credit():
    from app.services.mail import render_email

    context = {
        "shop_name": "Lavish Ivy",
        "order_name": "#1001",
        "customer_name": "Ada",
        "shipping_method": delays.method_label("expedited", "en"),
        "new_eta": date(2026, 11, 30),
        "amount": Decimal("15.00"),
        "currency": "USD",
    }

    email = render_email("delay_apology", context, "en")
    chinese = render_email("delay_apology", context | {"shipping_method": "加急配送"}, "zh-CN")

    assert email.subject == "Order #1001 is running late, and we are sorry"
    assert "We have upgraded its shipping to Expedited, at no cost to you." in email.text
    assert "It should now arrive by November 30, 2026." in email.html
    assert "$15.00 USD of store credit" in email.text
    assert "预计将于 2026年11月30日 前送达" in chinese.text and "加急配送" in chinese.html


def test_apology_for_a_late_delivery_gives_the_gift_card_and_no_new_date():
    from app.services.mail import render_email

    context = {
        "shop_name": "Lavish Ivy",
        "order_name": "#1001",
        "delivered": True,
        "amount": Decimal("10.00"),
        "currency": "USD",
        "gift_card_code": "HX7Q 2MPL 9KDW",
    }

    email = render_email("delay_apology", context, "en")

    assert "reached you later than we promised" in email.text
    assert "HX7Q 2MPL 9KDW" in email.text and "arrive by" not in email.text


def test_first_parcel_of_a_split_order_keeps_the_check_until_the_last_arrives():
    store = InMemoryDueStore()
    ctx = _context(store)
    delays.schedule(ctx, US_SHOP, _view())
    first = _view(delivered_at=_at("2026-03-12T15:00"))
    second_out = Fulfillment(
        id=10,
        order_id=5551001,
        status="success",
        created_at=_at("2026-03-11T09:00"),
        updated_at=_at("2026-03-11T09:00"),
    )
    store.orders[(US_SHOP.domain, 5551001)] = OrderView(
        first.order, (*first.fulfillments, second_out)
    )

    assert not delays.on_delivered(ctx, US_SHOP, 5551001, _at("2026-03-12T15:00"))
    assert store.due

    store.orders[(US_SHOP.domain, 5551001)] = first
    assert delays.on_delivered(ctx, US_SHOP, 5551001, _at("2026-03-12T15:00"))
    assert store.due == {}
