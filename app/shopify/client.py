"""AdminClient: the app's Shopify Admin GraphQL adapter for one shop.

Shopify answers GraphQL errors and THROTTLED inside HTTP 200 and the ShopifyAPI
package neither raises nor waits, so this client does:

- before each request it waits until the shop's cost bucket (as last reported
  in `extensions.cost.throttleStatus`) should hold the request's cost;
- THROTTLED and 429 were not executed, so they are retried for any operation;
- 5xx, timeouts and dropped connections are retried with jittered exponential
  backoff only for reads and for mutations whose document carries
  `@idempotent(key:)` (refundCreate): any other mutation may have applied,
  so it raises ShopifyOutcomeUnknownError instead of risking a double effect;
- `userErrors` become ShopifyUserError, top-level errors ShopifyGraphQLError,
  401/403 ShopifyAuthError (see errors.py; each carries `retryable`).

Sleep, clock and jitter are injectable so tests run without waiting.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from app.shopify import documents
from app.shopify.errors import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyOutcomeUnknownError,
    ShopifyThrottledError,
    ShopifyUnavailableError,
    ShopifyUserError,
    UserErrorDetail,
)
from app.shopify.models import (
    DiscountCodeInfo,
    ExchangeLineRequest,
    GiftCardInfo,
    Money,
    Order,
    OrderEditInfo,
    OrdersPage,
    ProcessLineRequest,
    RefundInfo,
    RefundLineRequest,
    RefundTransactionRequest,
    ReturnInfo,
    ReturnLineRequest,
    ReturnReason,
    ReverseDeliveryInfo,
    ShippingLineInfo,
    ShopInfo,
    StoreCreditTransactionInfo,
    VariantInventory,
    VariantOption,
    WebhookSubscriptionInfo,
)
from app.shopify.throttle import CostBudget
from app.shopify.transport import (
    GraphQLTransport,
    HttpResponse,
    ShopifyApiTransport,
    TransportError,
)

# Cost assumed for a document before Shopify has priced it once.
_FIRST_ESTIMATE = {True: 10, False: 100}
# Keeps inventory_levels under Shopify's 1000-point single-query limit.
INVENTORY_BATCH = 25
# Keeps product_variants (50 variants a product) under the same limit.
PRODUCT_BATCH = 10
_RETRY_AFTER_CAP = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: failed sends (429/5xx/network) and throttle waits are counted apart."""

    max_attempts: int = 5
    max_throttle_waits: int = 10
    base_delay: float = 0.5
    max_delay: float = 16.0


def _money_input(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AdminClient:
    """Admin GraphQL calls for one shop and access token; safe to share between threads."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        api_version: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        transport: GraphQLTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        budget: CostBudget | None = None,
    ) -> None:
        self.shop_domain = shop_domain
        self.api_version = api_version
        self._transport = transport or ShopifyApiTransport(
            shop_domain, access_token, api_version, base_url=base_url, timeout=timeout
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter
        self._budget = budget or CostBudget(monotonic)
        self._estimates: dict[str, int] = {}

    # -- the engine ------------------------------------------------------------------------

    def execute(
        self, document_name: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run graphql/<document_name>.graphql and return its `data`; raises ShopifyError."""
        doc = documents.load(document_name)
        failures = throttled = 0
        while True:
            estimate = self._estimates.get(doc.name, _FIRST_ESTIMATE[doc.is_mutation])
            wait = self._budget.wait_for(estimate)
            if wait > 0:
                self._sleep(wait)
            try:
                response = self._transport.post(doc.text, variables, doc.operation_name)
            except TransportError as exc:
                if exc.sent and not doc.safe_to_repeat:
                    raise ShopifyOutcomeUnknownError(
                        f"{doc.operation_name} got no answer after it was sent ({exc}); it may "
                        "have applied, so it was not repeated"
                    ) from exc
                failures += 1
                self._pause_or_give_up(doc, failures, str(exc), retry_after=None)
                continue
            if response.status in (401, 403):
                raise ShopifyAuthError(
                    f"{doc.operation_name}: HTTP {response.status} {_snippet(response)}"
                )
            if response.status == 429 or response.status >= 500:
                if response.status >= 500 and not doc.safe_to_repeat:
                    raise ShopifyOutcomeUnknownError(
                        f"{doc.operation_name} answered HTTP {response.status}; it may have "
                        "applied, so it was not repeated"
                    )
                failures += 1
                self._pause_or_give_up(
                    doc, failures, f"HTTP {response.status}", retry_after=_retry_after(response)
                )
                continue
            if response.status != 200:
                raise ShopifyGraphQLError(
                    f"{doc.operation_name}: HTTP {response.status} {_snippet(response)}"
                )
            payload = json.loads(response.body)
            cost = (payload.get("extensions") or {}).get("cost") or {}
            self._budget.update(cost.get("throttleStatus"))
            if cost.get("requestedQueryCost") is not None:
                self._estimates[doc.name] = int(cost["requestedQueryCost"])
            errors = payload.get("errors")
            if errors:
                codes = _codes(errors)
                if codes and all(code == "THROTTLED" for code in codes):
                    throttled += 1
                    if throttled > self._retry.max_throttle_waits:
                        raise ShopifyThrottledError(
                            f"{doc.operation_name} still throttled after {throttled - 1} waits"
                        )
                    if self._budget.wait_for(self._estimates.get(doc.name, estimate)) <= 0:
                        self._sleep(self._backoff(throttled))
                    continue
                if "INTERNAL_SERVER_ERROR" in codes:
                    if not doc.safe_to_repeat:
                        raise ShopifyOutcomeUnknownError(
                            f"{doc.operation_name} hit an internal error; it may have applied"
                        )
                    failures += 1
                    self._pause_or_give_up(doc, failures, "INTERNAL_SERVER_ERROR", retry_after=None)
                    continue
                messages = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
                raise ShopifyGraphQLError(
                    f"{doc.operation_name}: {messages or errors}",
                    errors if isinstance(errors, list) else [],
                )
            data = payload.get("data")
            if not isinstance(data, dict):
                raise ShopifyGraphQLError(f"{doc.operation_name}: answer without data")
            return data

    def mutate(self, document_name: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run a mutation document and return its payload; raises ShopifyUserError on userErrors."""
        doc = documents.load(document_name)
        data = self.execute(document_name, variables)
        payload = data.get(doc.root_fields[0]) or {}
        problems = payload.get("userErrors") or []
        if problems:
            raise ShopifyUserError(
                doc.operation_name,
                [
                    UserErrorDetail(
                        tuple(p.get("field") or ()), p.get("message", ""), p.get("code")
                    )
                    for p in problems
                ],
            )
        return payload

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._retry.max_delay, self._retry.base_delay * 2 ** (attempt - 1))
        return self._jitter() * ceiling

    def _pause_or_give_up(
        self, doc: documents.Document, failures: int, why: str, retry_after: float | None
    ) -> None:
        if failures >= self._retry.max_attempts:
            raise ShopifyUnavailableError(
                f"{doc.operation_name} failed {failures} times; last: {why}"
            )
        delay = self._backoff(failures)
        if retry_after is not None:
            delay = max(delay, min(retry_after, _RETRY_AFTER_CAP))
        self._sleep(delay)

    # -- reads -----------------------------------------------------------------------------

    def shop(self) -> ShopInfo:
        """Name, currency, country and time zone of the shop."""
        return ShopInfo.from_graphql(self.execute("shop_get")["shop"])

    def get_order(self, order_id: str) -> Order | None:
        """The order with lines, fulfillments, fulfillment orders, refunds and returns; None if unknown."""
        node = self.execute("order_get", {"id": order_id})["order"]
        return Order.from_graphql(node) if node else None

    def get_order_status(self, order_id: str) -> Order | None:
        """The order's status, customer, totals, shipping lines and parcels; None if unknown.

        Its lines, fulfillment orders, transactions, refunds and returns are left out
        (empty): for decisions that need none of them, at a fraction of get_order's cost.
        """
        node = self.execute("order_status_get", {"id": order_id})["order"]
        return Order.from_graphql(node) if node else None

    def orders_updated_since(
        self, since: datetime, *, first: int = 50, after: str | None = None
    ) -> OrdersPage:
        """One page of orders updated after `since`, oldest change first."""
        query = f"updated_at:>'{_utc(since)}'"
        data = self.execute(
            "orders_updated_since", {"first": first, "after": after, "query": query}
        )
        return OrdersPage.from_graphql(data["orders"])

    def inventory_levels(self, variant_ids: Sequence[str]) -> list[VariantInventory]:
        """Available and incoming stock per location; unknown variants are left out."""
        found = []
        for start in range(0, len(variant_ids), INVENTORY_BATCH):
            batch = list(variant_ids[start : start + INVENTORY_BATCH])
            for node in self.execute("inventory_levels", {"variantIds": batch})["nodes"]:
                if node and node.get("inventoryItem"):
                    found.append(VariantInventory.from_graphql(node))
        return found

    def product_variants(self, product_ids: Sequence[str]) -> dict[str, list[VariantOption]]:
        """The variants of each product (by product GID); unknown products are left out."""
        found: dict[str, list[VariantOption]] = {}
        unique = list(dict.fromkeys(product_ids))
        for start in range(0, len(unique), PRODUCT_BATCH):
            batch = unique[start : start + PRODUCT_BATCH]
            for node in self.execute("product_variants", {"productIds": batch})["nodes"]:
                if node and node.get("id"):
                    variants = (node.get("variants") or {}).get("nodes") or []
                    found[node["id"]] = [VariantOption.from_graphql(v) for v in variants]
        return found

    def return_reasons(self, handles: Sequence[str] | None = None) -> list[ReturnReason]:
        """Shopify's return reason definitions (optionally only some handles)."""
        data = self.execute(
            "return_reason_definitions", {"handles": list(handles) if handles else None}
        )
        return [
            ReturnReason(n["id"], n["handle"], n["name"], bool(n.get("deleted")))
            for n in data["returnReasonDefinitions"]["nodes"]
        ]

    def get_return(self, return_id: str) -> ReturnInfo | None:
        node = self.execute("return_get", {"id": return_id})["return"]
        return ReturnInfo.from_graphql(node) if node else None

    def webhook_subscriptions(self) -> list[WebhookSubscriptionInfo]:
        """Every webhook subscription of the app on this shop."""
        found: list[WebhookSubscriptionInfo] = []
        after = None
        while True:
            page = self.execute("webhook_subscriptions", {"first": 100, "after": after})[
                "webhookSubscriptions"
            ]
            found.extend(WebhookSubscriptionInfo.from_graphql(n) for n in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    # -- returns ---------------------------------------------------------------------------

    def request_return(
        self,
        order_id: str,
        lines: Sequence[ReturnLineRequest],
        *,
        return_shipping_fee: Money | None = None,
    ) -> ReturnInfo:
        """A customer's return request (REQUESTED); raises ShopifyUserError e.g. above returnable.

        ReturnRequestInput has no exchange items in 2026-04: a return with exchange
        items is created with `create_return` once it is approved.
        """
        payload = _return_payload(order_id, lines, "customerNote", return_shipping_fee)
        return ReturnInfo.from_graphql(self.mutate("return_request", {"input": payload})["return"])

    def create_return(
        self,
        order_id: str,
        lines: Sequence[ReturnLineRequest],
        *,
        return_shipping_fee: Money | None = None,
        requested_at: datetime | None = None,
        exchange_lines: Sequence[ExchangeLineRequest] = (),
    ) -> ReturnInfo:
        """A return opened directly (OPEN), e.g. auto-approved by policy.

        `exchange_lines` are the new items of an exchange or replacement; the
        returned items' value pays for them, and `process_return` adds them to
        the order.
        """
        payload = _return_payload(order_id, lines, "returnReasonNote", return_shipping_fee)
        if requested_at is not None:
            payload["requestedAt"] = _utc(requested_at)
        if exchange_lines:
            payload["exchangeLineItems"] = [_exchange_line_input(ln) for ln in exchange_lines]
        return ReturnInfo.from_graphql(
            self.mutate("return_create", {"returnInput": payload})["return"]
        )

    def approve_return_request(
        self, return_id: str, *, notify_customer: bool = False
    ) -> ReturnInfo:
        payload = self.mutate(
            "return_approve_request",
            {"input": {"id": return_id, "notifyCustomer": notify_customer}},
        )
        return ReturnInfo.from_graphql(payload["return"])

    def decline_return_request(
        self,
        return_id: str,
        reason: str,
        *,
        note: str | None = None,
        notify_customer: bool = False,
    ) -> ReturnInfo:
        """Decline with RETURN_PERIOD_ENDED, FINAL_SALE or OTHER."""
        payload = self.mutate(
            "return_decline_request",
            {
                "input": _drop_none(
                    {
                        "id": return_id,
                        "declineReason": reason,
                        "declineNote": note,
                        "notifyCustomer": notify_customer,
                    }
                )
            },
        )
        return ReturnInfo.from_graphql(payload["return"])

    def close_return(self, return_id: str) -> ReturnInfo:
        return ReturnInfo.from_graphql(self.mutate("return_close", {"id": return_id})["return"])

    def process_return(
        self,
        return_id: str,
        lines: Sequence[ProcessLineRequest],
        *,
        refunds: Sequence[RefundTransactionRequest] = (),
        currency: str | None = None,
        refund_shipping: Decimal | None = None,
        full_shipping_refund: bool = False,
        note: str | None = None,
        notify_customer: bool = False,
        exchange_lines: Sequence[tuple[str, int]] = (),
    ) -> ReturnInfo:
        """Process received lines (dispositions restock them) and refund them when `refunds` are given.

        `exchange_lines` (exchange line item id, quantity) confirms new items of an
        exchange: Shopify then adds them to the order in a fulfillment order.
        Not idempotent: on ShopifyOutcomeUnknownError read the return back first.
        """
        if refunds and currency is None:
            raise ValueError("currency is required with refunds")
        payload: dict[str, Any] = {
            "returnId": return_id,
            "returnLineItems": [
                {
                    "id": ln.return_line_item_id,
                    "quantity": ln.quantity,
                    "dispositions": [
                        _drop_none(
                            {
                                "reverseFulfillmentOrderLineItemId": d.reverse_fulfillment_order_line_item_id,
                                "quantity": d.quantity,
                                "dispositionType": d.disposition_type,
                                "locationId": d.location_id,
                            }
                        )
                        for d in ln.dispositions
                    ],
                }
                for ln in lines
            ],
            "notifyCustomer": notify_customer,
        }
        if exchange_lines:
            payload["exchangeLineItems"] = [
                {"id": line_id, "quantity": qty} for line_id, qty in exchange_lines
            ]
        if note:
            payload["note"] = note
        if refund_shipping is not None or full_shipping_refund:
            shipping: dict[str, Any] = {"fullRefund": full_shipping_refund}
            if refund_shipping is not None:
                shipping["shippingRefundAmount"] = _money_input(refund_shipping, currency or "")
            payload["refundShipping"] = shipping
        if refunds:
            payload["financialTransfer"] = {
                "issueRefund": {
                    "orderTransactions": [
                        {
                            "parentId": r.parent_id,
                            "transactionAmount": _money_input(r.amount, currency or ""),
                        }
                        for r in refunds
                    ]
                }
            }
        return ReturnInfo.from_graphql(self.mutate("return_process", {"input": payload})["return"])

    def create_reverse_delivery_with_shipping(
        self,
        reverse_fulfillment_order_id: str,
        lines: Sequence[tuple[str, int]],
        *,
        tracking_number: str | None = None,
        tracking_url: str | None = None,
        label_url: str | None = None,
        notify_customer: bool = False,
    ) -> ReverseDeliveryInfo:
        """Attach a prepaid label (its file URL) and tracking to a return's reverse fulfillment order."""
        variables: dict[str, Any] = {
            "reverseFulfillmentOrderId": reverse_fulfillment_order_id,
            "reverseDeliveryLineItems": [
                {"reverseFulfillmentOrderLineItemId": line_id, "quantity": qty}
                for line_id, qty in lines
            ],
            "notifyCustomer": notify_customer,
        }
        if tracking_number or tracking_url:
            variables["trackingInput"] = _drop_none(
                {"number": tracking_number, "url": tracking_url}
            )
        if label_url:
            variables["labelInput"] = {"fileUrl": label_url}
        payload = self.mutate("reverse_delivery_create_with_shipping", variables)
        return ReverseDeliveryInfo.from_graphql(payload["reverseDelivery"])

    # -- money out -------------------------------------------------------------------------

    def refund_create(
        self,
        order_id: str,
        line_items: Sequence[RefundLineRequest],
        idempotency_key: str,
        *,
        transactions: Sequence[RefundTransactionRequest] = (),
        shipping_amount: Decimal | None = None,
        full_shipping: bool = False,
        note: str | None = None,
        notify: bool = False,
    ) -> RefundInfo:
        """Refund lines/shipping and money; retried safely: the same key never refunds twice."""
        if not idempotency_key or not idempotency_key.strip():
            raise ValueError("refund_create needs a non-blank idempotency key")
        refund_input: dict[str, Any] = {
            "orderId": order_id,
            "notify": notify,
            "refundLineItems": [
                _drop_none(
                    {
                        "lineItemId": ln.line_item_id,
                        "quantity": ln.quantity,
                        "restockType": ln.restock_type,
                        "locationId": ln.location_id,
                    }
                )
                for ln in line_items
            ],
            "transactions": [
                {
                    "orderId": order_id,
                    "parentId": t.parent_id,
                    "amount": str(t.amount),
                    "gateway": t.gateway,
                    "kind": "REFUND",
                }
                for t in transactions
            ],
        }
        if note:
            refund_input["note"] = note
        if full_shipping:
            refund_input["shipping"] = {"fullRefund": True}
        elif shipping_amount is not None:
            refund_input["shipping"] = {"amount": str(shipping_amount)}
        payload = self.mutate(
            "refund_create", {"input": refund_input, "idempotencyKey": idempotency_key}
        )
        return RefundInfo.from_graphql(payload["refund"])

    def credit_store_credit(
        self,
        owner_or_account_id: str,
        amount: Money,
        *,
        expires_at: datetime | None = None,
        notify: bool = False,
    ) -> StoreCreditTransactionInfo:
        """Credit store credit to a customer (id of the customer or of their account).

        Not idempotent: on ShopifyOutcomeUnknownError check the balance before crediting again.
        """
        credit: dict[str, Any] = {
            "creditAmount": _money_input(amount.amount, amount.currency),
            "notify": notify,
        }
        if expires_at is not None:
            credit["expiresAt"] = _utc(expires_at)
        payload = self.mutate(
            "store_credit_account_credit", {"id": owner_or_account_id, "creditInput": credit}
        )
        return StoreCreditTransactionInfo.from_graphql(payload["storeCreditAccountTransaction"])

    def create_gift_card(
        self,
        amount: Decimal,
        *,
        customer_id: str | None = None,
        note: str | None = None,
        expires_on: date | None = None,
        code: str | None = None,
    ) -> GiftCardInfo:
        """A gift card in shop currency (fallback when store credit is unavailable)."""
        card_input = _drop_none(
            {
                "initialValue": str(amount),
                "customerId": customer_id,
                "note": note,
                "expiresOn": expires_on.isoformat() if expires_on else None,
                "code": code,
            }
        )
        payload = self.mutate("gift_card_create", {"input": card_input})
        return GiftCardInfo.from_graphql(payload["giftCard"], payload.get("giftCardCode"))

    def create_discount_code(
        self,
        code: str,
        *,
        percentage: Decimal,
        title: str | None = None,
        customer_id: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        usage_limit: int | None = 1,
        applies_once_per_customer: bool = True,
    ) -> DiscountCodeInfo:
        """A percentage-off code on everything (0 < percentage <= 1), optionally for one customer."""
        discount = _drop_none(
            {
                "title": title or code,
                "code": code,
                "startsAt": _utc(starts_at) if starts_at else None,
                "endsAt": _utc(ends_at) if ends_at else None,
                "usageLimit": usage_limit,
                "appliesOncePerCustomer": applies_once_per_customer,
                "context": {"customers": {"add": [customer_id]}} if customer_id else {"all": "ALL"},
                "customerGets": {
                    "value": {"percentage": float(percentage)},
                    "items": {"all": True},
                },
            }
        )
        payload = self.mutate("discount_code_basic_create", {"basicCodeDiscount": discount})
        return DiscountCodeInfo.from_graphql(payload["codeDiscountNode"])

    # -- order edits, tags, notes ----------------------------------------------------------

    def begin_order_edit(self, order_id: str) -> OrderEditInfo:
        payload = self.mutate("order_edit_begin", {"id": order_id})
        return OrderEditInfo.from_graphql(
            payload["calculatedOrder"], payload.get("orderEditSession")
        )

    def update_order_edit_shipping_line(
        self,
        calculated_order_id: str,
        shipping_line_id: str,
        *,
        title: str | None = None,
        price: Money | None = None,
    ) -> OrderEditInfo:
        line = _drop_none(
            {"title": title, "price": _money_input(price.amount, price.currency) if price else None}
        )
        payload = self.mutate(
            "order_edit_update_shipping_line",
            {"id": calculated_order_id, "shippingLineId": shipping_line_id, "shippingLine": line},
        )
        return OrderEditInfo.from_graphql(
            payload["calculatedOrder"], payload.get("orderEditSession")
        )

    def commit_order_edit(
        self,
        calculated_order_id: str,
        *,
        notify_customer: bool = False,
        staff_note: str | None = None,
    ) -> tuple[ShippingLineInfo, ...]:
        """Apply the edit; returns the order's shipping lines afterwards."""
        payload = self.mutate(
            "order_edit_commit",
            _drop_none(
                {
                    "id": calculated_order_id,
                    "notifyCustomer": notify_customer,
                    "staffNote": staff_note,
                }
            ),
        )
        return tuple(
            ShippingLineInfo.from_graphql(n) for n in payload["order"]["shippingLines"]["nodes"]
        )

    def upgrade_shipping_at_no_charge(
        self,
        order_id: str,
        new_title: str,
        *,
        staff_note: str | None = None,
        notify_customer: bool = False,
    ) -> tuple[ShippingLineInfo, ...]:
        """Rename the order's shipping line to a faster service, keeping the price paid."""
        edit = self.begin_order_edit(order_id)
        current = [ln for ln in edit.shipping_lines if ln.staged_status != "REMOVED"]
        if not current:
            raise ValueError(f"order {order_id} has no shipping line to upgrade")
        self.update_order_edit_shipping_line(
            edit.calculated_order_id, current[0].id, title=new_title, price=current[0].price
        )
        return self.commit_order_edit(
            edit.calculated_order_id, notify_customer=notify_customer, staff_note=staff_note
        )

    def add_tags(self, resource_id: str, tags: Sequence[str]) -> None:
        self.mutate("tags_add", {"id": resource_id, "tags": list(tags)})

    def update_order_note(self, order_id: str, note: str) -> None:
        """Replace the order's note (read it first to append)."""
        self.mutate("order_update", {"input": {"id": order_id, "note": note}})

    # -- webhooks --------------------------------------------------------------------------

    def create_webhook_subscription(self, topic: str, uri: str) -> WebhookSubscriptionInfo:
        """Subscribe to a WebhookSubscriptionTopic (e.g. RETURNS_REQUEST) at `uri`."""
        payload = self.mutate(
            "webhook_subscription_create",
            {"topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"}},
        )
        return WebhookSubscriptionInfo.from_graphql(payload["webhookSubscription"])

    def delete_webhook_subscription(self, subscription_id: str) -> str:
        payload = self.mutate("webhook_subscription_delete", {"id": subscription_id})
        return payload["deletedWebhookSubscriptionId"]


def _exchange_line_input(line: ExchangeLineRequest) -> dict[str, Any]:
    item: dict[str, Any] = {"variantId": line.variant_id, "quantity": line.quantity}
    if line.discount_percent:
        # A percentage is the same whether Shopify applies it per unit or per line.
        item["appliedDiscount"] = _drop_none(
            {
                "description": line.discount_description,
                "value": {"percentage": float(line.discount_percent)},
            }
        )
    return item


def _codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    return [str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)]


def _retry_after(response: HttpResponse) -> float | None:
    for name, value in response.headers.items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _snippet(response: HttpResponse) -> str:
    return response.body[:200].decode(errors="replace")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _return_payload(
    order_id: str, lines: Sequence[ReturnLineRequest], note_field: str, shipping_fee: Money | None
) -> dict[str, Any]:
    """The input shared by returnRequest and returnCreate; they name the line note differently."""
    payload: dict[str, Any] = {
        "orderId": order_id,
        "returnLineItems": [
            _drop_none(
                {
                    "fulfillmentLineItemId": ln.fulfillment_line_item_id,
                    "quantity": ln.quantity,
                    "returnReasonDefinitionId": ln.reason_definition_id,
                    note_field: ln.note,
                    "restockingFee": {"percentage": ln.restocking_fee_percent}
                    if ln.restocking_fee_percent is not None
                    else None,
                }
            )
            for ln in lines
        ],
    }
    if shipping_fee is not None:
        payload["returnShippingFee"] = {
            "amount": _money_input(shipping_fee.amount, shipping_fee.currency)
        }
    return payload
