"""The /_sim control API (JSON, for tests and seeding) and the HTML page at `/`.

Every state change goes through the same DevStore operations as the Admin API,
so it emits the same webhooks. Invalid input answers 422 with the errors.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, jsonify, redirect, render_template_string, request

from infra.local.devstore import payloads
from infra.local.devstore import state as s
from infra.local.devstore.faults import parse_fault
from infra.local.devstore.store import RefundLine, UserErrors, fail

if TYPE_CHECKING:
    from infra.local.devstore.server import Simulator


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def order_summary(o: s.Order) -> dict[str, Any]:
    """A compact view with the GIDs tests need (REST shape: GET .../orders/<id>/payload)."""
    return {
        "id": o.id,
        "gid": o.gid,
        "name": o.name,
        "email": o.email,
        "created_at": _iso(o.created_at),
        "updated_at": _iso(o.updated_at),
        "financial_status": o.display_financial_status,
        "fulfillment_status": o.display_fulfillment_status,
        "return_status": o.return_status,
        "total_price": str(o.total_price),
        "total_outstanding": str(o.total_outstanding_set),
        "total_refunded": str(o.total_refunded),
        "tags": list(o.tags),
        "note": o.note,
        "customer": {"id": o.customer.id, "gid": o.customer.gid, "email": o.customer.email}
        if o.customer
        else None,
        "shipping_lines": [
            {"gid": sl.gid, "title": sl.title, "price": str(sl.price)} for sl in o.shipping_lines
        ],
        "line_items": [
            {
                "id": li.id,
                "gid": li.gid,
                "sku": li.sku,
                "title": li.name,
                "quantity": li.quantity,
                "price": str(li.unit_price),
                "current_quantity": li.current_quantity,
                "fulfilled_quantity": li.fulfilled_quantity,
                "variant_gid": li.variant.gid if li.variant else None,
                "exchange_line_item_gid": li.exchange_line_item.gid
                if li.exchange_line_item
                else None,
            }
            for li in o.line_items
        ],
        "fulfillment_orders": [
            {
                "gid": fo.gid,
                "status": fo.status,
                "holds": [h.reason for h in fo.fulfillment_holds],
                "line_item_gids": [foli.line_item.gid for foli in fo.line_items],
            }
            for fo in o.fulfillment_orders
        ],
        "fulfillments": [
            {
                "id": f.id,
                "gid": f.gid,
                "name": f.name,
                "shipment_status": f.shipment_status,
                "tracking_number": f.tracking_number,
                "created_at": _iso(f.created_at),
                "delivered_at": _iso(f.delivered_at),
                "estimated_delivery_at": _iso(f.estimated_delivery_at),
                "line_items": [
                    {"gid": fli.gid, "line_item_gid": fli.line_item.gid, "quantity": fli.quantity}
                    for fli in f.fulfillment_line_items
                ],
            }
            for f in o.fulfillments
        ],
        "transactions": [
            {
                "gid": t.gid,
                "kind": t.kind,
                "amount": str(t.amount),
                "parent_gid": t.parent.gid if t.parent else None,
            }
            for t in o.transactions
        ],
        "refunds": [refund_summary(r) for r in o.refunds],
        "returns": [return_summary(r) for r in o.returns],
    }


def refund_summary(r: s.Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "gid": r.gid,
        "order_gid": r.order.gid,
        "created_at": _iso(r.created_at),
        "total": str(r.total_refunded_set),
        "shipping": str(r.shipping_amount),
        "return_gid": r.return_.gid if r.return_ else None,
        "line_items": [
            {
                "line_item_gid": rli.line_item.gid,
                "quantity": rli.quantity,
                "restock_type": rli.restock_type,
            }
            for rli in r.refund_line_items
        ],
    }


def return_summary(r: s.Return) -> dict[str, Any]:
    return {
        "id": r.id,
        "gid": r.gid,
        "order_gid": r.order.gid,
        "name": r.name,
        "status": r.status,
        "decline": r.decline,
        "line_items": [
            {
                "gid": rli.gid,
                "fulfillment_line_item_gid": rli.fulfillment_line_item.gid,
                "quantity": rli.quantity,
                "processed_quantity": rli.processed_quantity,
                "reason": rli.return_reason_definition.handle
                if rli.return_reason_definition
                else None,
            }
            for rli in r.return_line_items
        ],
        "reverse_fulfillment_orders": [
            {
                "gid": rfo.gid,
                "status": rfo.status,
                "line_items": [
                    {"gid": li.gid, "quantity": li.total_quantity} for li in rfo.line_items
                ],
                "reverse_deliveries": [
                    {
                        "gid": rd.gid,
                        "tracking_number": rd.tracking_number,
                        "label_url": rd.label_url,
                    }
                    for rd in rfo.reverse_deliveries
                ],
            }
            for rfo in r.reverse_fulfillment_orders
        ],
        "exchange_line_items": [
            {
                "gid": eli.gid,
                "variant_gid": eli.variant.gid,
                "sku": eli.variant.sku,
                "quantity": eli.quantity,
                "processed_quantity": eli.processed_quantity,
                "unit_price": str(eli.unit_price),
                "discounted_unit_price": str(eli.discounted_unit_price),
                "line_item_gids": [li.gid for li in eli.line_items],
            }
            for eli in r.exchange_line_items
        ],
        "exchange_balance_due": str(r.exchange_balance_due),
    }


def product_summary(p: s.Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "gid": p.gid,
        "title": p.title,
        "product_type": p.product_type,
        "tags": list(p.tags),
        "variants": [
            {
                "id": v.id,
                "gid": v.gid,
                "title": v.title,
                "sku": v.sku,
                "price": str(v.price),
                "compare_at_price": str(v.compare_at_price) if v.compare_at_price else None,
                "inventory_item_gid": v.inventory_item.gid,
                "inventory": {
                    lv.location.name: dict(lv.quantities)
                    for lv in v.inventory_item.inventory_levels
                },
            }
            for v in p.variants
        ],
    }


def shop_summary(shop: s.Shop) -> dict[str, Any]:
    return {
        "id": shop.id,
        "gid": shop.gid,
        "domain": shop.domain,
        "name": shop.name,
        "email": shop.email,
        "currency": shop.currency,
        "country_code": shop.country_code,
        "iana_timezone": shop.iana_timezone,
        "installed": shop.installed,
        "locations": [{"gid": loc.gid, "name": loc.name} for loc in shop.locations],
        "orders": len(shop.orders),
        "products": len(shop.products),
    }


def _order(shop: s.Shop, ref: str) -> s.Order:
    """An order by numeric id, GID, number (1001) or name (#1001)."""
    ref = ref.strip()
    for order in shop.orders:
        if ref in (str(order.id), order.gid, str(order.number), order.name):
            return order
    abort(404, description=f"no order {ref} on {shop.domain}")


def control_blueprint(sim: Simulator) -> Blueprint:
    bp = Blueprint("devstore_control", __name__)
    store = sim.store

    def api(fn: Callable[..., Any]) -> Callable[..., Any]:
        """JSON in, JSON out; UserErrors become 422 with the error list."""

        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                with store.lock:
                    result = fn(*args, **kwargs)
            except UserErrors as exc:
                return jsonify({"errors": [e.as_graphql() for e in exc.errors]}), 422
            if isinstance(result, tuple):
                return jsonify(result[0]), result[1]
            return jsonify(result)

        return wrapper

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    def shop_of(domain: str) -> s.Shop:
        return store.shop(domain)

    @bp.get("/_sim/health")
    def health() -> Any:
        return jsonify({"ok": True, "schema": str(sim.schema_path)})

    @bp.post("/_sim/reset")
    def reset() -> Any:
        sim.reset()
        return jsonify({"ok": True})

    @bp.get("/_sim/shops")
    @api
    def list_shops() -> Any:
        return [shop_summary(sh) for sh in store.shops.values()]

    @bp.post("/_sim/shops")
    @api
    def create_shop() -> Any:
        b = body()
        shop = store.create_shop(
            b.get("domain", ""),
            name=b.get("name"),
            email=b.get("email"),
            currency=b.get("currency", "USD"),
            country_code=b.get("country_code", "US"),
            iana_timezone=b.get("iana_timezone", "America/New_York"),
            locations=b.get("locations") or ("Main warehouse",),
        )
        return shop_summary(shop), 201

    @bp.get("/_sim/shops/<domain>")
    @api
    def get_shop(domain: str) -> Any:
        return shop_summary(shop_of(domain))

    @bp.post("/_sim/shops/<domain>/throttle")
    @api
    def throttle(domain: str) -> Any:
        b = body()
        bucket = sim.graphql.bucket(shop_of(domain))
        bucket.configure(
            maximum=b.get("maximumAvailable"),
            restore_rate=b.get("restoreRate"),
            currently_available=b.get("currentlyAvailable"),
        )
        return bucket.status()

    @bp.post("/_sim/shops/<domain>/access_tokens")
    @api
    def issue_token(domain: str) -> Any:
        """A shortcut around OAuth for tests and scripts (installs the app)."""
        shop = shop_of(domain)
        b = body()
        scope = b.get("scope", "read_orders,write_orders,read_returns,write_returns")
        return sim.oauth.issue(
            shop.domain, scope, expiring=bool(b.get("expiring", True)), online=False
        ), 201

    @bp.post("/_sim/shops/<domain>/uninstall")
    @api
    def uninstall(domain: str) -> Any:
        shop = shop_of(domain)
        store.emit(shop, "app/uninstalled", payloads.app_uninstalled(shop))
        sim.oauth.revoke_shop(shop.domain)
        shop.installed = False
        return {"ok": True}

    @bp.get("/_sim/shops/<domain>/products")
    @api
    def list_products(domain: str) -> Any:
        return [product_summary(p) for p in shop_of(domain).products]

    @bp.post("/_sim/shops/<domain>/products")
    @api
    def create_product(domain: str) -> Any:
        b = body()
        product = store.create_product(
            shop_of(domain),
            title=b.get("title", "Untitled"),
            product_type=b.get("product_type", ""),
            vendor=b.get("vendor"),
            tags=b.get("tags", []),
            variants=b.get("variants") or [{"price": b.get("price", "10.00")}],
        )
        return product_summary(product), 201

    @bp.post("/_sim/shops/<domain>/inventory")
    @api
    def set_inventory(domain: str) -> Any:
        shop = shop_of(domain)
        b = body()
        variant = shop.variant_by_sku(b.get("sku", "")) or shop.find(
            b.get("variant_gid"), s.Variant
        )
        if variant is None:
            raise fail(["sku"], "Unknown variant", "NOT_FOUND")
        location = next(
            (loc for loc in shop.locations if loc.name == b.get("location")), shop.primary_location
        )
        level = store.set_inventory(
            shop, variant, location, available=b.get("available"), incoming=b.get("incoming")
        )
        return {"location": location.name, "quantities": dict(level.quantities)}

    @bp.post("/_sim/shops/<domain>/customers")
    @api
    def create_customer(domain: str) -> Any:
        b = body()
        customer = store.create_customer(
            shop_of(domain),
            email=b.get("email", ""),
            first_name=b.get("first_name"),
            last_name=b.get("last_name"),
            address=b.get("address"),
        )
        return {"id": customer.id, "gid": customer.gid, "email": customer.email}, 201

    @bp.get("/_sim/shops/<domain>/orders")
    @api
    def list_orders(domain: str) -> Any:
        return [order_summary(o) for o in shop_of(domain).orders]

    @bp.post("/_sim/shops/<domain>/orders")
    @api
    def create_order(domain: str) -> Any:
        shop = shop_of(domain)
        return order_summary(_create_order(store, shop, body())), 201

    @bp.get("/_sim/shops/<domain>/orders/<ref>")
    @api
    def get_order(domain: str, ref: str) -> Any:
        return order_summary(_order(shop_of(domain), ref))

    @bp.get("/_sim/shops/<domain>/orders/<ref>/payload")
    @api
    def get_order_payload(domain: str, ref: str) -> Any:
        return payloads.order(_order(shop_of(domain), ref))

    @bp.post("/_sim/shops/<domain>/orders/<ref>/<action>")
    @api
    def order_action(domain: str, ref: str, action: str) -> Any:
        shop = shop_of(domain)
        order = _order(shop, ref)
        _order_action(store, shop, order, action, body())
        return order_summary(order)

    @bp.get("/_sim/shops/<domain>/returns")
    @api
    def list_returns(domain: str) -> Any:
        return [return_summary(r) for o in shop_of(domain).orders for r in o.returns]

    @bp.get("/_sim/shops/<domain>/refunds")
    @api
    def list_refunds(domain: str) -> Any:
        return [refund_summary(r) for o in shop_of(domain).orders for r in o.refunds]

    @bp.get("/_sim/shops/<domain>/store_credit")
    @api
    def list_credit(domain: str) -> Any:
        return [
            {
                "gid": a.gid,
                "customer_gid": c.gid,
                "currency": a.currency,
                "balance": str(a.balance),
                "transactions": [
                    {"gid": t.gid, "amount": str(t.amount), "expires_at": _iso(t.expires_at)}
                    for t in a.transactions
                ],
            }
            for c in shop_of(domain).customers
            for a in c.store_credit_accounts
        ]

    @bp.get("/_sim/shops/<domain>/gift_cards")
    @api
    def list_gift_cards(domain: str) -> Any:
        return [
            {
                "gid": g.gid,
                "last_characters": g.last_characters,
                "balance": str(g.balance),
                "customer_gid": g.customer.gid if g.customer else None,
            }
            for g in shop_of(domain).gift_cards
        ]

    @bp.get("/_sim/shops/<domain>/discount_codes")
    @api
    def list_discounts(domain: str) -> Any:
        return [
            {
                "gid": d.gid,
                "code": d.code_discount.code,
                "percentage": d.code_discount.percentage,
                "usage_limit": d.code_discount.usage_limit,
                "customer_gids": d.code_discount.customer_ids,
            }
            for d in shop_of(domain).discount_codes
        ]

    @bp.get("/_sim/shops/<domain>/webhook_subscriptions")
    @api
    def list_subscriptions(domain: str) -> Any:
        return [
            {"gid": w.gid, "topic": w.topic, "uri": w.uri}
            for w in shop_of(domain).webhook_subscriptions
        ]

    @bp.get("/_sim/webhooks")
    def list_webhooks() -> Any:
        found = sim.webhooks.deliveries(
            shop=request.args.get("shop"), topic=request.args.get("topic")
        )
        return jsonify([d.as_json() for d in found])

    @bp.post("/_sim/webhooks/wait")
    def wait_webhooks() -> Any:
        idle = sim.webhooks.wait_idle(float(body().get("timeout", 10)))
        return jsonify({"idle": idle}), (200 if idle else 504)

    @bp.post("/_sim/webhooks/<webhook_id>/redeliver")
    def redeliver(webhook_id: str) -> Any:
        copy = sim.webhooks.redeliver(webhook_id)
        if copy is None:
            abort(404, description=f"no webhook {webhook_id}")
        return jsonify(copy.as_json()), 202

    @bp.get("/_sim/faults")
    def list_faults() -> Any:
        return jsonify([f.as_json() for f in sim.faults.pending()])

    @bp.post("/_sim/faults")
    @api
    def add_fault() -> Any:
        fault = parse_fault(body())
        sim.faults.add(fault)
        return fault.as_json(), 201

    @bp.delete("/_sim/faults")
    def clear_faults() -> Any:
        sim.faults.clear()
        return jsonify({"ok": True})

    @bp.get("/_sim/requests")
    def list_requests() -> Any:
        return jsonify(sim.requests(request.args.get("shop")))

    # -- the HTML page ---------------------------------------------------------------------

    @bp.get("/")
    @bp.get("/_sim/")
    def page() -> Any:
        with store.lock:
            shops = [
                (shop, sorted(shop.orders, key=lambda o: o.created_at, reverse=True))
                for shop in store.shops.values()
            ]
            return render_template_string(_PAGE, shops=shops, url=request.host_url)

    @bp.post("/_sim/ui/<domain>/orders")
    def ui_new_order(domain: str) -> Any:
        from infra.local.devstore.seed import random_order

        with store.lock:
            shop = shop_of(domain)
            random_order(
                store,
                shop,
                random.Random(),  # noqa: S311 - demo data, not security
                out_of_stock=request.form.get("kind") == "out_of_stock",
            )
        return redirect("/")

    @bp.post("/_sim/ui/<domain>/orders/<ref>/<action>")
    def ui_order_action(domain: str, ref: str, action: str) -> Any:
        try:
            with store.lock:
                shop = shop_of(domain)
                _order_action(store, shop, _order(shop, ref), action, {})
        except UserErrors as exc:
            return f"{action} failed: {exc}", 422
        return redirect("/")

    return bp


def _create_order(store: Any, shop: s.Shop, b: dict[str, Any]) -> s.Order:
    customer = None
    spec = b.get("customer")
    if isinstance(spec, str):
        spec = {"email": spec}
    if isinstance(spec, dict):
        customer = store.create_customer(
            shop,
            email=spec.get("email", ""),
            first_name=spec.get("first_name"),
            last_name=spec.get("last_name"),
            address=spec.get("address"),
        )
    return store.create_order(
        shop,
        lines=b.get("lines") or [],
        customer=customer,
        email=b.get("email"),
        shipping=b.get("shipping"),
        shipping_address=b.get("shipping_address") or (spec or {}).get("address"),
        created_at=_when(b.get("created_at")),
        tags=b.get("tags") or [],
        note=b.get("note"),
        hold_out_of_stock=bool(b.get("out_of_stock")),
    )


def _order_action(store: Any, shop: s.Shop, order: s.Order, action: str, b: dict[str, Any]) -> None:
    at = _when(b.get("at"))
    if action == "fulfil":
        quantities = None
        if b.get("line_items"):
            quantities = {}
            for item in b["line_items"]:
                li = shop.find(item["line_item_gid"], s.LineItem)
                if li is None:
                    raise fail(["line_items"], "Unknown line item", "NOT_FOUND")
                quantities[li] = int(item.get("quantity", li.unfulfilled_quantity))
        store.fulfil(
            shop,
            order,
            quantities=quantities,
            tracking_company=b.get("tracking_company", "USPS"),
            tracking_number=b.get("tracking_number"),
            tracking_url=b.get("tracking_url"),
            at=at,
        )
    elif action == "in_transit":
        pending = [f for f in order.fulfillments if f.delivered_at is None]
        if not pending:
            raise fail(["fulfillments"], "No undelivered fulfillment", "INVALID")
        store.update_shipment(shop, pending[-1], "in_transit", at=at)
    elif action == "deliver":
        store.deliver(shop, order, at=at)
    elif action == "delay":
        store.delay(shop, order, days=int(b.get("days", 3)), at=at)
    elif action == "hold":
        fo = next((f for f in order.fulfillment_orders if f.status in ("OPEN", "ON_HOLD")), None)
        if fo is None:
            raise fail(["order"], "Nothing left to hold", "INVALID")
        store.hold_fulfillment_order(
            shop, fo, reason=b.get("reason", "INVENTORY_OUT_OF_STOCK"), notes=b.get("notes"), at=at
        )
    elif action == "refund":
        lines = []
        for item in b.get("line_items") or []:
            li = shop.find(item["line_item_gid"], s.LineItem)
            if li is None:
                raise fail(["line_items"], "Unknown line item", "NOT_FOUND")
            lines.append(
                RefundLine(li, int(item.get("quantity", 1)), item.get("restock_type", "NO_RESTOCK"))
            )
        if not lines and b.get("shipping") is None:
            lines = [
                RefundLine(li, li.refundable_quantity)
                for li in order.line_items
                if li.refundable_quantity
            ]
        shipping = b.get("shipping")
        store.refund(
            shop,
            order,
            lines=lines,
            shipping_amount=Decimal(str(shipping)) if shipping is not None else None,
            note=b.get("note", "Refunded from the dev store"),
            at=at,
        )
    else:
        abort(404, description=f"unknown action {action}")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hemline dev store</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 2rem}
td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;font-size:.9rem}
form{display:inline}button{margin:0 .1rem;font-size:.8rem}
.muted{color:#777}
</style></head><body>
<h1>Hemline dev store</h1>
<p class="muted">Simulated Shopify at {{ url }} &middot; control API under /_sim/ &middot;
<a href="/_sim/webhooks">webhook deliveries</a> &middot; <a href="/_sim/requests">API requests</a></p>
{% for shop, orders in shops %}
<h2>{{ shop.name }} <small class="muted">{{ shop.domain }} &middot; {{ shop.currency }} &middot;
{{ shop.iana_timezone }} &middot; {{ "app installed" if shop.installed else "app not installed" }}</small></h2>
<form method="post" action="/_sim/ui/{{ shop.domain }}/orders"><button>New order</button></form>
<form method="post" action="/_sim/ui/{{ shop.domain }}/orders">
<input type="hidden" name="kind" value="out_of_stock"><button>Out-of-stock order</button></form>
<table><tr><th>Order</th><th>Placed</th><th>Items</th><th>Total</th><th>Payment</th>
<th>Fulfilment</th><th>Shipment</th><th>Returns</th><th></th></tr>
{% for o in orders %}
<tr><td>{{ o.name }}</td><td>{{ o.created_at.strftime("%Y-%m-%d %H:%M") }}</td>
<td>{{ o.line_items|map(attribute="name")|join(", ") }}</td>
<td>{{ o.total_price }} {{ o.currency }}</td><td>{{ o.display_financial_status }}</td>
<td>{{ o.display_fulfillment_status }}</td>
<td>{{ (o.fulfillments|last).shipment_status if o.fulfillments else "" }}</td>
<td>{{ o.returns|map(attribute="status")|join(", ") }}</td>
<td>{% for action, label in [("fulfil","Fulfil"),("deliver","Deliver"),("delay","Delay"),("refund","Refund")] %}
<form method="post" action="/_sim/ui/{{ shop.domain }}/orders/{{ o.id }}/{{ action }}"><button>{{ label }}</button></form>
{% endfor %}</td></tr>
{% endfor %}
</table>
{% else %}<p>No shops yet: POST /_sim/shops or start with --seed demo.</p>
{% endfor %}
</body></html>
"""
