"""Fault injection: make the next N Admin GraphQL calls fail or stall.

`status` answers with an HTTP error (429 carries Retry-After); with
`apply: true` the request is executed first and only its answer is lost,
which is the dangerous case for non-idempotent mutations. `slow` sleeps
before executing, so a client that times out may still see the effect.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from infra.local.devstore.store import fail

_STATUS_BODIES = {
    429: {
        "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
    },
    500: {"errors": "Internal Server Error"},
    502: {"errors": "Bad Gateway"},
    503: {"errors": "Service Unavailable"},
    504: {"errors": "Gateway Timeout"},
}


@dataclass
class Fault:
    mode: str
    count: int = 1
    status: int = 500
    seconds: float = 0.0
    retry_after: float = 1.0
    apply: bool = False
    shop: str | None = None
    operation: str | None = None

    def body(self) -> dict[str, Any]:
        return _STATUS_BODIES.get(self.status, {"errors": f"HTTP {self.status}"})

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(spec: dict[str, Any]) -> Fault:
    mode = spec.get("mode")
    if mode not in ("status", "slow"):
        raise fail(["mode"], "mode must be 'status' or 'slow'", "INCLUSION")
    fault = Fault(
        mode=mode,
        count=int(spec.get("count", 1)),
        status=int(spec.get("status", 500)),
        seconds=float(spec.get("seconds", 0.0)),
        retry_after=float(spec.get("retry_after", 1.0)),
        apply=bool(spec.get("apply", False)),
        shop=spec.get("shop"),
        operation=spec.get("operation"),
    )
    if fault.count < 1:
        raise fail(["count"], "count must be at least 1", "GREATER_THAN")
    if mode == "status" and not 400 <= fault.status <= 599:
        raise fail(["status"], "status must be an HTTP error status", "INCLUSION")
    return fault


class FaultInjector:
    """Pending faults, consumed in order by matching GraphQL requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, shop: str, operation: str | None) -> Fault | None:
        """The first fault matching this request, with its count decremented."""
        with self._lock:
            for fault in self._faults:
                if fault.shop not in (None, shop) or fault.operation not in (None, operation):
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None
