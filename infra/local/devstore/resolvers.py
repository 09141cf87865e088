"""How the simulator answers GraphQL fields from its state.

One default resolver serves most fields: it reads the snake_case attribute of
the state object (or the key of a dict built by a resolver), turns lists into
connections, Decimals into MoneyBag/MoneyV2 and times into Shopify's UTC
strings. Fields that need logic have explicit resolvers below. A field with
neither, or an argument nobody handles, is a loud GraphQL error: the app must
never get a silent null because the simulator drifted from what it asks.
"""

from __future__ import annotations

import base64
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLResolveInfo,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    get_nullable_type,
)

from infra.local.devstore import state as s
from infra.local.devstore.cost import is_connection
from infra.local.devstore.store import DevStore

PAGINATION_ARGS = frozenset({"first", "last", "after", "before", "reverse"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_MISSING = object()


@dataclass
class Context:
    """Per-request context: the shop the token belongs to and the store."""

    shop: s.Shop
    store: DevStore


@dataclass(frozen=True)
class Resolver:
    fn: Callable[..., Any]
    args: frozenset[str]


_RESOLVERS: dict[tuple[str, str], Resolver] = {}


def resolves(type_name: str, field_name: str, args: tuple[str, ...] = ()) -> Callable[..., Any]:
    """Register an explicit resolver; `args` are the arguments it handles itself."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _RESOLVERS[(type_name, field_name)] = Resolver(fn, frozenset(args))
        return fn

    return register


class UnsupportedFieldError(GraphQLError):
    """The simulator has no data or resolver for a field the document asks for."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "DEVSTORE_UNSUPPORTED"})


def snake_case(name: str) -> str:
    snake = _CAMEL.sub("_", name).lower()
    return f"{snake}_" if keyword.iskeyword(snake) else snake


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract_type: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("__typename")
    return getattr(type(value), "graphql_type", None)


def resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The default field resolver: explicit resolver, else state lookup; loud when neither."""
    parent = info.parent_type.name
    explicit = _RESOLVERS.get((parent, info.field_name))
    named = get_named_type(info.return_type)
    paginates = is_connection(named) or isinstance(get_nullable_type(info.return_type), GraphQLList)
    _reject_unhandled_args(info, args, (explicit.args if explicit else frozenset()), paginates)
    if explicit is not None:
        value = explicit.fn(source, info, **args)
    else:
        value = _lookup(source, info)
    return finalize(value, source, info, args)


def _reject_unhandled_args(
    info: GraphQLResolveInfo, args: dict[str, Any], handled: frozenset[str], paginates: bool
) -> None:
    definition = info.parent_type.fields[info.field_name]
    for name, value in args.items():
        if name in handled or (paginates and name in PAGINATION_ARGS):
            continue
        default = definition.args[name].default_value
        if value is None or (default is not Undefined and value == default):
            continue
        raise UnsupportedFieldError(
            f"devstore does not support argument {name!r} of "
            f"{info.parent_type.name}.{info.field_name}; add it to infra/local/devstore/resolvers.py"
        )


def _lookup(source: Any, info: GraphQLResolveInfo) -> Any:
    name = info.field_name
    if isinstance(source, dict):
        if name in source:
            return source[name]
    elif name == "id" and isinstance(source, s.Entity):
        return source.gid
    elif name == "legacyResourceId" and isinstance(source, s.Entity):
        return source.id
    else:
        value = getattr(source, snake_case(name), _MISSING)
        if value is not _MISSING:
            return value
    raise UnsupportedFieldError(
        f"devstore has no data for {info.parent_type.name}.{name}; "
        "add it to infra/local/devstore (state.py or resolvers.py)"
    )


def finalize(value: Any, source: Any, info: GraphQLResolveInfo, args: dict[str, Any]) -> Any:
    """Shape a raw state value for the field's GraphQL type."""
    if value is None:
        return None
    named = get_named_type(info.return_type)
    if is_connection(named):
        return paginate(list(value), args)
    if isinstance(get_nullable_type(info.return_type), GraphQLList):
        items = list(value)
        if args.get("first") is not None:
            items = items[: args["first"]]
        return [_leaf(item, named.name, source, info) for item in items]
    return _leaf(value, named.name, source, info)


def _currency(source: Any, info: GraphQLResolveInfo) -> str:
    currency = getattr(source, "currency", None)
    return currency if isinstance(currency, str) else info.context.shop.currency


def money_v2(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": s.money(amount), "currencyCode": currency}


def _leaf(value: Any, type_name: str, source: Any, info: GraphQLResolveInfo) -> Any:
    if isinstance(value, Decimal):
        if type_name == "MoneyBag":
            one = money_v2(value, _currency(source, info))
            return {"shopMoney": one, "presentmentMoney": one}
        if type_name == "MoneyV2":
            return money_v2(value, _currency(source, info))
        return str(s.money(value)) if type_name in ("Money", "Decimal") else str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if type_name == "UnsignedInt64" and isinstance(value, int):
        return str(value)
    schema_type = info.schema.get_type(type_name)
    if (
        isinstance(schema_type, GraphQLScalarType)
        and isinstance(value, (dict, list))
        and type_name != "JSON"
    ):
        raise UnsupportedFieldError(
            f"devstore produced a {type(value).__name__} for scalar {type_name}"
        )
    return value


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"devstore:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise GraphQLError(
            f"Invalid cursor {cursor!r}", extensions={"code": "BAD_REQUEST"}
        ) from exc


def paginate(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """A Relay connection over `items` honouring first/last/after/before/reverse."""
    if args.get("reverse"):
        items = items[::-1]
    start = _index(args["after"]) + 1 if args.get("after") else 0
    end = _index(args["before"]) if args.get("before") else len(items)
    window = list(enumerate(items))[start:end]
    has_previous, has_next = start > 0, end < len(items)
    first, last = args.get("first"), args.get("last")
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_previous = has_previous or len(window) > last
        window = window[-last:] if last else []
    edges = [{"cursor": _cursor(i), "node": node} for i, node in window]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# Resolvers that need logic are in resolvers_query.py and resolvers_mutation.py;
# importing them registers them.
def register_all() -> None:
    from infra.local.devstore import resolvers_mutation, resolvers_query  # noqa: F401
