"""REST-shaped (snake_case) webhook bodies built from simulator state.

Key sets and value types follow Shopify's published samples in
../shared/shopify/webhooks/ (the integration tests compare them): integer ids
with `admin_graphql_api_id` GIDs, money as strings with shop/presentment sets,
times as ISO 8601 in the shop's time zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.devstore import state as s

APP_ID = 6_114_929_000_000_001
_COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "AU": "Australia",
    "FR": "France",
    "DE": "Germany",
}
_REASON_FROM_HANDLE = {
    "size-too-small": "size_too_small",
    "size-too-large": "size_too_large",
    "changed-mind": "unwanted",
    "not-as-described": "not_as_described",
    "received-wrong-item": "wrong_item",
    "damaged-or-defective": "defective",
    "arrived-damaged": "defective",
    "style": "style",
    "color": "color",
    "other": "other",
}


def timestamp(shop: s.Shop, moment: datetime | None) -> str | None:
    """ISO 8601 with the shop's UTC offset, as Shopify prints REST times."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(shop.iana_timezone)).isoformat(timespec="seconds")


def amount(value: Decimal) -> str:
    return str(s.money(value))


def money_set(value: Decimal, currency: str) -> dict[str, Any]:
    one = {"amount": amount(value), "currency_code": currency}
    return {"shop_money": one, "presentment_money": dict(one)}


def address(addr: s.Address | None) -> dict[str, Any] | None:
    if addr is None:
        return None
    return {
        "first_name": addr.first_name,
        "address1": addr.address1,
        "phone": addr.phone,
        "city": addr.city,
        "zip": addr.zip,
        "province": addr.province,
        "country": addr.country or _COUNTRY_NAMES.get(addr.country_code or "", addr.country_code),
        "last_name": addr.last_name,
        "address2": addr.address2,
        "company": addr.company,
        "latitude": None,
        "longitude": None,
        "name": addr.name,
        "country_code": addr.country_code,
        "province_code": addr.province_code,
    }


def customer(shop: s.Shop, cust: s.Customer | None) -> dict[str, Any] | None:
    if cust is None:
        return None
    default_address = None
    if cust.default_address is not None:
        a = cust.default_address
        default_address = {
            "id": cust.id + 1,
            "customer_id": cust.id,
            "first_name": a.first_name,
            "last_name": a.last_name,
            "company": a.company,
            "address1": a.address1,
            "address2": a.address2,
            "city": a.city,
            "province": a.province,
            "country": a.country or _COUNTRY_NAMES.get(a.country_code or "", a.country_code),
            "zip": a.zip,
            "phone": a.phone,
            "name": a.name,
            "province_code": a.province_code,
            "country_code": a.country_code,
            "country_name": _COUNTRY_NAMES.get(a.country_code or "", a.country_code),
            "default": True,
        }
    return {
        "id": cust.id,
        "created_at": timestamp(shop, cust.created_at),
        "updated_at": timestamp(shop, cust.updated_at),
        "first_name": cust.first_name,
        "last_name": cust.last_name,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "email": cust.email,
        "phone": None,
        "currency": shop.currency,
        "tax_exemptions": [],
        "admin_graphql_api_id": cust.gid,
        "default_address": default_address,
    }


def _line_item_core(li: s.LineItem) -> dict[str, Any]:
    currency = li.order.currency
    product = li.product
    return {
        "id": li.id,
        "variant_id": li.variant.id if li.variant else None,
        "title": li.title,
        "quantity": li.quantity,
        "sku": li.sku,
        "variant_title": li.variant_title,
        "vendor": li.vendor,
        "fulfillment_service": "manual",
        "product_id": product.id if product else None,
        "requires_shipping": li.requires_shipping,
        "taxable": li.taxable,
        "gift_card": False,
        "name": li.name,
        "variant_inventory_management": "shopify" if li.variant else None,
        "properties": [],
        "product_exists": product is not None,
        "fulfillable_quantity": li.unfulfilled_quantity,
        "grams": li.grams,
        "price": amount(li.unit_price),
        "total_discount": amount(li.total_discount_set),
        "fulfillment_status": _line_fulfillment_status(li),
        "price_set": money_set(li.unit_price, currency),
        "total_discount_set": money_set(li.total_discount_set, currency),
        "discount_allocations": [],
        "duties": [],
        "admin_graphql_api_id": li.gid,
        "tax_lines": [],
    }


def _line_fulfillment_status(li: s.LineItem) -> str | None:
    shipped = li.fulfilled_quantity
    if shipped == 0:
        return None
    return "fulfilled" if shipped >= li.current_quantity else "partial"


def order_line_item(li: s.LineItem) -> dict[str, Any]:
    core = _line_item_core(li)
    return {
        "id": core["id"],
        "admin_graphql_api_id": core["admin_graphql_api_id"],
        "attributed_staffs": [],
        "current_quantity": li.current_quantity,
        "fulfillable_quantity": core["fulfillable_quantity"],
        "fulfillment_service": core["fulfillment_service"],
        "fulfillment_status": core["fulfillment_status"],
        "gift_card": False,
        "grams": core["grams"],
        "name": core["name"],
        "price": core["price"],
        "price_set": core["price_set"],
        "product_exists": core["product_exists"],
        "product_id": core["product_id"],
        "properties": [],
        "quantity": core["quantity"],
        "requires_shipping": core["requires_shipping"],
        "sales_line_item_group_id": None,
        "sku": core["sku"],
        "taxable": core["taxable"],
        "title": core["title"],
        "total_discount": core["total_discount"],
        "total_discount_set": core["total_discount_set"],
        "variant_id": core["variant_id"],
        "variant_inventory_management": core["variant_inventory_management"],
        "variant_title": core["variant_title"],
        "vendor": core["vendor"],
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


def shipping_line(line: s.ShippingLine) -> dict[str, Any]:
    currency = line.order.currency
    return {
        "id": line.id,
        "carrier_identifier": None,
        "code": line.code,
        "current_discounted_price_set": money_set(line.price, currency),
        "discounted_price": amount(line.price),
        "discounted_price_set": money_set(line.price, currency),
        "is_removed": line.is_removed,
        "phone": None,
        "price": amount(line.price),
        "price_set": money_set(line.price, currency),
        "requested_fulfillment_service_id": None,
        "source": line.source,
        "title": line.title,
        "tax_lines": [],
        "discount_allocations": [],
    }


def fulfillment(f: s.Fulfillment) -> dict[str, Any]:
    order = f.order
    shop = order.shop
    lines = []
    for fli in f.fulfillment_line_items:
        body = _line_item_core(fli.line_item)
        body["quantity"] = fli.quantity
        lines.append(body)
    return {
        "id": f.id,
        "order_id": order.id,
        "status": f.status.lower(),
        "created_at": timestamp(shop, f.created_at),
        "service": "manual",
        "updated_at": timestamp(shop, f.updated_at),
        "tracking_company": f.tracking_company,
        "shipment_status": f.shipment_status,
        "location_id": f.location.id,
        "origin_address": None,
        "email": order.email,
        "destination": address(order.shipping_address),
        "line_items": lines,
        "tracking_number": f.tracking_number,
        "tracking_numbers": [f.tracking_number] if f.tracking_number else [],
        "tracking_url": f.tracking_url,
        "tracking_urls": [f.tracking_url] if f.tracking_url else [],
        "receipt": {},
        "name": f.name,
        "admin_graphql_api_id": f.gid,
    }


def transaction(t: s.Transaction) -> dict[str, Any]:
    shop = t.order.shop
    return {
        "id": t.id,
        "order_id": t.order.id,
        "kind": t.kind.lower(),
        "gateway": t.gateway,
        "status": t.status.lower(),
        "message": None,
        "created_at": timestamp(shop, t.created_at),
        "test": t.test,
        "authorization": None,
        "location_id": None,
        "user_id": None,
        "parent_id": t.parent.id if t.parent else None,
        "processed_at": timestamp(shop, t.created_at),
        "device_id": None,
        "error_code": None,
        "source_name": "web",
        "receipt": {},
        "amount": amount(t.amount),
        "currency": t.order.currency,
        "payment_id": f"{t.order.name}.{t.id % 1000}",
        # Shopify prints this set with the placeholder currency "XXX".
        "total_unsettled_set": {
            "presentment_money": {"amount": "0.0", "currency": "XXX"},
            "shop_money": {"amount": "0.0", "currency": "XXX"},
        },
        "manual_payment_gateway": False,
        "amount_rounding": None,
        "admin_graphql_api_id": t.gid,
    }


def refund(r: s.Refund) -> dict[str, Any]:
    order = r.order
    shop = order.shop
    currency = order.currency
    shipping_lines = []
    if r.shipping_amount > 0 and order.shipping_line is not None:
        shipping_lines.append(
            {
                "id": r.id + 1,
                "shipping_line_id": order.shipping_line.id,
                "subtotal_amount_set": money_set(r.shipping_amount, currency),
            }
        )
    return {
        "id": r.id,
        "order_id": order.id,
        "created_at": timestamp(shop, r.created_at),
        "note": r.note,
        "user_id": None,
        "processed_at": timestamp(shop, r.created_at),
        "duties": [],
        "total_duties_set": money_set(Decimal("0"), currency),
        "return": {"id": r.return_.id, "admin_graphql_api_id": r.return_.gid}
        if r.return_
        else None,
        "restock": any(rli.restocked for rli in r.refund_line_items),
        "refund_shipping_lines": shipping_lines,
        "admin_graphql_api_id": r.gid,
        "order_adjustments": [],
        "refund_line_items": [
            {
                "id": rli.id,
                "quantity": rli.quantity,
                "line_item_id": rli.line_item.id,
                "location_id": rli.location.id if rli.location else None,
                "restock_type": rli.restock_type.lower(),
                # Shopify prints these two as JSON numbers (the *_set strings are exact).
                "subtotal": float(rli.subtotal),
                "total_tax": float(rli.total_tax),
                "subtotal_set": money_set(rli.subtotal, currency),
                "total_tax_set": money_set(rli.total_tax, currency),
                "line_item": _line_item_core(rli.line_item),
            }
            for rli in r.refund_line_items
        ],
        "transactions": [transaction(t) for t in r.transactions],
    }


def order(o: s.Order) -> dict[str, Any]:
    shop = o.shop
    cur = o.currency
    zero = Decimal("0")
    return {
        "id": o.id,
        "admin_graphql_api_id": o.gid,
        "app_id": None,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": None,
        "cancelled_at": timestamp(shop, o.cancelled_at),
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": timestamp(shop, o.closed_at),
        "confirmation_number": f"C{o.id % 10**9:09d}",
        "confirmed": True,
        "contact_email": o.email,
        "created_at": timestamp(shop, o.created_at),
        "currency": cur,
        "current_shipping_price_set": money_set(o.current_shipping_price_set, cur),
        "current_subtotal_price": amount(o.current_subtotal),
        "current_subtotal_price_set": money_set(o.current_subtotal, cur),
        "current_total_additional_fees_set": None,
        "current_total_discounts": amount(o.total_discounts),
        "current_total_discounts_set": money_set(o.total_discounts, cur),
        "current_total_duties_set": None,
        "current_total_price": amount(o.current_total_price_set),
        "current_total_price_set": money_set(o.current_total_price_set, cur),
        "current_total_tax": "0.00",
        "current_total_tax_set": money_set(zero, cur),
        "customer_locale": "en",
        "device_id": None,
        "discount_codes": [],
        "duties_included": False,
        "email": o.email,
        "estimated_taxes": False,
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "landing_site": None,
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": f"MTU{shop.id % 10**9}",
        "merchant_of_record_app_id": None,
        "name": o.name,
        "note": o.note,
        "note_attributes": [],
        "number": o.number - 1000,
        "order_number": o.number,
        "order_status_url": f"https://{shop.domain}/{shop.id}/orders/{o.id:x}/authenticate",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": ["bogus"],
        "phone": None,
        "po_number": None,
        "presentment_currency": cur,
        "processed_at": timestamp(shop, o.processed_at),
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "subtotal_price": amount(o.subtotal),
        "subtotal_price_set": money_set(o.subtotal, cur),
        "tags": ", ".join(o.tags),
        "tax_exempt": False,
        "tax_lines": [],
        "taxes_included": False,
        "test": o.test,
        "token": f"{o.id:x}",
        "total_cash_rounding_payment_adjustment_set": money_set(zero, cur),
        "total_cash_rounding_refund_adjustment_set": money_set(zero, cur),
        "total_discounts": amount(o.total_discounts),
        "total_discounts_set": money_set(o.total_discounts, cur),
        "total_line_items_price": amount(o.line_items_total),
        "total_line_items_price_set": money_set(o.line_items_total, cur),
        "total_outstanding": amount(o.total_outstanding_set),
        "total_price": amount(o.total_price),
        "total_price_set": money_set(o.total_price, cur),
        "total_shipping_price_set": money_set(o.shipping_total, cur),
        "total_tax": "0.00",
        "total_tax_set": money_set(zero, cur),
        "total_tip_received": "0.00",
        "total_weight": sum(li.grams * li.quantity for li in o.line_items),
        "updated_at": timestamp(shop, o.updated_at),
        "user_id": None,
        "billing_address": address(o.shipping_address),
        "customer": customer(shop, o.customer),
        "discount_applications": [],
        "fulfillments": [fulfillment(f) for f in o.fulfillments],
        "line_items": [order_line_item(li) for li in o.line_items],
        "payment_terms": None,
        "refunds": [refund(r) for r in o.refunds],
        "shipping_address": address(o.shipping_address),
        "shipping_lines": [shipping_line(sl) for sl in o.shipping_lines],
        "returns": [
            {"id": r.id, "admin_graphql_api_id": r.gid, "name": r.name, "status": r.status.lower()}
            for r in o.returns
        ],
        "line_item_groups": [],
    }


def _return_line_item(rli: s.ReturnLineItem) -> dict[str, Any]:
    fli = rli.fulfillment_line_item
    handle = rli.return_reason_definition.handle if rli.return_reason_definition else "other"
    return {
        "id": rli.id,
        "admin_graphql_api_id": rli.gid,
        "fulfillment_line_item": {
            "id": fli.id,
            "admin_graphql_api_id": fli.gid,
            "line_item": {"id": fli.line_item.id, "admin_graphql_api_id": fli.line_item.gid},
        },
        "quantity": rli.quantity,
        "return_reason": _REASON_FROM_HANDLE.get(handle, "other"),
        "return_reason_note": rli.return_reason_note,
        "customer_note": rli.customer_note,
    }


def return_requested_or_approved(ret: s.Return) -> dict[str, Any]:
    currency = ret.order.currency
    return {
        "id": ret.id,
        "admin_graphql_api_id": ret.gid,
        "status": ret.status.lower(),
        "order": {"id": ret.order.id, "admin_graphql_api_id": ret.order.gid},
        "total_return_line_items": len(ret.return_line_items),
        "name": ret.name,
        "return_line_items": [_return_line_item(rli) for rli in ret.return_line_items],
        "return_shipping_fees": [
            {
                "id": fee.id,
                "admin_graphql_api_id": fee.gid,
                "price": money_set(fee.amount, currency),
            }
            for fee in ret.return_shipping_fees
        ],
        "exchange_line_items": [_exchange_line_item(eli) for eli in ret.exchange_line_items],
        "total_exchange_line_items": len(ret.exchange_line_items),
    }


def _exchange_line_item(eli: s.ExchangeLineItem) -> dict[str, Any]:
    # Shopify's sample has `line_item: null`: the order line exists only once processed.
    line = eli.line_items[0] if eli.line_items else None
    return {
        "id": eli.id,
        "admin_graphql_api_id": eli.gid,
        "line_item": {"id": line.id, "admin_graphql_api_id": line.gid} if line else None,
    }


def return_declined(ret: s.Return) -> dict[str, Any]:
    decline = ret.decline or {"reason": "OTHER", "note": None}
    return {
        "id": ret.id,
        "admin_graphql_api_id": ret.gid,
        "status": ret.status.lower(),
        "order": {"id": ret.order.id, "admin_graphql_api_id": ret.order.gid},
        "decline": {"reason": decline["reason"].lower(), "note": decline.get("note")},
    }


def return_status_only(ret: s.Return) -> dict[str, Any]:
    return {
        "id": ret.id,
        "admin_graphql_api_id": ret.gid,
        "order_id": ret.order.id,
        "status": ret.status.lower(),
    }


def reverse_delivery(rd: s.ReverseDelivery) -> dict[str, Any]:
    ret = rd.reverse_fulfillment_order.return_
    shop = ret.order.shop
    return {
        "id": rd.id,
        "admin_graphql_api_id": rd.gid,
        "return": {"id": ret.id, "admin_graphql_api_id": ret.gid},
        "shipping_deliverable": {
            "tracking": {
                "carrier_name": rd.carrier_name,
                "tracking_number": rd.tracking_number,
                "tracking_url": rd.tracking_url,
            },
            "label": {
                "public_file_url": rd.label_url,
                "created_at": timestamp(shop, rd.created_at) if rd.label_url else None,
            },
        },
    }


def _hold(hold: s.FulfillmentHold) -> dict[str, Any]:
    return {
        "id": hold.gid,
        "reason": hold.reason.lower(),
        "reason_notes": hold.reason_notes,
        "held_by_requesting_app": False,
        "handle": hold.handle,
        "held_by_app": {"id": s.gid("App", APP_ID)},
    }


def fulfillment_order_placed_on_hold(
    fo: s.FulfillmentOrder, hold: s.FulfillmentHold
) -> dict[str, Any]:
    return {
        "fulfillment_order": {
            "id": fo.gid,
            "status": fo.status.lower(),
            "fulfillment_holds": [_hold(h) for h in fo.fulfillment_holds],
        },
        "remaining_fulfillment_order": None,
        "held_fulfillment_order_line_items": [
            {"id": foli.gid, "quantity": foli.remaining_quantity} for foli in fo.line_items
        ],
        "created_fulfillment_hold": _hold(hold),
    }


def app_uninstalled(shop: s.Shop) -> dict[str, Any]:
    country = _COUNTRY_NAMES.get(shop.country_code, shop.country_code)
    symbol = "$" if shop.currency in ("USD", "CAD", "AUD") else ""
    return {
        "id": shop.id,
        "name": shop.name,
        "email": shop.email,
        "domain": None,
        "province": None,
        "country": shop.country_code,
        "address1": None,
        "zip": None,
        "city": None,
        "source": None,
        "phone": None,
        "latitude": None,
        "longitude": None,
        "primary_locale": "en",
        "address2": None,
        "created_at": timestamp(shop, shop.created_at),
        "updated_at": timestamp(shop, shop.created_at),
        "country_code": shop.country_code,
        "country_name": country,
        "currency": shop.currency,
        "customer_email": shop.email,
        "timezone": shop.iana_timezone,
        "iana_timezone": shop.iana_timezone,
        "shop_owner": shop.name,
        "money_format": f"{symbol}{{{{amount}}}}",
        "money_with_currency_format": f"{symbol}{{{{amount}}}} {shop.currency}",
        "weight_unit": "kg",
        "province_code": None,
        "taxes_included": False,
        "auto_configure_tax_inclusivity": None,
        "tax_shipping": None,
        "county_taxes": None,
        "plan_display_name": "Development",
        "plan_name": "affiliate",
        "has_discounts": bool(shop.discount_codes),
        "has_gift_cards": bool(shop.gift_cards),
        "myshopify_domain": shop.domain,
        "google_apps_domain": None,
        "google_apps_login_enabled": None,
        "money_in_emails_format": f"{symbol}{{{{amount}}}}",
        "money_with_currency_in_emails_format": f"{symbol}{{{{amount}}}} {shop.currency}",
        "eligible_for_payments": True,
        "requires_extra_payments_agreement": False,
        "password_enabled": True,
        "has_storefront": True,
        "finances": True,
        "primary_location_id": shop.primary_location.id if shop.locations else None,
        "checkout_api_supported": True,
        "multi_location_enabled": len(shop.locations) > 1,
        "setup_required": False,
        "pre_launch_enabled": False,
        "enabled_presentment_currencies": [shop.currency],
        "marketing_sms_consent_enabled_at_checkout": False,
        "transactional_sms_disabled": False,
    }
