"""Structured logs and CloudWatch metrics (EMF) through aws-lambda-powertools.

Logs carry ids only (shop, topic, webhook id, order id), never a customer's
email, name or address.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "hemline"
NAMESPACE = "Hemline"

logger = Logger(service=SERVICE)


class Metrics:
    """Emits one EMF record per data point (thread-safe: nothing is shared between requests)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def count(self, name: str, value: float = 1, **dimensions: str) -> None:
        self._emit(name, MetricUnit.Count, value, dimensions)

    def milliseconds(self, name: str, value: float, **dimensions: str) -> None:
        self._emit(name, MetricUnit.Milliseconds, value, dimensions)

    def _emit(self, name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
        if not self.enabled:
            return
        with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            for key, dim in dimensions.items():
                metric.add_dimension(name=key, value=dim)
