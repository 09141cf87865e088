"""Item codecs: domain values <-> DynamoDB attribute maps.

Money is stored as a decimal string (exact, currency-agnostic), times as ISO
8601 with their offset plus epoch milliseconds where an order of updates
matters. Nothing here does I/O.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.orders import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    OrderSnapshot,
    Refund,
    RefundLine,
)
from app.domain.rma import Rma, RmaLine, TimelineEntry
from app.domain.shops import Shop


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _pt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _m(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _pm(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _b(value: Any) -> bytes | None:
    """A binary attribute as bytes (the deserializer hands back a Binary wrapper)."""
    return bytes(value) if value is not None else None


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: DynamoDB stores absence more cheaply than NULL."""
    return {k: v for k, v in d.items() if v is not None and v != ()}


# Profile attributes a merchant can clear: absent from shop_to_item when None.
SHOP_OPTIONAL_FIELDS = (
    "return_address",
    "sender_email",
    "policy_overrides",
    "label_api_key_encrypted",
    "support_email",
)


def shop_to_item(shop: Shop) -> dict[str, Any]:
    return _compact(
        {
            "domain": shop.domain,
            "status": shop.status,
            "installed_at": _t(shop.installed_at),
            "uninstalled_at": _t(shop.uninstalled_at),
            "name": shop.name,
            "country": shop.country,
            "timezone": shop.timezone,
            "currency": shop.currency,
            "policy_preset": shop.policy_preset,
            "return_address": dict(shop.return_address) if shop.return_address else None,
            "label_provider": shop.label_provider,
            "sender_email": shop.sender_email,
            "store_credit_bonus_percent": _m(shop.store_credit_bonus_percent),
            "policy_overrides": dict(shop.policy_overrides) if shop.policy_overrides else None,
            "label_api_key_encrypted": shop.label_api_key_encrypted,
            "support_email": shop.support_email,
        }
    )


def shop_from_item(item: dict[str, Any]) -> Shop:
    return Shop(
        domain=item["domain"],
        status=item["status"],
        installed_at=_pt(item.get("installed_at")),
        uninstalled_at=_pt(item.get("uninstalled_at")),
        name=item.get("name"),
        country=item.get("country", "US"),
        timezone=item.get("timezone", "America/New_York"),
        currency=item.get("currency", "USD"),
        policy_preset=item.get("policy_preset", "petite-plume"),
        return_address=item.get("return_address"),
        label_provider=item.get("label_provider", "builtin"),
        sender_email=item.get("sender_email"),
        store_credit_bonus_percent=Decimal(item.get("store_credit_bonus_percent", "0")),
        policy_overrides=item.get("policy_overrides") or None,
        label_api_key_encrypted=_b(item.get("label_api_key_encrypted")),
        support_email=item.get("support_email"),
    )


def _line_to_map(li: LineItem) -> dict[str, Any]:
    return _compact(
        {
            "id": li.id,
            "title": li.title,
            "quantity": li.quantity,
            "price": _m(li.price),
            "sku": li.sku,
            "variant_id": li.variant_id,
            "product_id": li.product_id,
            "variant_title": li.variant_title,
            "total_discount": _m(li.total_discount),
            "compare_at_price": _m(li.compare_at_price),
            "product_type": li.product_type,
            "tags": list(li.tags) or None,
        }
    )


def _line_from_map(m: dict[str, Any]) -> LineItem:
    return LineItem(
        id=int(m["id"]),
        title=m.get("title", ""),
        quantity=int(m["quantity"]),
        price=Decimal(m["price"]),
        sku=m.get("sku"),
        variant_id=int(m["variant_id"]) if "variant_id" in m else None,
        product_id=int(m["product_id"]) if "product_id" in m else None,
        variant_title=m.get("variant_title"),
        total_discount=Decimal(m.get("total_discount", "0")),
        compare_at_price=_pm(m.get("compare_at_price")),
        product_type=m.get("product_type"),
        tags=tuple(m.get("tags") or ()),
    )


def order_to_item(order: OrderSnapshot) -> dict[str, Any]:
    return _compact(
        {
            "type": "order",
            "order_id": order.id,
            "name": order.name,
            "created_at": _t(order.created_at),
            "updated_at": _t(order.updated_at),
            "updated_ms": epoch_ms(order.updated_at),
            "currency": order.currency,
            "subtotal": _m(order.subtotal),
            "total": _m(order.total),
            "line_items": [_line_to_map(li) for li in order.line_items],
            "email": order.email,
            "customer_id": order.customer_id,
            "processed_at": _t(order.processed_at),
            "cancelled_at": _t(order.cancelled_at),
            "total_discounts": _m(order.total_discounts),
            "shipping_price": _m(order.shipping_price),
            "shipping_country": order.shipping_country,
            "shipping_zip": order.shipping_zip,
            "shipping_method": order.shipping_method,
            "financial_status": order.financial_status,
            "fulfillment_status": order.fulfillment_status,
            "tags": list(order.tags) or None,
            "customer_locale": order.customer_locale,
            "test": order.test,
        }
    )


def order_from_item(item: dict[str, Any]) -> OrderSnapshot:
    created_at = _pt(item["created_at"])
    updated_at = _pt(item["updated_at"])
    assert created_at is not None and updated_at is not None
    return OrderSnapshot(
        id=int(item["order_id"]),
        name=item["name"],
        created_at=created_at,
        updated_at=updated_at,
        currency=item["currency"],
        subtotal=Decimal(item["subtotal"]),
        total=Decimal(item["total"]),
        line_items=tuple(_line_from_map(m) for m in item.get("line_items", [])),
        email=item.get("email"),
        customer_id=int(item["customer_id"]) if "customer_id" in item else None,
        processed_at=_pt(item.get("processed_at")),
        cancelled_at=_pt(item.get("cancelled_at")),
        total_discounts=Decimal(item.get("total_discounts", "0")),
        shipping_price=Decimal(item.get("shipping_price", "0")),
        shipping_country=item.get("shipping_country"),
        shipping_zip=item.get("shipping_zip"),
        shipping_method=item.get("shipping_method"),
        financial_status=item.get("financial_status"),
        fulfillment_status=item.get("fulfillment_status"),
        tags=tuple(item.get("tags") or ()),
        customer_locale=item.get("customer_locale"),
        test=bool(item.get("test", False)),
    )


def fulfillment_to_item(f: Fulfillment) -> dict[str, Any]:
    return _compact(
        {
            "type": "fulfillment",
            "fulfillment_id": f.id,
            "order_id": f.order_id,
            "status": f.status,
            "created_at": _t(f.created_at),
            "updated_at": _t(f.updated_at),
            "updated_ms": epoch_ms(f.updated_at),
            "shipment_status": f.shipment_status,
            "tracking_company": f.tracking_company,
            "tracking_number": f.tracking_number,
            "tracking_url": f.tracking_url,
            "lines": [{"line_item_id": ln.line_item_id, "quantity": ln.quantity} for ln in f.lines],
            "delivered_at": _t(f.delivered_at),
        }
    )


def fulfillment_from_item(item: dict[str, Any]) -> Fulfillment:
    created_at = _pt(item["created_at"])
    updated_at = _pt(item["updated_at"])
    assert created_at is not None and updated_at is not None
    return Fulfillment(
        id=int(item["fulfillment_id"]),
        order_id=int(item["order_id"]),
        status=item["status"],
        created_at=created_at,
        updated_at=updated_at,
        shipment_status=item.get("shipment_status"),
        tracking_company=item.get("tracking_company"),
        tracking_number=item.get("tracking_number"),
        tracking_url=item.get("tracking_url"),
        lines=tuple(
            FulfillmentLine(int(m["line_item_id"]), int(m["quantity"]))
            for m in item.get("lines", [])
        ),
        delivered_at=_pt(item.get("delivered_at")),
    )


def refund_to_item(r: Refund) -> dict[str, Any]:
    return _compact(
        {
            "type": "refund",
            "refund_id": r.id,
            "order_id": r.order_id,
            "created_at": _t(r.created_at),
            "amount": _m(r.amount),
            "return_id": r.return_id,
            "note": r.note,
            "lines": [
                _compact(
                    {
                        "line_item_id": ln.line_item_id,
                        "quantity": ln.quantity,
                        "subtotal": _m(ln.subtotal),
                        "total_tax": _m(ln.total_tax),
                        "restock_type": ln.restock_type,
                    }
                )
                for ln in r.lines
            ],
        }
    )


def refund_from_item(item: dict[str, Any]) -> Refund:
    created_at = _pt(item["created_at"])
    assert created_at is not None
    return Refund(
        id=int(item["refund_id"]),
        order_id=int(item["order_id"]),
        created_at=created_at,
        amount=Decimal(item["amount"]),
        return_id=int(item["return_id"]) if "return_id" in item else None,
        note=item.get("note"),
        lines=tuple(
            RefundLine(
                line_item_id=int(m["line_item_id"]),
                quantity=int(m["quantity"]),
                subtotal=Decimal(m["subtotal"]),
                total_tax=Decimal(m["total_tax"]),
                restock_type=m.get("restock_type"),
            )
            for m in item.get("lines", [])
        ),
    )


def _rma_line_to_map(ln: RmaLine) -> dict[str, Any]:
    return _compact(
        {
            "line_item_id": ln.line_item_id,
            "title": ln.title,
            "quantity": ln.quantity,
            "price": _m(ln.price),
            "reason": ln.reason,
            "resolution": ln.resolution,
            "condition": ln.condition,
            "refund_amount": _m(ln.refund_amount),
            "restocking_fee": _m(ln.restocking_fee),
            "label_fee": _m(ln.label_fee),
            "exchange_fee": _m(ln.exchange_fee),
            "photos": list(ln.photos) or None,
            "sku": ln.sku,
            "variant_id": ln.variant_id,
            "exchange_variant_id": ln.exchange_variant_id,
            "received_quantity": ln.received_quantity,
            "received_condition": ln.received_condition,
            "restock": ln.restock,
            "note": ln.note,
        }
    )


def _rma_line_from_map(m: dict[str, Any]) -> RmaLine:
    def opt_int(key: str) -> int | None:
        return int(m[key]) if key in m else None

    return RmaLine(
        line_item_id=int(m["line_item_id"]),
        title=m["title"],
        quantity=int(m["quantity"]),
        price=Decimal(m["price"]),
        reason=m["reason"],
        resolution=m["resolution"],
        condition=m.get("condition", ""),
        refund_amount=Decimal(m["refund_amount"]),
        restocking_fee=Decimal(m.get("restocking_fee", "0.00")),
        label_fee=Decimal(m.get("label_fee", "0.00")),
        exchange_fee=Decimal(m.get("exchange_fee", "0.00")),
        photos=tuple(m.get("photos") or ()),
        sku=m.get("sku"),
        variant_id=opt_int("variant_id"),
        exchange_variant_id=opt_int("exchange_variant_id"),
        received_quantity=opt_int("received_quantity"),
        received_condition=m.get("received_condition"),
        restock=bool(m.get("restock", False)),
        note=m.get("note"),
    )


def rma_to_item(rma: Rma) -> dict[str, Any]:
    return _compact(
        {
            "type": "rma",
            "number": rma.number,
            "shop": rma.shop,
            "order_id": rma.order_id,
            "order_name": rma.order_name,
            "currency": rma.currency,
            "state": rma.state,
            "lines": [_rma_line_to_map(ln) for ln in rma.lines],
            "created_at": _t(rma.created_at),
            "updated_at": _t(rma.updated_at),
            "requires_review": rma.requires_review,
            "approver_role": rma.approver_role,
            "refund_total": _m(rma.refund_total),
            "return_shipping_paid_by": rma.return_shipping_paid_by,
            "prepaid_label": rma.prepaid_label,
            "timeline": [
                _compact({"at": _t(e.at), "actor": e.actor, "action": e.action, "note": e.note})
                for e in rma.timeline
            ],
            "shopify_return_id": rma.shopify_return_id,
            "label": rma.label,
            "decline_reason": rma.decline_reason,
            "customer_email": rma.customer_email,
            "locale": rma.locale,
        }
    )


def rma_from_item(item: dict[str, Any]) -> Rma:
    created_at = _pt(item["created_at"])
    updated_at = _pt(item["updated_at"])
    assert created_at is not None and updated_at is not None
    return Rma(
        number=item["number"],
        shop=item["shop"],
        order_id=int(item["order_id"]),
        order_name=item["order_name"],
        currency=item["currency"],
        state=item["state"],
        lines=tuple(_rma_line_from_map(m) for m in item.get("lines", [])),
        created_at=created_at,
        updated_at=updated_at,
        version=int(item.get("version", 0)),
        requires_review=bool(item.get("requires_review", False)),
        approver_role=item.get("approver_role"),
        refund_total=Decimal(item.get("refund_total", "0.00")),
        return_shipping_paid_by=item.get("return_shipping_paid_by", "customer"),
        prepaid_label=bool(item.get("prepaid_label", False)),
        timeline=tuple(
            TimelineEntry(at=_pt(e["at"]), actor=e["actor"], action=e["action"], note=e.get("note"))  # type: ignore[arg-type]
            for e in item.get("timeline", [])
        ),
        shopify_return_id=item.get("shopify_return_id"),
        label=item.get("label"),
        decline_reason=item.get("decline_reason"),
        customer_email=item.get("customer_email"),
        locale=item.get("locale", "en"),
    )
