"""Demo data: three shops, one for each policy preset, with a few dozen orders in all.

- hemline-demo.myshopify.com: a children's boutique (petite-plume), 36 orders
  over the last 60 days.
- lavish-ivy-demo.myshopify.com: a home and lifestyle-apparel brand
  (lavish-ivy), 12 orders over the last 100 days.
- cn-consumer-demo.myshopify.com: a Chinese clothing shop (cn-consumer), 12
  orders over the last 30 days.

The shops are created without the app installed (OAuth is driven by the app),
so seeding sends no webhooks. Each shop has its own seeded Random, and
hemline-demo is seeded first, so every run looks the same relative to "now"
and the other shops never change hemline-demo's data or ids.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from infra.local.devstore import state as s
from infra.local.devstore.store import DevStore

DEMO_SHOP = "hemline-demo.myshopify.com"
LAVISH_IVY_SHOP = "lavish-ivy-demo.myshopify.com"
CN_CONSUMER_SHOP = "cn-consumer-demo.myshopify.com"


def new_shop_body(domain: str, **fields: Any) -> dict[str, Any]:
    """The body of `POST /_sim/shops` for a shop like the demo's (a US children's boutique in
    New York time), with `fields` changed: what tests and benchmarks install the app into."""
    return {
        "domain": domain,
        "name": "Petite Plume",
        "email": "owner@example.com",
        "currency": "USD",
        "country_code": "US",
        "iana_timezone": "America/New_York",
        **fields,
    }


# Every demo shop and the policy preset (policies/presets/<name>.yaml) it runs.
DEMO_SHOPS: dict[str, str] = {
    DEMO_SHOP: "petite-plume",
    LAVISH_IVY_SHOP: "lavish-ivy",
    CN_CONSUMER_SHOP: "cn-consumer",
}
STUDIO, WAREHOUSE = "Brooklyn Studio", "Jersey City Warehouse"

_TODDLER = ("2T", "3T", "4T", "5T")
_GIRLS = ("4", "5", "6", "7", "8")
# title, product type, tags, price, compare-at price, sizes, stock per size (studio, incoming)
CATALOGUE: list[tuple[str, str, list[str], str, str | None, tuple[str, ...], tuple[int, int]]] = [
    ("Smocked Linen Romper", "Rompers", ["romper", "linen"], "48.00", None, _TODDLER, (12, 0)),
    ("Ruffle Bubble Romper", "Rompers", ["romper", "sale"], "42.00", "56.00", _TODDLER, (8, 0)),
    ("Floral Twirl Dress", "Dresses", ["dress", "spring"], "58.00", None, _GIRLS, (10, 0)),
    (
        "Velvet Holiday Dress",
        "Dresses",
        ["dress", "holiday", "sale"],
        "78.00",
        "98.00",
        _GIRLS,
        (5, 0),
    ),
    ("Linen Sundress", "Dresses", ["dress", "linen"], "64.00", None, _GIRLS, (0, 20)),
    ("Ribbed Knit Cardigan", "Knitwear", ["cardigan"], "68.00", None, _GIRLS, (6, 0)),
    (
        "Grosgrain Hair Bow Set",
        "Accessories",
        ["hair-bow", "final-sale"],
        "18.00",
        None,
        ("Blush", "Ivory", "Navy"),
        (30, 0),
    ),
    (
        "Velvet Hair Bow",
        "Accessories",
        ["hair-bow", "final-sale"],
        "14.00",
        None,
        ("Burgundy", "Emerald"),
        (25, 0),
    ),
    (
        "Organic Cotton Underwear 3-Pack",
        "Underwear",
        ["underwear", "hygiene"],
        "24.00",
        None,
        _GIRLS,
        (20, 0),
    ),
    (
        "Cable Knit Tights",
        "Hosiery",
        ["tights", "hygiene"],
        "16.00",
        None,
        ("S", "M", "L"),
        (18, 0),
    ),
    ("Ruffle Swim One-Piece", "Swimwear", ["swim", "hygiene"], "46.00", None, _GIRLS, (7, 0)),
    (
        "Monogrammed Pajama Set",
        "Sleepwear",
        ["personalized", "final-sale"],
        "72.00",
        None,
        _GIRLS,
        (4, 6),
    ),
    (
        "Bespoke Heirloom Christening Gown",
        "Bespoke",
        ["bespoke", "made-to-order", "final-sale"],
        "385.00",
        None,
        ("Made to measure",),
        (2, 0),
    ),
]

CUSTOMERS: list[tuple[str, str, dict[str, Any]]] = [
    ("Olivia", "Hart", {"city": "Brooklyn", "province_code": "NY", "zip": "11215"}),
    (
        "Amelia",
        "Chen",
        {"city": "San Francisco", "province": "California", "province_code": "CA", "zip": "94110"},
    ),
    (
        "Sofia",
        "Alvarez",
        {"city": "Austin", "province": "Texas", "province_code": "TX", "zip": "78704"},
    ),
    (
        "Grace",
        "Okafor",
        {"city": "Chicago", "province": "Illinois", "province_code": "IL", "zip": "60614"},
    ),
    (
        "Hannah",
        "Schmidt",
        {"city": "Denver", "province": "Colorado", "province_code": "CO", "zip": "80206"},
    ),
    (
        "Maya",
        "Patel",
        {"city": "Seattle", "province": "Washington", "province_code": "WA", "zip": "98103"},
    ),
    (
        "Charlotte",
        "Dubois",
        {
            "city": "Montreal",
            "province": "Quebec",
            "province_code": "QC",
            "zip": "H2T 1S1",
            "country_code": "CA",
        },
    ),
    (
        "Isla",
        "McGregor",
        {
            "city": "Edinburgh",
            "zip": "EH3 9DQ",
            "country_code": "GB",
            "province_code": None,
            "province": None,
        },
    ),
    (
        "Evelyn",
        "Brooks",
        {"city": "Atlanta", "province": "Georgia", "province_code": "GA", "zip": "30306"},
    ),
    (
        "Nora",
        "Lindqvist",
        {"city": "Minneapolis", "province": "Minnesota", "province_code": "MN", "zip": "55408"},
    ),
    (
        "Lucia",
        "Romano",
        {"city": "Boston", "province": "Massachusetts", "province_code": "MA", "zip": "02116"},
    ),
    (
        "Zoe",
        "Nakamura",
        {"city": "Portland", "province": "Oregon", "province_code": "OR", "zip": "97214"},
    ),
]
SHIPPING = [
    {"title": "Standard Shipping", "price": "6.95", "code": "standard"},
    {"title": "Standard Shipping", "price": "6.95", "code": "standard"},
    {"title": "Express Shipping", "price": "14.95", "code": "express"},
    {"title": "Free Shipping", "price": "0.00", "code": "free"},
]


def seed_demo(store: DevStore, *, orders: int = 36, rng: random.Random | None = None) -> s.Shop:
    """Create the three DEMO_SHOPS; returns hemline-demo.myshopify.com.

    `orders` and `rng` apply to hemline-demo only; the other two shops are scripted.
    """
    shop = _seed_hemline_demo(store, orders=orders, rng=rng)
    seed_lavish_ivy(store)
    seed_cn_consumer(store)
    return shop


def _seed_hemline_demo(store: DevStore, *, orders: int, rng: random.Random | None) -> s.Shop:
    """Create hemline-demo.myshopify.com with its catalogue, customers and orders."""
    # Seeded on purpose: demo data (not security), and every run looks the same.
    rng = rng or random.Random(2026)  # noqa: S311
    shop = store.create_shop(
        DEMO_SHOP,
        name="Petite Plume (demo)",
        email="hello@petiteplume.example",
        currency="USD",
        country_code="US",
        iana_timezone="America/New_York",
        locations=(STUDIO, WAREHOUSE),
    )
    for title, kind, tags, price, compare_at, sizes, (stock, incoming) in CATALOGUE:
        sku_root = "".join(w[0] for w in title.split()).upper()
        store.create_product(
            shop,
            title=title,
            product_type=kind,
            vendor="Petite Plume",
            tags=tags,
            variants=[
                {
                    "title": size,
                    "sku": f"PP-{sku_root}-{size.replace(' ', '').upper()}",
                    "price": price,
                    "compare_at_price": compare_at,
                    "inventory": {
                        STUDIO: {"available": stock, "incoming": incoming},
                        WAREHOUSE: {"available": stock // 2, "incoming": 0},
                    },
                }
                for size in sizes
            ],
        )
    for first, last, address in CUSTOMERS:
        store.create_customer(
            shop,
            email=f"{first.lower()}.{last.lower()}@example.com",
            first_name=first,
            last_name=last,
            address={
                "address1": f"{rng.randint(10, 990)} {rng.choice(['Park', 'Oak', 'Maple', 'Union'])} Street",
                **address,
            },
        )
    now = store.clock.now()
    ages = sorted((rng.uniform(0.2, 60.0) for _ in range(orders)), reverse=True)
    for i, age in enumerate(ages):
        placed = now - timedelta(days=age)
        order = random_order(store, shop, rng, created_at=placed, out_of_stock=(i % 17 == 16))
        _advance(store, shop, order, rng, age)
    return shop


def random_order(
    store: DevStore,
    shop: s.Shop,
    rng: random.Random,
    *,
    created_at: Any = None,
    out_of_stock: bool = False,
) -> s.Order:
    """An order from a random customer; out_of_stock picks a sold-out size and holds it."""
    customer = rng.choice(shop.customers) if shop.customers else None
    variants = [v for p in shop.products for v in p.variants]
    if out_of_stock:
        sold_out = [v for v in variants if v.available <= 0]
        picks = [rng.choice(sold_out or variants)]
    else:
        in_stock = [v for v in variants if v.available > 2] or variants
        picks = rng.sample(in_stock, k=min(len(in_stock), rng.choice([1, 1, 2, 2, 3])))
    return store.create_order(
        shop,
        customer=customer,
        lines=[{"variant": v, "quantity": rng.choice([1, 1, 1, 2])} for v in picks],
        shipping=rng.choice(_SHIPPING_BY_SHOP.get(shop.domain, SHIPPING)),
        shipping_address=dict(customer.default_address.__dict__)
        if customer and customer.default_address
        else None,
        created_at=created_at,
        hold_out_of_stock=out_of_stock,
    )


def _advance(store: DevStore, shop: s.Shop, order: s.Order, rng: random.Random, age: float) -> None:
    """Move an order along: older orders are shipped and mostly delivered."""
    if any(fo.status == "ON_HOLD" for fo in order.fulfillment_orders) or age < 2:
        return
    shipped_after = rng.uniform(0.5, 2.0)
    shipped_at = order.created_at + timedelta(days=shipped_after)
    carrier = rng.choice(["USPS", "USPS", "UPS"])
    fulfillment = store.fulfil(shop, order, tracking_company=carrier, at=shipped_at)
    transit_at = shipped_at + timedelta(hours=rng.uniform(6, 30))
    store.update_shipment(shop, fulfillment, "in_transit", at=transit_at)
    delivered_after = shipped_after + rng.uniform(2.0, 6.0)
    if age > delivered_after + 0.5 and rng.random() > 0.1:
        store.update_shipment(
            shop, fulfillment, "delivered", at=order.created_at + timedelta(days=delivered_after)
        )


# -- scripted shops: lavish-ivy-demo and cn-consumer-demo ------------------------------------

# sku root, title, product type, tags, price, compare-at price, sizes, stock per size
Product = tuple[str, str, str, list[str], str, str | None, tuple[str, ...], int]
# order age in days, lines (sku, quantity), index into the shop's shipping options, state,
# days since delivery (state "delivered" only). States: "unfulfilled"; "shipped" (in
# transit); "late" (shipped long ago, carrier reports a delay, never delivered); "delivered".
Script = tuple[float, list[tuple[str, int]], int, str, float | None]
# carrier, tracking number, tracking URL (None: the simulator's default for the carrier)
Tracking = Callable[[random.Random], tuple[str, str, str | None]]

_SIZE_CODES = {"均码": "F", "量体定制": "MTM"}  # one size, made to measure


def _sku(prefix: str, root: str, size: str) -> str:
    code = _SIZE_CODES.get(size) or re.sub(r"[^A-Z0-9]", "", size.upper())
    return f"{prefix}-{root}-{code}"


def _seed_catalogue(
    store: DevStore, shop: s.Shop, prefix: str, vendor: str, catalogue: Sequence[Product]
) -> None:
    primary, secondary = (loc.name for loc in shop.locations)
    for root, title, kind, tags, price, compare_at, sizes, stock in catalogue:
        store.create_product(
            shop,
            title=title,
            product_type=kind,
            vendor=vendor,
            tags=tags,
            variants=[
                {
                    "title": size,
                    "sku": _sku(prefix, root, size),
                    "price": price,
                    "compare_at_price": compare_at,
                    "inventory": {
                        primary: {"available": stock, "incoming": 0},
                        secondary: {"available": stock // 2, "incoming": 0},
                    },
                }
                for size in sizes
            ],
        )


def _play_orders(
    store: DevStore,
    shop: s.Shop,
    rng: random.Random,
    script: Sequence[Script],
    shipping: Sequence[dict[str, str]],
    tracking: Tracking,
) -> None:
    """Place the scripted orders oldest first and move each to its state."""
    now = store.clock.now()

    def past(at: datetime) -> datetime:
        return min(at, now)

    for age, lines, ship, state, delivered_ago in script:
        customer = rng.choice(shop.customers)
        address = customer.default_address
        order = store.create_order(
            shop,
            customer=customer,
            lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            shipping=shipping[ship],
            shipping_address=dict(address.__dict__) if address else None,
            created_at=now - timedelta(days=age, minutes=rng.randint(0, 240)),
        )
        if state == "unfulfilled":
            continue
        shipped_at = order.created_at + timedelta(days=rng.uniform(0.3, 1.0))
        carrier, number, url = tracking(rng)
        fulfillment = store.fulfil(
            shop,
            order,
            tracking_company=carrier,
            tracking_number=number,
            tracking_url=url,
            at=past(shipped_at),
        )
        transit_at = past(shipped_at + timedelta(hours=rng.uniform(4, 18)))
        store.update_shipment(shop, fulfillment, "in_transit", at=transit_at)
        if state == "late":
            delayed_at = past(shipped_at + timedelta(days=rng.uniform(4, 6)))
            store.update_shipment(
                shop,
                fulfillment,
                "delayed",
                at=delayed_at,
                estimated_delivery_at=delayed_at + timedelta(days=3),
            )
        elif state == "delivered":
            assert delivered_ago is not None, "a delivered order needs its delivery age"
            delivered_at = now - timedelta(days=delivered_ago, minutes=rng.randint(0, 240))
            store.update_shipment(shop, fulfillment, "delivered", at=max(delivered_at, transit_at))


# Lavish Ivy (lavish-ivy preset): boxed loungewear, robes and throws ship unopened
# (tag `boxed`), made-to-order pieces are tagged `bespoke`, several lines cost $175.00
# (10% would be $17.50, so the $15.00 restocking-fee cap applies) and several orders are
# over $300.00 (owner review). There is no final-sale rule, so the sale dress returns too.
LAVISH_IVY_SEED = 2027
LAVISH_CHICAGO, LAVISH_DALLAS = "Chicago Atelier", "Dallas Fulfillment Center"
_ADULT = ("XS", "S", "M", "L", "XL")
_ROBE = ("S/M", "L/XL")
LAVISH_IVY_CATALOGUE: list[Product] = [
    (
        "CLS",
        "Cashmere Lounge Set",
        "Loungewear",
        ["loungewear", "cashmere", "boxed"],
        "175.00",
        None,
        _ADULT,
        8,
    ),
    (
        "LPS",
        "Linen Pajama Set",
        "Sleepwear",
        ["sleepwear", "linen", "boxed"],
        "138.00",
        None,
        _ADULT,
        8,
    ),
    ("WSR", "Waffle Spa Robe", "Robes", ["robe", "boxed"], "128.00", None, _ROBE, 10),
    ("MSR", "Mulberry Silk Robe", "Robes", ["robe", "silk", "boxed"], "245.00", None, _ROBE, 6),
    (
        "ATB",
        "Alpaca Throw Blanket",
        "Throws",
        ["throw", "home", "boxed"],
        "195.00",
        None,
        ("Oat", "Sage", "Charcoal"),
        6,
    ),
    (
        "MKT",
        "Merino Knit Throw",
        "Throws",
        ["throw", "home", "boxed"],
        "175.00",
        None,
        ("Ivory", "Moss"),
        6,
    ),
    (
        "SPP",
        "Sateen Pillowcase Pair",
        "Home",
        ["home", "bedding", "boxed"],
        "68.00",
        None,
        ("Queen", "King"),
        12,
    ),
    (
        "CTS",
        "Cashmere Travel Socks",
        "Accessories",
        ["socks", "cashmere", "boxed"],
        "58.00",
        None,
        _ROBE,
        12,
    ),
    ("LWD", "Linen Wrap Dress", "Dresses", ["dress", "linen"], "185.00", None, _ADULT, 5),
    ("SSD", "Silk Slip Dress", "Dresses", ["dress", "silk", "sale"], "148.00", "198.00", _ADULT, 4),
    (
        "BEG",
        "Bespoke Silk Evening Gown",
        "Bespoke",
        ["bespoke", "made-to-order", "gown"],
        "890.00",
        None,
        ("Made to measure",),
        3,
    ),
    (
        "BMR",
        "Bespoke Monogrammed Robe",
        "Bespoke",
        ["bespoke", "made-to-order", "robe", "monogram"],
        "320.00",
        None,
        ("Made to measure",),
        3,
    ),
]
LAVISH_IVY_CUSTOMERS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Eleanor",
        "Whitfield",
        {
            "address1": "1840 N Lincoln Park West",
            "city": "Chicago",
            "province": "Illinois",
            "province_code": "IL",
            "zip": "60614",
        },
    ),
    (
        "Margaret",
        "Sullivan",
        {
            "address1": "1127 Judson Avenue",
            "city": "Evanston",
            "province": "Illinois",
            "province_code": "IL",
            "zip": "60202",
        },
    ),
    (
        "Priya",
        "Raman",
        {
            "address1": "415 S Washington Street",
            "city": "Naperville",
            "province": "Illinois",
            "province_code": "IL",
            "zip": "60540",
        },
    ),
    (
        "Vivian",
        "Castellanos",
        {
            "address1": "2211 Kirby Drive",
            "city": "Houston",
            "province": "Texas",
            "province_code": "TX",
            "zip": "77019",
        },
    ),
    (
        "Diane",
        "Kowalski",
        {
            "address1": "733 N Jackson Street",
            "city": "Milwaukee",
            "province": "Wisconsin",
            "province_code": "WI",
            "zip": "53202",
        },
    ),
    (
        "Josephine",
        "Hayes",
        {
            "address1": "3409 West End Avenue",
            "city": "Nashville",
            "province": "Tennessee",
            "province_code": "TN",
            "zip": "37205",
        },
    ),
    (
        "Catherine",
        "Ashford",
        {
            "address1": "48 Round Hill Road",
            "city": "Greenwich",
            "province": "Connecticut",
            "province_code": "CT",
            "zip": "06831",
        },
    ),
    (
        "Claire",
        "Beaumont",
        {
            "address1": "155 East 72nd Street",
            "city": "New York",
            "province": "New York",
            "province_code": "NY",
            "zip": "10021",
        },
    ),
]
# Titles are the preset's shipping-method names (fulfillment.shipping_methods in
# policies/presets/lavish-ivy.yaml), which key the promised date and delay compensation.
LAVISH_IVY_SHIPPING = [
    {"title": "standard", "price": "12.00", "code": "standard"},
    {"title": "expedited", "price": "28.00", "code": "expedited"},
]
_STANDARD, _EXPEDITED = 0, 1
LAVISH_IVY_ORDERS: list[Script] = [
    (97, [("LI-ATB-OAT", 1)], _STANDARD, "delivered", 92),  # past the 90-day failure window
    (84, [("LI-CLS-M", 1), ("LI-MKT-IVORY", 1)], _STANDARD, "delivered", 79),  # two $175 lines
    (68, [("LI-ATB-SAGE", 1), ("LI-SPP-KING", 1)], _STANDARD, "delivered", 63),
    (55, [("LI-BEG-MADETOMEASURE", 1)], _EXPEDITED, "delivered", 52),  # $890 bespoke: owner
    (41, [("LI-BMR-MADETOMEASURE", 1)], _STANDARD, "delivered", 37),  # in the 45-day exchange
    (36, [("LI-MKT-MOSS", 1), ("LI-WSR-SM", 1)], _STANDARD, "delivered", 32),
    (33, [("LI-MSR-LXL", 1)], _STANDARD, "late", None),
    (24, [("LI-CLS-S", 1), ("LI-CTS-SM", 1)], _EXPEDITED, "late", None),
    (19, [("LI-LPS-M", 1), ("LI-SSD-S", 1)], _STANDARD, "delivered", 14),
    (11, [("LI-CLS-L", 1)], _STANDARD, "delivered", 7),  # one $175 line: the fee-cap example
    (5, [("LI-MSR-SM", 1), ("LI-ATB-CHARCOAL", 1)], _EXPEDITED, "shipped", None),  # $440
    (1, [("LI-LWD-M", 1)], _STANDARD, "unfulfilled", None),
]


def _us_tracking(rng: random.Random) -> tuple[str, str, str | None]:
    if rng.random() < 0.5:
        return "UPS", "1Z" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", k=16)), None
    return "FedEx", "".join(rng.choices("0123456789", k=12)), None


def seed_lavish_ivy(store: DevStore, *, rng: random.Random | None = None) -> s.Shop:
    """Create lavish-ivy-demo.myshopify.com: 12 orders over the last 100 days."""
    rng = rng or random.Random(LAVISH_IVY_SEED)  # noqa: S311 - demo data, not security
    shop = store.create_shop(
        LAVISH_IVY_SHOP,
        name="Lavish Ivy (demo)",
        email="concierge@lavishivy.example",
        currency="USD",
        country_code="US",
        iana_timezone="America/Chicago",
        locations=(LAVISH_CHICAGO, LAVISH_DALLAS),
    )
    _seed_catalogue(store, shop, "LI", "Lavish Ivy", LAVISH_IVY_CATALOGUE)
    for first, last, address in LAVISH_IVY_CUSTOMERS:
        store.create_customer(
            shop,
            email=f"{first.lower()}.{last.lower()}@example.com",
            first_name=first,
            last_name=last,
            address={"country": "United States", "country_code": "US", **address},
        )
    _play_orders(store, shop, rng, LAVISH_IVY_ORDERS, LAVISH_IVY_SHIPPING, _us_tracking)
    return shop


# 青禾服饰 (cn-consumer preset): hygiene items (product types Underwear and Socks) and
# customized goods (tag `custom`) are excluded from no-reason returns, and so are
# clearance items sold below their compare-at price; shirts and dresses return normally.
CN_CONSUMER_SEED = 2028
CN_HANGZHOU, CN_SHANGHAI = "杭州仓库", "上海门店"
_CN_SIZES = ("S", "M", "L", "XL")
CN_CONSUMER_CATALOGUE: list[Product] = [
    ("OXS", "牛津纺长袖衬衫", "Shirts", ["shirt", "oxford"], "159.00", None, _CN_SIZES, 10),
    ("CTT", "纯棉圆领T恤", "Shirts", ["t-shirt", "cotton"], "79.00", None, _CN_SIZES, 20),
    ("FLD", "碎花连衣裙", "Dresses", ["dress", "floral"], "239.00", None, _CN_SIZES, 8),
    ("SSD", "真丝衬衫连衣裙", "Dresses", ["dress", "silk"], "459.00", None, _CN_SIZES, 6),
    ("DJK", "牛仔外套", "Outerwear", ["jacket", "denim"], "329.00", None, _CN_SIZES, 6),
    ("MUW", "莫代尔内裤三条装", "Underwear", ["underwear", "modal"], "69.00", None, _CN_SIZES, 20),
    (
        "CTU",
        "纯棉保暖内衣套装",
        "Underwear",
        ["underwear", "thermal"],
        "129.00",
        None,
        _CN_SIZES,
        12,
    ),
    ("CSK", "精梳棉船袜五双装", "Socks", ["socks", "cotton"], "39.00", None, ("均码",), 40),
    ("WSK", "羊毛中筒袜", "Socks", ["socks", "wool"], "49.00", None, ("均码",), 30),
    ("ESH", "定制刺绣姓名衬衫", "Shirts", ["custom", "embroidery"], "299.00", None, _CN_SIZES, 5),
    (
        "QPD",
        "定制真丝旗袍",
        "Dresses",
        ["custom", "made-to-measure", "qipao"],
        "1280.00",
        None,
        ("量体定制",),
        3,
    ),
    ("LWP", "亚麻阔腿裤", "Pants", ["clearance", "linen"], "99.00", "259.00", _CN_SIZES, 6),
    ("KCD", "针织开衫", "Knitwear", ["clearance", "knit"], "129.00", "299.00", _CN_SIZES, 6),
]
_SHANGHAI = {"city": "上海市", "province": "Shanghai", "province_code": "SH"}
_HANGZHOU = {"city": "杭州市", "province": "Zhejiang", "province_code": "ZJ"}
_BEIJING = {"city": "北京市", "province": "Beijing", "province_code": "BJ"}
# given name, family name, pinyin for the email, address
CN_CONSUMER_CUSTOMERS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "芳",
        "王",
        "wang.fang",
        {
            **_SHANGHAI,
            "address1": "徐汇区衡山路88弄12号",
            "zip": "200031",
            "phone": "+86 138 1652 0417",
        },
    ),
    (
        "娜",
        "李",
        "li.na",
        {
            **_SHANGHAI,
            "address1": "浦东新区世纪大道1568号",
            "zip": "200122",
            "phone": "+86 139 1837 6620",
        },
    ),
    (
        "伟",
        "张",
        "zhang.wei",
        {
            **_SHANGHAI,
            "address1": "静安区南京西路1266号",
            "zip": "200040",
            "phone": "+86 136 0172 8853",
        },
    ),
    (
        "静",
        "陈",
        "chen.jing",
        {
            **_HANGZHOU,
            "address1": "西湖区文三路90号",
            "zip": "310012",
            "phone": "+86 158 5713 2291",
        },
    ),
    (
        "洋",
        "刘",
        "liu.yang",
        {
            **_HANGZHOU,
            "address1": "滨江区江南大道588号",
            "zip": "310052",
            "phone": "+86 187 6824 0935",
        },
    ),
    (
        "婷",
        "黄",
        "huang.ting",
        {
            **_HANGZHOU,
            "address1": "上城区延安路258号",
            "zip": "310002",
            "phone": "+86 135 8846 1179",
        },
    ),
    (
        "磊",
        "杨",
        "yang.lei",
        {**_BEIJING, "address1": "朝阳区建国路93号", "zip": "100022", "phone": "+86 186 1093 5528"},
    ),
    (
        "敏",
        "赵",
        "zhao.min",
        {
            **_BEIJING,
            "address1": "海淀区中关村大街27号",
            "zip": "100080",
            "phone": "+86 130 5118 7746",
        },
    ),
    (
        "杰",
        "周",
        "zhou.jie",
        {
            **_BEIJING,
            "address1": "东城区东直门内大街5号",
            "zip": "100007",
            "phone": "+86 152 0107 3362",
        },
    ),
]
CN_CONSUMER_SHIPPING = [
    {"title": "顺丰标快", "price": "12.00", "code": "sf-standard"},
    {"title": "包邮", "price": "0.00", "code": "free"},
]
_SF, _FREE = 0, 1
CN_CONSUMER_ORDERS: list[Script] = [
    (29, [("QH-OXS-M", 1), ("QH-CSK-F", 2)], _FREE, "delivered", 26),
    (27, [("QH-QPD-MTM", 1)], _SF, "delivered", 24),  # custom qipao
    (23, [("QH-LWP-M", 1), ("QH-CTT-L", 1)], _FREE, "delivered", 20),  # clearance trousers
    (20, [("QH-MUW-M", 1), ("QH-FLD-S", 1)], _FREE, "delivered", 17),
    (16, [("QH-SSD-M", 1)], _SF, "delivered", 13),
    (13, [("QH-KCD-L", 1), ("QH-WSK-F", 1)], _FREE, "delivered", 10),
    (12, [("QH-DJK-L", 1)], _SF, "delivered", 9),
    (8, [("QH-ESH-M", 1), ("QH-CSK-F", 1)], _SF, "delivered", 5),  # custom shirt, 7-day window
    (6, [("QH-CTT-M", 2), ("QH-CTU-L", 1)], _FREE, "delivered", 3),
    (4, [("QH-FLD-M", 1)], _FREE, "delivered", 1.5),
    (2.5, [("QH-OXS-L", 1)], _SF, "shipped", None),
    (0.4, [("QH-SSD-S", 1), ("QH-WSK-F", 1)], _FREE, "unfulfilled", None),
]


def _sf_tracking(rng: random.Random) -> tuple[str, str, str | None]:
    number = "SF" + "".join(rng.choices("0123456789", k=13))
    return (
        "SF Express",
        number,
        f"https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    )


def seed_cn_consumer(store: DevStore, *, rng: random.Random | None = None) -> s.Shop:
    """Create cn-consumer-demo.myshopify.com: 12 orders over the last 30 days."""
    rng = rng or random.Random(CN_CONSUMER_SEED)  # noqa: S311 - demo data, not security
    shop = store.create_shop(
        CN_CONSUMER_SHOP,
        name="青禾服饰 (demo)",
        email="service@qinghe.example",
        currency="CNY",
        country_code="CN",
        iana_timezone="Asia/Shanghai",
        locations=(CN_HANGZHOU, CN_SHANGHAI),
    )
    _seed_catalogue(store, shop, "QH", "青禾服饰", CN_CONSUMER_CATALOGUE)
    for given, family, pinyin, address in CN_CONSUMER_CUSTOMERS:
        store.create_customer(
            shop,
            email=f"{pinyin}@example.com",
            first_name=given,
            last_name=family,
            address={"country": "China", "country_code": "CN", **address},
        )
    _play_orders(store, shop, rng, CN_CONSUMER_ORDERS, CN_CONSUMER_SHIPPING, _sf_tracking)
    return shop


# random_order (the page's "New order" button) uses the shop's own shipping options.
_SHIPPING_BY_SHOP: dict[str, list[dict[str, str]]] = {
    LAVISH_IVY_SHOP: LAVISH_IVY_SHIPPING,
    CN_CONSUMER_SHOP: CN_CONSUMER_SHIPPING,
}
