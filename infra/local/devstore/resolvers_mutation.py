"""Mutation resolvers: parse Shopify inputs, call the store, shape payloads.

Unknown ids and invalid values become `userErrors` as Shopify returns them;
input fields the simulator does not implement are loud GraphQL errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, get_named_type
from graphql.execution.values import get_directive_values

from infra.local.devstore import state as s
from infra.local.devstore.resolvers import UnsupportedFieldError, resolves
from infra.local.devstore.store import (
    DevStore,
    ExchangeLine,
    ProcessLine,
    RefundLine,
    RefundMoney,
    ReturnLine,
    UserErrors,
    fail,
)


def mutation(name: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., Any]]:
    """Register a Mutation field resolver that handles all its arguments and userErrors."""

    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        def resolve(root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            ctx = info.context
            try:
                return {"userErrors": [], **fn(ctx.shop, ctx.store, info, **args)}
            except UserErrors as exc:
                # Like Shopify: every payload field is null when there are userErrors.
                payload_type = get_named_type(info.return_type)
                empty: dict[str, Any] = dict.fromkeys(payload_type.fields)  # type: ignore[union-attr]
                return {**empty, "userErrors": [e.as_graphql() for e in exc.errors]}

        definition_args = _MUTATION_ARGS.get(name)
        resolves("Mutation", name, definition_args or ())(resolve)
        return fn

    return register


# Every mutation resolver handles all of its field's arguments itself.
_MUTATION_ARGS = {
    "returnRequest": ("input",),
    "returnCreate": ("returnInput",),
    "returnApproveRequest": ("input",),
    "returnDeclineRequest": ("input",),
    "returnClose": ("id",),
    "returnProcess": ("input",),
    "reverseDeliveryCreateWithShipping": (
        "reverseFulfillmentOrderId",
        "reverseDeliveryLineItems",
        "trackingInput",
        "labelInput",
        "notifyCustomer",
    ),
    "refundCreate": ("input",),
    "storeCreditAccountCredit": ("id", "creditInput"),
    "giftCardCreate": ("input",),
    "discountCodeBasicCreate": ("basicCodeDiscount",),
    "orderEditBegin": ("id",),
    "orderEditUpdateShippingLine": ("id", "shippingLineId", "shippingLine"),
    "orderEditCommit": ("id", "notifyCustomer", "staffNote"),
    "tagsAdd": ("id", "tags"),
    "orderUpdate": ("input",),
    "webhookSubscriptionCreate": ("topic", "webhookSubscription"),
    "webhookSubscriptionDelete": ("id",),
}


def _only(value: dict[str, Any] | None, allowed: Iterable[str], where: str) -> dict[str, Any]:
    """The input object, loud if it sets a field the simulator would otherwise ignore."""
    value = value or {}
    extra = [k for k, v in value.items() if k not in set(allowed) and v not in (None, [], False)]
    if extra:
        raise UnsupportedFieldError(
            f"devstore does not implement {where}.{', '.join(extra)}; "
            "add it to infra/local/devstore/resolvers_mutation.py"
        )
    return value


def _find(
    shop: s.Shop,
    gid: Any,
    types: tuple[type, ...],
    path: list[Any],
    what: str,
    code: str | None = "NOT_FOUND",
) -> Any:
    found = shop.find(gid, *types)
    if found is None:
        raise fail(path, f"{what} does not exist", code)
    return found


def _decimal(value: Any, path: list[Any]) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise fail(path, f"{value!r} is not a decimal amount", "INVALID") from exc


def _datetime(value: Any, path: list[Any]) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise fail(path, f"{value!r} is not a date and time", "INVALID") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _money_input(shop: s.Shop, value: dict[str, Any] | None, path: list[Any]) -> Decimal | None:
    if not value:
        return None
    amount = _decimal(value.get("amount"), [*path, "amount"])
    if value.get("currencyCode") not in (None, shop.currency):
        raise fail([*path, "currencyCode"], "Currency must be the shop's currency", "INVALID")
    return amount


# -- returns -------------------------------------------------------------------------------


def _return_lines(
    shop: s.Shop, raw: list[dict[str, Any]], path: list[Any], note_field: str
) -> list[ReturnLine]:
    lines = []
    for i, item in enumerate(raw):
        where = [*path, "returnLineItems", i]
        _only(
            item,
            {
                "fulfillmentLineItemId",
                "quantity",
                "returnReasonDefinitionId",
                note_field,
                "restockingFee",
            },
            "ReturnLineItemInput",
        )
        fli = _find(
            shop,
            item["fulfillmentLineItemId"],
            (s.FulfillmentLineItem,),
            [*where, "fulfillmentLineItemId"],
            "Fulfillment line item",
        )
        reason = None
        if item.get("returnReasonDefinitionId"):
            reason = _find(
                shop,
                item["returnReasonDefinitionId"],
                (s.ReturnReasonDefinition,),
                [*where, "returnReasonDefinitionId"],
                "Return reason definition",
            )
        fee = item.get("restockingFee") or {}
        lines.append(
            ReturnLine(
                fulfillment_line_item=fli,
                quantity=int(item["quantity"]),
                reason=reason,
                reason_note=item.get("returnReasonNote") or "",
                customer_note=item.get("customerNote"),
                restocking_fee_percentage=fee.get("percentage"),
            )
        )
    return lines


def _exchange_lines(
    shop: s.Shop, raw: list[dict[str, Any]] | None, path: list[Any]
) -> list[ExchangeLine]:
    lines = []
    for i, item in enumerate(raw or []):
        where = [*path, "exchangeLineItems", i]
        _only(item, {"variantId", "quantity", "appliedDiscount"}, "ExchangeLineItemInput")
        if not item.get("variantId"):
            raise fail([*where, "variantId"], "Variant can't be blank", "BLANK")
        variant = _find(shop, item["variantId"], (s.Variant,), [*where, "variantId"], "Variant")
        percentage, description = None, None
        if item.get("appliedDiscount"):
            discount = _only(
                item["appliedDiscount"],
                {"description", "value"},
                "ExchangeLineItemAppliedDiscountInput",
            )
            # Whether a fixed `amount` is per unit or per line is not documented: not guessed.
            value = _only(
                discount["value"], {"percentage"}, "ExchangeLineItemAppliedDiscountValueInput"
            )
            if value.get("percentage") is not None:
                percentage = _decimal(
                    value["percentage"], [*where, "appliedDiscount", "value", "percentage"]
                )
            description = discount.get("description")
        lines.append(
            ExchangeLine(
                variant=variant,
                quantity=int(item["quantity"]),
                discount_percentage=percentage,
                discount_description=description,
            )
        )
    return lines


def _order_for(shop: s.Shop, order_id: str, path: list[Any]) -> s.Order:
    return _find(shop, order_id, (s.Order,), path, "Order")


@mutation("returnRequest")
def _return_request(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    _only(input, {"orderId", "returnLineItems", "returnShippingFee"}, "ReturnRequestInput")
    order = _order_for(shop, input["orderId"], ["input", "orderId"])
    lines = _return_lines(shop, input["returnLineItems"], ["input"], "customerNote")
    fee = _money_input(
        shop,
        (input.get("returnShippingFee") or {}).get("amount"),
        ["input", "returnShippingFee", "amount"],
    )
    return {"return": store.request_return(shop, order, lines, shipping_fee=fee)}


@mutation("returnCreate")
def _return_create(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, returnInput: dict[str, Any]
) -> dict[str, Any]:
    _only(
        returnInput,
        {"orderId", "returnLineItems", "returnShippingFee", "requestedAt", "exchangeLineItems"},
        "ReturnInput",
    )
    order = _order_for(shop, returnInput["orderId"], ["returnInput", "orderId"])
    lines = _return_lines(shop, returnInput["returnLineItems"], ["returnInput"], "returnReasonNote")
    exchange = _exchange_lines(shop, returnInput.get("exchangeLineItems"), ["returnInput"])
    fee = _money_input(
        shop,
        (returnInput.get("returnShippingFee") or {}).get("amount"),
        ["returnInput", "returnShippingFee", "amount"],
    )
    requested_at = _datetime(returnInput.get("requestedAt"), ["returnInput", "requestedAt"])
    return {
        "return": store.create_return(
            shop, order, lines, shipping_fee=fee, requested_at=requested_at, exchange_lines=exchange
        )
    }


@mutation("returnApproveRequest")
def _return_approve(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    ret = _find(shop, input["id"], (s.Return,), ["input", "id"], "Return")
    return {"return": store.approve_return(shop, ret)}


@mutation("returnDeclineRequest")
def _return_decline(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    ret = _find(shop, input["id"], (s.Return,), ["input", "id"], "Return")
    return {
        "return": store.decline_return(
            shop, ret, reason=input["declineReason"], note=input.get("declineNote")
        )
    }


@mutation("returnClose")
def _return_close(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, id: str
) -> dict[str, Any]:
    ret = _find(shop, id, (s.Return,), ["id"], "Return")
    return {"return": store.close_return(shop, ret)}


@mutation("returnProcess")
def _return_process(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    _only(
        input,
        {
            "returnId",
            "returnLineItems",
            "exchangeLineItems",
            "refundShipping",
            "note",
            "notifyCustomer",
            "financialTransfer",
        },
        "ReturnProcessInput",
    )
    ret = _find(shop, input["returnId"], (s.Return,), ["input", "returnId"], "Return")
    exchange = []
    for i, item in enumerate(input.get("exchangeLineItems") or []):
        eli = _find(
            shop,
            item["id"],
            (s.ExchangeLineItem,),
            ["input", "exchangeLineItems", i, "id"],
            "Exchange line item",
        )
        exchange.append((eli, int(item["quantity"])))
    rfo_lines = {li.gid: li for rfo in ret.reverse_fulfillment_orders for li in rfo.line_items}
    lines = []
    for i, item in enumerate(input.get("returnLineItems") or []):
        where = ["input", "returnLineItems", i]
        rli = _find(shop, item["id"], (s.ReturnLineItem,), [*where, "id"], "Return line item")
        dispositions = []
        for j, d in enumerate(item.get("dispositions") or []):
            rfoli = rfo_lines.get(d["reverseFulfillmentOrderLineItemId"])
            if rfoli is None:
                raise fail(
                    [*where, "dispositions", j, "reverseFulfillmentOrderLineItemId"],
                    "Reverse fulfillment order line item does not exist",
                    "NOT_FOUND",
                )
            location = None
            if d.get("locationId"):
                location = _find(
                    shop,
                    d["locationId"],
                    (s.Location,),
                    [*where, "dispositions", j, "locationId"],
                    "Location",
                )
            dispositions.append((rfoli, int(d["quantity"]), d["dispositionType"], location))
        lines.append(
            ProcessLine(
                return_line_item=rli, quantity=int(item["quantity"]), dispositions=dispositions
            )
        )
    shipping = _only(
        input.get("refundShipping"), {"shippingRefundAmount", "fullRefund"}, "RefundShippingInput"
    )
    transfer = _only(
        input.get("financialTransfer"), {"issueRefund"}, "ReturnProcessFinancialTransferInput"
    )
    money = None
    if transfer.get("issueRefund"):
        issue = _only(
            transfer["issueRefund"],
            {"orderTransactions", "allowOverRefunding"},
            "ReturnProcessRefundInput",
        )
        money = []
        for i, t in enumerate(issue["orderTransactions"]):
            where = ["input", "financialTransfer", "issueRefund", "orderTransactions", i]
            parent = _find(
                shop, t["parentId"], (s.Transaction,), [*where, "parentId"], "Parent transaction"
            )
            money.append(
                RefundMoney(
                    amount=_money_input(shop, t["transactionAmount"], [*where, "transactionAmount"])
                    or Decimal(0),
                    parent=parent,
                )
            )
    store.process_return(
        shop,
        ret,
        lines,
        refund_money=money,
        refund_shipping=_money_input(
            shop,
            shipping.get("shippingRefundAmount"),
            ["input", "refundShipping", "shippingRefundAmount"],
        ),
        full_shipping=bool(shipping.get("fullRefund")),
        note=input.get("note"),
        exchange=exchange,
    )
    return {"return": ret}


@mutation("reverseDeliveryCreateWithShipping")
def _reverse_delivery(
    shop: s.Shop,
    store: DevStore,
    info: GraphQLResolveInfo,
    reverseFulfillmentOrderId: str,
    reverseDeliveryLineItems: list[dict[str, Any]],
    trackingInput: dict[str, Any] | None = None,
    labelInput: dict[str, Any] | None = None,
    notifyCustomer: bool | None = None,
) -> dict[str, Any]:
    rfo = _find(
        shop,
        reverseFulfillmentOrderId,
        (s.ReverseFulfillmentOrder,),
        ["reverseFulfillmentOrderId"],
        "Reverse fulfillment order",
    )
    lines = []
    for i, item in enumerate(reverseDeliveryLineItems):
        rfoli = _find(
            shop,
            item["reverseFulfillmentOrderLineItemId"],
            (s.ReverseFulfillmentOrderLineItem,),
            ["reverseDeliveryLineItems", i, "reverseFulfillmentOrderLineItemId"],
            "Reverse fulfillment order line item",
        )
        lines.append((rfoli, int(item["quantity"])))
    tracking = trackingInput or {}
    label = labelInput or {}
    rd = store.create_reverse_delivery(
        shop,
        rfo,
        lines,
        tracking_number=tracking.get("number"),
        tracking_url=tracking.get("url"),
        label_url=label.get("fileUrl"),
    )
    return {"reverseDelivery": rd}


# -- refunds -------------------------------------------------------------------------------


def _idempotency_key(info: GraphQLResolveInfo) -> str | None:
    directive = info.schema.get_directive("idempotent")
    assert directive is not None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return values["key"] if values else None


def _refund_create(root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    shop: s.Shop = info.context.shop
    key = _idempotency_key(info)
    if key is None:
        raise GraphQLError(
            "refundCreate requires the @idempotent(key:) directive as of API version 2026-04",
            extensions={"code": "BAD_REQUEST"},
        )
    if not key.strip():
        raise GraphQLError(
            "The idempotency key cannot be blank", extensions={"code": "BAD_REQUEST"}
        )
    fingerprint = json.dumps(input, sort_keys=True, default=str)
    record = shop.idempotency.get(key)
    if record is not None:
        if record.fingerprint != fingerprint:
            raise GraphQLError(
                "The same idempotency key cannot be used with different operation parameters.",
                extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
            )
        # A duplicate: answer with the first refund, never a second one. The store
        # lock serialises execution, so a concurrent duplicate lands here too.
        return {"refund": record.refund, "order": record.refund.order, "userErrors": []}
    try:
        refund = _do_refund(shop, info.context.store, input)
    except UserErrors as exc:
        return {"refund": None, "order": None, "userErrors": [e.as_graphql() for e in exc.errors]}
    # Rejected input changes nothing, so only a created refund claims the key.
    shop.idempotency[key] = s.IdempotencyRecord(fingerprint=fingerprint, refund=refund)
    return {"refund": refund, "order": refund.order, "userErrors": []}


resolves("Mutation", "refundCreate", ("input",))(_refund_create)


def _do_refund(shop: s.Shop, store: DevStore, input: dict[str, Any]) -> s.Refund:
    _only(
        input,
        {
            "orderId",
            "refundLineItems",
            "shipping",
            "transactions",
            "note",
            "notify",
            "currency",
            "allowOverRefunding",
        },
        "RefundInput",
    )
    order = _order_for(shop, input["orderId"], ["orderId"])
    if input.get("currency") not in (None, shop.currency):
        raise fail(["currency"], "Currency must be the shop's currency", "INVALID")
    lines = []
    for i, item in enumerate(input.get("refundLineItems") or []):
        where = ["refundLineItems", i]
        li = _find(
            shop, item["lineItemId"], (s.LineItem,), [*where, "lineItemId"], "Line item", None
        )
        location = None
        if item.get("locationId"):
            location = _find(
                shop, item["locationId"], (s.Location,), [*where, "locationId"], "Location", None
            )
        lines.append(
            RefundLine(
                line_item=li,
                quantity=int(item["quantity"]),
                restock_type=item.get("restockType") or "NO_RESTOCK",
                location=location,
            )
        )
    money = []
    for i, t in enumerate(input.get("transactions") or []):
        where = ["transactions", i]
        if t.get("kind") != "REFUND":
            raise fail([*where, "kind"], "Transaction kind must be REFUND", None)
        if t.get("orderId") != order.gid:
            raise fail([*where, "orderId"], "Transaction must belong to the refunded order", None)
        parent = shop.find(t.get("parentId"), s.Transaction) if t.get("parentId") else None
        money.append(
            RefundMoney(
                amount=_decimal(t["amount"], [*where, "amount"]),
                parent=parent,
                gateway=t.get("gateway"),
            )
        )
    shipping = input.get("shipping") or {}
    ship_amount = (
        _decimal(shipping["amount"], ["shipping", "amount"])
        if shipping.get("amount") is not None
        else None
    )
    return store.refund(
        shop,
        order,
        lines=lines,
        money=money,
        shipping_amount=ship_amount,
        full_shipping=bool(shipping.get("fullRefund")),
        note=input.get("note"),
        allow_over_refunding=bool(input.get("allowOverRefunding")),
    )


# -- credit, gift cards, discounts ---------------------------------------------------------


@mutation("storeCreditAccountCredit")
def _store_credit(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, id: str, creditInput: dict[str, Any]
) -> dict[str, Any]:
    _only(creditInput, {"creditAmount", "expiresAt", "notify"}, "StoreCreditAccountCreditInput")
    credit = creditInput["creditAmount"]
    txn = store.credit_store_credit(
        shop,
        id,
        amount=_decimal(credit["amount"], ["creditInput", "creditAmount", "amount"]),
        currency=credit["currencyCode"],
        expires_at=_datetime(creditInput.get("expiresAt"), ["creditInput", "expiresAt"]),
    )
    return {"storeCreditAccountTransaction": txn}


@mutation("giftCardCreate")
def _gift_card_create(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    _only(input, {"initialValue", "code", "customerId", "expiresOn", "note"}, "GiftCardCreateInput")
    customer = None
    if input.get("customerId"):
        customer = _find(
            shop,
            input["customerId"],
            (s.Customer,),
            ["input", "customerId"],
            "Customer",
            "CUSTOMER_NOT_FOUND",
        )
    expires_on = None
    if input.get("expiresOn"):
        try:
            expires_on = date.fromisoformat(input["expiresOn"])
        except ValueError as exc:
            raise fail(["input", "expiresOn"], "Expires on is invalid", "INVALID") from exc
    card = store.create_gift_card(
        shop,
        initial_value=_decimal(input["initialValue"], ["input", "initialValue"]),
        code=input.get("code"),
        customer=customer,
        expires_on=expires_on,
        note=input.get("note"),
    )
    return {"giftCard": card, "giftCardCode": card.code}


@mutation("discountCodeBasicCreate")
def _discount_create(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, basicCodeDiscount: dict[str, Any]
) -> dict[str, Any]:
    d = _only(
        basicCodeDiscount,
        {
            "title",
            "code",
            "startsAt",
            "endsAt",
            "usageLimit",
            "appliesOncePerCustomer",
            "context",
            "customerGets",
            "combinesWith",
            "tags",
        },
        "DiscountCodeBasicInput",
    )
    context = _only(d.get("context"), {"all", "customers"}, "DiscountContextInput")
    customers = _only(context.get("customers"), {"add"}, "DiscountCustomersInput")
    gets = _only(
        d.get("customerGets"),
        {"value", "items", "appliesOnOneTimePurchase", "appliesOnSubscription"},
        "DiscountCustomerGetsInput",
    )
    value = _only(gets.get("value"), {"percentage"}, "DiscountCustomerGetsValueInput")
    _only(gets.get("items"), {"all"}, "DiscountItemsInput")
    node = store.create_discount_code(
        shop,
        code=d.get("code") or "",
        title=d.get("title"),
        percentage=value.get("percentage"),
        starts_at=_datetime(d.get("startsAt"), ["basicCodeDiscount", "startsAt"]),
        ends_at=_datetime(d.get("endsAt"), ["basicCodeDiscount", "endsAt"]),
        usage_limit=d.get("usageLimit"),
        applies_once_per_customer=bool(d.get("appliesOncePerCustomer")),
        customer_ids=customers.get("add") or [],
    )
    return {"codeDiscountNode": node}


# -- order edits, tags, notes --------------------------------------------------------------


@mutation("orderEditBegin")
def _edit_begin(shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    order = _order_for(shop, id, ["id"])
    edit = store.begin_edit(shop, order)
    return {"calculatedOrder": edit, "orderEditSession": {"id": edit.session_gid}}


def _edit_for(shop: s.Shop, store: DevStore, edit_id: str) -> s.OrderEdit:
    edit = store.find_edit(shop, edit_id)
    if edit is None:
        raise fail(["id"], "Order edit does not exist", "INVALID")
    return edit


@mutation("orderEditUpdateShippingLine")
def _edit_shipping(
    shop: s.Shop,
    store: DevStore,
    info: GraphQLResolveInfo,
    id: str,
    shippingLineId: str,
    shippingLine: dict[str, Any],
) -> dict[str, Any]:
    edit = _edit_for(shop, store, id)
    price = _money_input(shop, shippingLine.get("price"), ["shippingLine", "price"])
    store.update_edit_shipping_line(
        edit, shippingLineId, title=shippingLine.get("title"), price=price
    )
    return {"calculatedOrder": edit, "orderEditSession": {"id": edit.session_gid}}


@mutation("orderEditCommit")
def _edit_commit(
    shop: s.Shop,
    store: DevStore,
    info: GraphQLResolveInfo,
    id: str,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> dict[str, Any]:
    edit = _edit_for(shop, store, id)
    order = store.commit_edit(shop, edit, staff_note=staffNote)
    return {"order": order, "successMessages": ["Order updated"]}


@mutation("tagsAdd")
def _tags_add(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, id: str, tags: list[str]
) -> dict[str, Any]:
    return {"node": store.add_tags(shop, id, tags)}


@mutation("orderUpdate")
def _order_update(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    _only(input, {"id", "note", "tags", "email"}, "OrderInput")
    order = _order_for(shop, input["id"], ["id"])
    return {
        "order": store.update_order(
            shop, order, note=input.get("note"), tags=input.get("tags"), email=input.get("email")
        )
    }


# -- webhook subscriptions -----------------------------------------------------------------


@mutation("webhookSubscriptionCreate")
def _webhook_create(
    shop: s.Shop,
    store: DevStore,
    info: GraphQLResolveInfo,
    topic: str,
    webhookSubscription: dict[str, Any],
) -> dict[str, Any]:
    sub = _only(
        webhookSubscription,
        {"uri", "format", "filter", "includeFields", "name"},
        "WebhookSubscriptionInput",
    )
    created = store.create_subscription(
        shop,
        topic=topic,
        uri=sub.get("uri") or "",
        format_=sub.get("format") or "JSON",
        filter_=sub.get("filter"),
        include_fields=sub.get("includeFields") or (),
    )
    return {"webhookSubscription": created}


@mutation("webhookSubscriptionDelete")
def _webhook_delete(
    shop: s.Shop, store: DevStore, info: GraphQLResolveInfo, id: str
) -> dict[str, Any]:
    return {"deletedWebhookSubscriptionId": store.delete_subscription(shop, id)}
