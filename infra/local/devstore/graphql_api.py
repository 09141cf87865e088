"""Executes Admin GraphQL requests against the real schema, priced and throttled like Shopify."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSchema, execute_sync, parse, validate
from graphql.utilities import get_operation_ast

from infra.local.devstore import state as s
from infra.local.devstore.clock import Clock
from infra.local.devstore.cost import MAX_SINGLE_QUERY_COST, CostError, LeakyBucket, query_cost
from infra.local.devstore.resolvers import Context, register_all, resolve_field, resolve_type
from infra.local.devstore.store import DevStore

log = logging.getLogger("devstore.graphql")


def _formatted(error: GraphQLError, code: str | None = None) -> dict[str, Any]:
    body = dict(error.formatted)
    if code and not body.get("extensions"):
        body["extensions"] = {"code": code}
    return body


class AdminGraphQL:
    """The /admin/api/<version>/graphql.json endpoint's logic, independent of HTTP."""

    def __init__(
        self,
        store: DevStore,
        schema: GraphQLSchema,
        clock: Clock,
        *,
        bucket_maximum: float = 2000.0,
        restore_rate: float = 100.0,
    ) -> None:
        register_all()
        self.store = store
        self.schema = schema
        self.clock = clock
        self.bucket_maximum = bucket_maximum
        self.restore_rate = restore_rate
        self._buckets: dict[str, LeakyBucket] = {}

    def bucket(self, shop: s.Shop) -> LeakyBucket:
        """The shop's cost bucket (one app, so one bucket per shop)."""
        bucket = self._buckets.get(shop.domain)
        if bucket is None:
            bucket = LeakyBucket(self.clock, self.bucket_maximum, self.restore_rate)
            self._buckets[shop.domain] = bucket
        return bucket

    def reset(self) -> None:
        self._buckets.clear()

    def execute(self, shop: s.Shop, body: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one request body {query, variables, operationName}."""
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("query"), str)
            or not body["query"].strip()
        ):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return 400, {"errors": {"variables": "Must be a JSON object"}}
        operation_name = body.get("operationName") or None
        try:
            document = parse(body["query"])
        except GraphQLError as exc:
            return 200, {"errors": [_formatted(exc, "PARSE_ERROR")]}
        problems = validate(self.schema, document)
        if problems:
            return 200, {"errors": [_formatted(e, "GRAPHQL_VALIDATION_FAILED") for e in problems]}
        if get_operation_ast(document, operation_name) is None:
            message = (
                "An operation name is required"
                if operation_name is None
                else (f"No operation named {operation_name!r}")
            )
            return 200, {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}
        try:
            requested = query_cost(self.schema, document, operation_name, variables)
        except CostError as exc:
            return 200, {"errors": [{"message": str(exc), "extensions": {"code": "BAD_REQUEST"}}]}
        bucket = self.bucket(shop)
        if requested > MAX_SINGLE_QUERY_COST:
            return 200, {
                "errors": [
                    {
                        "message": f"Query cost is {requested}, which exceeds the single query "
                        f"max cost limit ({MAX_SINGLE_QUERY_COST}).",
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": MAX_SINGLE_QUERY_COST,
                        },
                    }
                ]
            }
        if not bucket.try_take(requested):
            return 200, {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {
                            "code": "THROTTLED",
                            "documentation": "https://shopify.dev/api/usage/rate-limits",
                        },
                    }
                ],
                "extensions": {"cost": self._cost(requested, None, bucket)},
            }
        with self.store.lock:
            result = execute_sync(
                self.schema,
                document,
                context_value=Context(shop=shop, store=self.store),
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=resolve_field,
                type_resolver=resolve_type,
            )
        actual = min(
            requested,
            query_cost(self.schema, document, operation_name, variables, result.data or {}),
        )
        bucket.give_back(requested - actual)
        answer: dict[str, Any] = {}
        if result.errors:
            for error in result.errors:
                log.error(
                    "GraphQL error for %s: %s",
                    shop.domain,
                    error.message,
                    exc_info=error.original_error,
                )
            answer["errors"] = [_formatted(e, "INTERNAL_SERVER_ERROR") for e in result.errors]
        answer["data"] = result.data
        answer["extensions"] = {"cost": self._cost(requested, actual, bucket)}
        return 200, answer

    @staticmethod
    def _cost(requested: int, actual: int | None, bucket: LeakyBucket) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": bucket.status(),
        }
