"""Explicit resolvers for query-side fields that need more than a state lookup."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from infra.local.devstore import state as s
from infra.local.devstore.resolvers import UnsupportedFieldError, resolves

# Root fields that look one entity up by GID.
_BY_ID: dict[str, tuple[type[s.Entity], ...]] = {
    "order": (s.Order,),
    "return": (s.Return,),
    "customer": (s.Customer,),
    "product": (s.Product,),
    "productVariant": (s.Variant,),
    "inventoryItem": (s.InventoryItem,),
    "inventoryLevel": (s.InventoryLevel,),
    "location": (s.Location,),
    "fulfillment": (s.Fulfillment,),
    "fulfillmentOrder": (s.FulfillmentOrder,),
    "refund": (s.Refund,),
    "reverseFulfillmentOrder": (s.ReverseFulfillmentOrder,),
    "reverseDelivery": (s.ReverseDelivery,),
    "storeCreditAccount": (s.StoreCreditAccount,),
    "giftCard": (s.GiftCard,),
    "codeDiscountNode": (s.DiscountCodeNode,),
    "webhookSubscription": (s.WebhookSubscription,),
    "node": (),
}
INVENTORY_QUANTITY_NAMES = {
    "available",
    "incoming",
    "committed",
    "on_hand",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
}


def _by_id(types: tuple[type[s.Entity], ...]):
    def resolve(root: Any, info: GraphQLResolveInfo, id: str) -> Any:
        return info.context.shop.find(id, *types)

    return resolve


for _name, _types in _BY_ID.items():
    resolves("QueryRoot", _name, ("id",))(_by_id(_types))


@resolves("QueryRoot", "nodes", ("ids",))
def _nodes(root: Any, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
    if len(ids) > 250:
        raise GraphQLError(
            "nodes accepts at most 250 ids", extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"}
        )
    return [info.context.shop.find(i) for i in ids]


@resolves("QueryRoot", "shop")
def _shop(root: Any, info: GraphQLResolveInfo) -> s.Shop:
    return info.context.shop


@resolves("QueryRoot", "locations")
def _locations(root: Any, info: GraphQLResolveInfo, **_: Any) -> list[s.Location]:
    return list(info.context.shop.locations)


@resolves("QueryRoot", "returnReasonDefinitions", ("ids", "handles"))
def _reason_definitions(
    root: Any,
    info: GraphQLResolveInfo,
    ids: list[str] | None = None,
    handles: list[str] | None = None,
    **_: Any,
) -> list[s.ReturnReasonDefinition]:
    found = s.REASON_DEFINITIONS
    if ids:
        found = [d for d in found if d.gid in ids]
    if handles:
        found = [d for d in found if d.handle in handles]
    return list(found)


@resolves("QueryRoot", "webhookSubscriptions", ("topics", "uri", "format"))
def _webhook_subscriptions(
    root: Any,
    info: GraphQLResolveInfo,
    topics: list[str] | None = None,
    uri: str | None = None,
    format: str | None = None,
    **_: Any,
) -> list[s.WebhookSubscription]:
    subs = list(info.context.shop.webhook_subscriptions)
    if topics:
        subs = [w for w in subs if w.topic in topics]
    if uri:
        subs = [w for w in subs if w.uri == uri]
    if format:
        subs = [w for w in subs if w.format == format]
    return subs


_ORDER_SORT = {
    "ID": lambda o: o.id,
    "CREATED_AT": lambda o: o.created_at,
    "PROCESSED_AT": lambda o: o.processed_at,
    "UPDATED_AT": lambda o: o.updated_at,
    "ORDER_NUMBER": lambda o: o.number,
    "TOTAL_PRICE": lambda o: o.total_price,
}
_TERM = re.compile(r"""(\w+):(>=|<=|>|<)?(?:'([^']*)'|"([^"]*)"|(\S+))""")


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphQLError(
            f"Invalid date in query: {text!r}", extensions={"code": "BAD_REQUEST"}
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if op == ">":
        return value > wanted
    if op == ">=":
        return value >= wanted
    if op == "<":
        return value < wanted
    if op == "<=":
        return value <= wanted
    return value == wanted


def _order_matches(order: s.Order, key: str, op: str, value: str) -> bool:
    if key in ("updated_at", "created_at", "processed_at"):
        return _compare(getattr(order, key), op, _when(value))
    if key == "name":
        return order.name == (value if value.startswith("#") else f"#{value}")
    if key == "email":
        return (order.email or "").lower() == value.lower()
    if key == "tag":
        return value in order.tags
    if key == "status":
        if value == "any":
            return True
        closed = order.closed_at is not None or order.cancelled_at is not None
        return closed if value == "closed" else not closed
    if key == "fulfillment_status":
        status = order.fulfillment_status
        wanted = {"shipped": "fulfilled", "unshipped": None, "partial": "partial"}
        if value not in wanted:
            raise UnsupportedFieldError(f"devstore does not support fulfillment_status:{value}")
        return status == wanted[value]
    raise UnsupportedFieldError(
        f"devstore does not support order search term {key!r}; add it to resolvers_query.py"
    )


@resolves("QueryRoot", "orders", ("query", "sortKey"))
def _orders(
    root: Any,
    info: GraphQLResolveInfo,
    query: str | None = None,
    sortKey: str = "ID",
    **_: Any,
) -> list[s.Order]:
    # `reverse` is applied by the generic pagination, after this sort.
    orders = list(info.context.shop.orders)
    for match in _TERM.finditer(query or ""):
        key, op = match.group(1), match.group(2) or ""
        value = next(g for g in match.group(3, 4, 5) if g is not None)
        orders = [o for o in orders if _order_matches(o, key, op, value)]
    if sortKey not in _ORDER_SORT:
        raise UnsupportedFieldError(f"devstore does not support orders(sortKey: {sortKey})")
    orders.sort(key=_ORDER_SORT[sortKey])
    return orders


@resolves("Order", "shippingLines", ("includeRemovals",))
def _shipping_lines(
    order: s.Order, info: GraphQLResolveInfo, includeRemovals: bool | None = None, **_: Any
):
    return [sl for sl in order.shipping_lines if includeRemovals or not sl.is_removed]


@resolves("InventoryLevel", "quantities", ("names",))
def _quantities(
    level: s.InventoryLevel, info: GraphQLResolveInfo, names: list[str]
) -> list[dict[str, Any]]:
    unknown = [n for n in names if n not in INVENTORY_QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"Invalid quantity names: {unknown}", extensions={"code": "BAD_REQUEST"})
    return [
        {
            "id": f"gid://shopify/InventoryQuantity/{level.id}?name={n}",
            "name": n,
            "quantity": level.quantities.get(n, 0),
            "updatedAt": level.updated_at,
        }
        for n in names
    ]


@resolves("DiscountCodeBasic", "status")
def _discount_status(discount: s.DiscountCodeBasic, info: GraphQLResolveInfo) -> str:
    now = info.context.store.clock.now()
    if discount.starts_at > now:
        return "SCHEDULED"
    if discount.ends_at is not None and discount.ends_at <= now:
        return "EXPIRED"
    return "ACTIVE"
