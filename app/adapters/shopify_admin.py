"""The app's uses of the Admin API that are not one call: shop set-up and order import.

`ShopifyShopSetup` reads the shop's profile and makes sure the webhook
subscriptions Hemline handles exist (idempotent: it creates only what is
missing, so re-installs and the daily reconciliation never duplicate one).
`admin_order_to_snapshot` turns an Admin API order into the same values the
webhooks produce, enriched with what webhooks lack (compare-at price, product
type and tags, delivery time).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from app.domain.orders import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    OrderSnapshot,
    Refund,
    RefundLine,
)
from app.domain.shops import ShopProfile
from app.shopify.client import AdminClient
from app.shopify.models import Order


def graphql_topic(topic: str) -> str:
    """'orders/create' -> 'ORDERS_CREATE' (WebhookSubscriptionTopic)."""
    return topic.upper().replace("/", "_")


def gid_tail(gid: str) -> int:
    """'gid://shopify/LineItem/123?x=1' -> 123."""
    return int(gid.rsplit("/", 1)[1].split("?", 1)[0])


class ShopifyShopSetup:
    """ShopSetup on the Admin API, for one shop at a time."""

    def __init__(self, admin_for: Callable[[str], AdminClient]):
        self._admin_for = admin_for

    def shop_profile(self, shop: str) -> ShopProfile:
        info = self._admin_for(shop).shop()
        return ShopProfile(
            name=info.name,
            country=info.country_code or "US",
            timezone=info.iana_timezone,
            currency=info.currency,
        )

    def ensure_webhook_subscriptions(
        self, shop: str, callback_url: str, topics: tuple[str, ...]
    ) -> list[str]:
        admin = self._admin_for(shop)
        existing = {(s.topic, s.uri) for s in admin.webhook_subscriptions()}
        created = []
        for topic in topics:
            if (graphql_topic(topic), callback_url) not in existing:
                admin.create_webhook_subscription(graphql_topic(topic), callback_url)
                created.append(topic)
        return created


def admin_order_to_snapshot(order: Order) -> tuple[OrderSnapshot, list[Fulfillment], list[Refund]]:
    """One Admin API order as the snapshot, fulfillments and refunds Hemline stores."""
    order_id = order.legacy_id
    lines = tuple(
        LineItem(
            id=gid_tail(line.id),
            title=line.title,
            quantity=line.quantity,
            price=line.unit_price.amount,
            sku=line.sku,
            variant_id=gid_tail(line.variant_id) if line.variant_id else None,
            product_id=gid_tail(line.product_id) if line.product_id else None,
            variant_title=line.variant_title,
            total_discount=(line.unit_price.amount - line.discounted_unit_price.amount)
            * line.quantity,
            compare_at_price=line.compare_at_price,
            product_type=line.product_type,
            tags=line.product_tags,
        )
        for line in order.lines
    )
    active_shipping = [s for s in order.shipping_lines if not s.is_removed]
    snapshot = OrderSnapshot(
        id=order_id,
        name=order.name,
        created_at=order.created_at,
        updated_at=order.updated_at,
        currency=order.currency,
        subtotal=order.subtotal.amount,
        total=order.total.amount,
        line_items=lines,
        email=order.email,
        customer_id=gid_tail(order.customer_id) if order.customer_id else None,
        processed_at=order.processed_at,
        cancelled_at=order.cancelled_at,
        shipping_price=order.total_shipping.amount,
        shipping_country=order.shipping_country,
        shipping_zip=order.shipping_zip,
        shipping_method=active_shipping[0].title if active_shipping else None,
        financial_status=(order.financial_status or "").lower() or None,
        fulfillment_status=(order.fulfillment_status or "").lower() or None,
        tags=order.tags,
        test=order.test,
    )
    fulfillments = [
        Fulfillment(
            id=gid_tail(f.id),
            order_id=order_id,
            status=f.status.lower(),
            created_at=f.created_at,
            updated_at=f.delivered_at or f.in_transit_at or f.created_at,
            shipment_status="delivered"
            if f.delivered_at
            else ("in_transit" if f.in_transit_at else None),
            tracking_company=f.tracking_company,
            tracking_number=f.tracking_number,
            tracking_url=f.tracking_url,
            lines=tuple(FulfillmentLine(gid_tail(ln.line_item_id), ln.quantity) for ln in f.lines),
            delivered_at=f.delivered_at,
        )
        for f in order.fulfillments
    ]
    refunds = [
        Refund(
            id=gid_tail(r.id),
            order_id=order_id,
            created_at=r.created_at or order.updated_at,
            lines=tuple(
                RefundLine(
                    line_item_id=gid_tail(ln.line_item_id),
                    quantity=ln.quantity,
                    subtotal=ln.subtotal.amount,
                    total_tax=Decimal("0"),
                    restock_type=(ln.restock_type or "").lower() or None,
                )
                for ln in r.lines
            ),
            amount=r.total.amount,
            return_id=gid_tail(r.return_id) if r.return_id else None,
            note=r.note,
        )
        for r in order.refunds
    ]
    return snapshot, fulfillments, refunds
