"""Shopify's mandatory compliance topics: customer data requests and erasure.

customers/data_request collects what Hemline holds about the customer into an
export the merchant downloads (kept 30 days); customers/redact erases the
customer's personal fields from their orders and returns (with the return labels and
photos on file, and the data exports made about them); shop/redact erases the shop,
table and files.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from app.adapters.dynamo.store import DynamoStore
from app.adapters.files import FileStore, label_key, photos_prefix, shop_prefixes
from app.clock import Clock
from app.domain.orders import parse_id
from app.domain.rma import Rma
from app.errors import Conflict, InvalidInput, UpstreamError
from app.observability import logger

EXPORT_DAYS = 30
MAX_REDACT_ATTEMPTS = 5


def _order_ids(payload: dict[str, Any], key: str) -> list[int]:
    raw = payload.get(key) or []
    if not isinstance(raw, list):
        raise InvalidInput("must be a list of order ids", key)
    return [parse_id(v, f"{key}[{i}]") for i, v in enumerate(raw)]


def _customer_id(payload: dict[str, Any]) -> int | None:
    customer = payload.get("customer")
    if not isinstance(customer, dict) or customer.get("id") is None:
        return None
    return parse_id(customer["id"], "customer.id")


def export_customer_data(
    store: DynamoStore, clock: Clock, shop: str, payload: dict[str, Any]
) -> None:
    """customers/data_request: gather the customer's orders as Hemline holds them."""
    request = payload.get("data_request")
    if not isinstance(request, dict):
        raise InvalidInput("is required", "data_request")
    request_id = parse_id(request.get("id"), "data_request.id")
    order_ids = set(_order_ids(payload, "orders_requested"))
    customer_id = _customer_id(payload)
    if customer_id:
        order_ids.update(store.customer_order_ids(shop, customer_id))
    orders = []
    for order_id in sorted(order_ids):
        view = store.get_order(shop, order_id)
        if view is not None:
            orders.append(
                {
                    "order": dataclasses.asdict(view.order),
                    "fulfillments": [dataclasses.asdict(f) for f in view.fulfillments],
                    "refunds": [dataclasses.asdict(r) for r in view.refunds],
                }
            )
    expires = int((clock.now() + timedelta(days=EXPORT_DAYS)).timestamp())
    store.put_data_request(
        shop,
        request_id,
        {"data_request_id": request_id, "customer_id": customer_id, "orders": orders},
        expires,
    )
    logger.info(
        "customer data export ready",
        extra={"shop": shop, "data_request_id": request_id, "orders": len(orders)},
    )


def redact_customer(
    store: DynamoStore,
    clock: Clock,
    shop: str,
    payload: dict[str, Any],
    *,
    files: FileStore | None = None,
) -> None:
    """customers/redact: erase the customer's personal data from every order we hold, their
    returns' labels (name and address) and photos, and the data exports made about them."""
    order_ids = set(_order_ids(payload, "orders_to_redact"))
    customer_id = _customer_id(payload)
    if customer_id:
        order_ids.update(store.customer_order_ids(shop, customer_id))
    redacted = sum(1 for order_id in order_ids if store.redact_order(shop, order_id))
    returns = sum(_redact_returns(store, shop, order_id, files) for order_id in order_ids)
    exports = store.delete_data_requests_about(shop, customer_id, order_ids)
    logger.info(
        "customer redacted",
        extra={
            "shop": shop,
            "orders_redacted": redacted,
            "returns_redacted": returns,
            "exports_deleted": exports,
        },
    )


def _redact_returns(store: DynamoStore, shop: str, order_id: int, files: FileStore | None) -> int:
    """Erase the customer's email, notes and files from the order's returns; how many
    changed."""
    changed = 0
    for rma in store.rmas_for_order(shop, order_id):
        if files is not None:  # the files first: a retry finds the table still to do
            files.delete(label_key(shop, rma.number))
            files.delete_prefix(photos_prefix(shop, rma.number))
        current: Rma | None = rma
        # A return moving on meanwhile (a refund landing) is read again and erased in turn.
        for _ in range(MAX_REDACT_ATTEMPTS):
            if current is None or current.redacted() == current:
                break
            try:
                store.update_rma(shop, current.redacted(), current)
                changed += 1
                break
            except Conflict:
                current = store.get_rma(shop, rma.number)
        else:
            raise UpstreamError(f"return {rma.number} kept changing; redact again", retryable=True)
    return changed


def redact_shop(
    store: DynamoStore,
    clock: Clock,
    shop: str,
    payload: dict[str, Any],
    *,
    files: FileStore | None = None,
) -> None:
    """shop/redact: 48 hours after uninstall, erase everything Hemline holds for the shop."""
    removed = sum(files.delete_prefix(p) for p in shop_prefixes(shop)) if files else 0
    deleted = store.delete_shop_data(shop)
    logger.info(
        "shop redacted", extra={"shop": shop, "items_deleted": deleted, "files_deleted": removed}
    )
