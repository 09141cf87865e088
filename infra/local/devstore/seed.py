"""Demo data: a children's boutique with a few dozen orders over the last 60 days.

The shop is created without the app installed (OAuth is driven by the app),
so seeding sends no webhooks. Randomness is seeded: every run looks the same
relative to "now".
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from infra.local.devstore import state as s
from infra.local.devstore.store import DevStore

DEMO_SHOP = "hemline-demo.myshopify.com"
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
        shipping=rng.choice(SHIPPING),
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
