"""Structured logs, CloudWatch metrics (EMF) and X-Ray traces through aws-lambda-powertools.

Logs carry ids only (shop, topic, webhook id, order id, RMA number), never a customer's
email, name or address. Metric dimensions are few and bounded (topic, state, currency...),
never an id, so the number of CloudWatch metrics stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib.util import find_spec
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "hemline"
NAMESPACE = "Hemline"

logger = Logger(service=SERVICE)

F = TypeVar("F", bound=Callable[..., Any])


class Metrics:
    """Emits one EMF record per data point (thread-safe: nothing is shared between requests)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def count(self, name: str, value: float = 1, **dimensions: str) -> None:
        self._emit(name, MetricUnit.Count, value, dimensions)

    def milliseconds(self, name: str, value: float, **dimensions: str) -> None:
        self._emit(name, MetricUnit.Milliseconds, value, dimensions)

    def seconds(self, name: str, value: float, **dimensions: str) -> None:
        self._emit(name, MetricUnit.Seconds, value, dimensions)

    def amount(self, name: str, value: Decimal, *, currency: str, **dimensions: str) -> None:
        """Money in one currency; amounts in different currencies are never summed together."""
        self._emit(name, MetricUnit.NoUnit, float(value), {**dimensions, "currency": currency})

    def _emit(self, name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
        if not self.enabled:
            return
        with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            for key, dim in dimensions.items():
                metric.add_dimension(name=key, value=dim)


@contextmanager
def log_context(**keys: object) -> Iterator[None]:
    """Correlation ids (webhook id, RMA number...) on every log line inside the block.

    Per thread: the local webhook worker is a thread pool, and one worker's ids must not
    appear on another's lines.
    """
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(keys.keys())


def _no_tracing(handler: F) -> F:
    return handler


def _lambda_tracing() -> Callable[[F], F]:
    """Tracer.capture_lambda_handler, or a pass-through where the X-Ray SDK is not installed.

    Powertools traces only inside Lambda (it checks LAMBDA_TASK_ROOT) and not at all when
    POWERTOOLS_TRACE_DISABLED is true; segments reach X-Ray only when the function has
    active tracing. Its Tracer imports the X-Ray SDK even when disabled, and that SDK is an
    optional extra of Powertools, so without it handlers run untraced rather than failing.
    """
    if find_spec("aws_xray_sdk") is None:
        return _no_tracing
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE).capture_lambda_handler  # type: ignore[return-value]


trace_lambda_handler = _lambda_tracing()
