"""Seed the local stack with the demo shop, so `make run` has a merchant to show."""

from __future__ import annotations

from datetime import UTC, datetime

from app.adapters.dynamo.store import DynamoStore
from app.domain.shops import Shop

DEMO_SHOP = "hemline-demo.myshopify.com"


def seed_demo_shop(store: DynamoStore, *, now: datetime | None = None) -> Shop:
    """Create the demo shop if it is missing; an existing one (and its data) is kept."""
    existing = store.get_shop(DEMO_SHOP)
    if existing is not None and existing.is_installed:
        return existing
    shop = Shop(
        domain=DEMO_SHOP,
        status="installed",
        installed_at=now or datetime.now(UTC),
        name="Hemline Demo Boutique",
        country="US",
        timezone="America/New_York",
        currency="USD",
        policy_preset="petite-plume",
    )
    store.put_shop(shop)
    return shop
