"""Shopify's calculated query cost (an approximation) and its leaky bucket.

Rules, after shopify.dev "GraphQL Admin API rate limits": scalars and enums
cost 0, objects 1, a connection 2 plus `first`/`last` times the cost of one
node, a plain list of objects its size (`first`, or the number of `ids`)
times one object, and each mutation field 10. The requested cost assumes
every page is full; the actual cost counts what the response contains.
"""

from __future__ import annotations

import threading
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.utilities import get_operation_ast

from infra.local.devstore.clock import Clock

MAX_SINGLE_QUERY_COST = 1000
MUTATION_COST = 10
_MISSING = object()


class CostError(Exception):
    """A document Shopify refuses to price (e.g. a connection without first/last)."""


def is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and "pageInfo" in named.fields
    )


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    data: Any = _MISSING,
) -> int:
    """Requested cost (no `data`) or actual cost of the response `data`."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise CostError("No operation to price")
    walker = _Walker(schema, document, variables or {})
    if operation.operation == OperationType.MUTATION:
        root_type = schema.mutation_type
        assert root_type is not None
        return MUTATION_COST * sum(1 for _ in walker.fields(root_type, operation.selection_set))
    root_type = schema.query_type
    assert root_type is not None
    return walker.selection(root_type, operation.selection_set, data)


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]):
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def fields(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None):
        """(field node, its definition) for every field selected, fragments flattened."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                definition = getattr(parent, "fields", {}).get(name)
                if definition is not None:
                    yield selection, definition
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                yield from self.fields(target, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value) or parent
                    yield from self.fields(target, fragment.selection_set)

    def args(self, node: FieldNode) -> dict[str, Any]:
        return {
            a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments
        }

    def selection(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, data: Any
    ) -> int:
        total = 0
        for node, definition in self.fields(parent, selection_set):
            key = node.alias.value if node.alias else node.name.value
            sub = data.get(key, None) if isinstance(data, dict) else data
            total += self.field(node, definition, sub)
        return total

    def field(self, node: FieldNode, definition: GraphQLField, data: Any) -> int:
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        actual = data is not _MISSING
        if actual and data is None:
            return 0
        args = self.args(node)
        if is_connection(named):
            return self.connection(node, named, args, data)
        nullable = get_nullable_type(definition.type)
        if isinstance(nullable, GraphQLList):
            if actual:
                return sum(
                    1 + self.selection(named, node.selection_set, item) for item in data or []
                )
            size = args.get("first") or len(args.get("ids") or []) or 1
            return int(size) * (1 + self.selection(named, node.selection_set, _MISSING))
        return 1 + self.selection(named, node.selection_set, data)

    def connection(
        self, node: FieldNode, named: GraphQLObjectType, args: dict[str, Any], data: Any
    ) -> int:
        edge_type = get_named_type(named.fields["edges"].type)
        node_type = get_named_type(edge_type.fields["node"].type)  # type: ignore[union-attr]
        node_selections = []
        for sub, definition in self.fields(named, node.selection_set):
            if sub.name.value == "nodes":
                node_selections.append(sub.selection_set)
            elif sub.name.value == "edges":
                for edge_field, _ in self.fields(
                    get_named_type(definition.type), sub.selection_set
                ):
                    if edge_field.name.value == "node":
                        node_selections.append(edge_field.selection_set)
        if data is _MISSING:
            size = args.get("first") if args.get("first") is not None else args.get("last")
            if size is None:
                raise CostError("you must provide one of first or last")
            per_node = 1 + sum(self.selection(node_type, sel, _MISSING) for sel in node_selections)
            return 2 + int(size) * per_node
        items = data.get("nodes") if isinstance(data, dict) else None
        if items is None and isinstance(data, dict):
            items = [e.get("node") for e in data.get("edges") or [] if isinstance(e, dict)]
        return 2 + sum(
            1 + sum(self.selection(node_type, sel, item) for sel in node_selections)
            for item in items or []
        )


class LeakyBucket:
    """One app-and-shop budget: filled to `maximum`, refilled at `restore_rate` per second."""

    def __init__(self, clock: Clock, maximum: float = 2000.0, restore_rate: float = 100.0) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum)
        self._at = clock.monotonic()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def try_take(self, cost: int) -> bool:
        """Take `cost` points if that many are available now; False means throttled."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def give_back(self, points: float) -> None:
        """Return the difference between requested and actual cost."""
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + max(0.0, points))

    def configure(
        self,
        *,
        maximum: float | None = None,
        restore_rate: float | None = None,
        currently_available: float | None = None,
    ) -> None:
        with self._lock:
            self._refill()
            if maximum is not None:
                self.maximum = float(maximum)
            if restore_rate is not None:
                self.restore_rate = float(restore_rate)
            self._available = min(
                self.maximum,
                float(currently_available) if currently_available is not None else self._available,
            )

    def status(self) -> dict[str, Any]:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }
