"""Client-side view of Shopify's query-cost bucket, to wait before a request instead of after.

Shopify reports `extensions.cost.throttleStatus` on every answer; projecting it
forward at the restore rate tells how long to wait for the next request's cost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any


class CostBudget:
    """The last throttle status seen for one shop, projected forward in time; thread-safe."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._maximum: float | None = None
        self._available = 0.0
        self._restore_rate = 0.0
        self._at = 0.0

    def update(self, throttle_status: Mapping[str, Any] | None) -> None:
        if not throttle_status:
            return
        with self._lock:
            self._maximum = float(throttle_status.get("maximumAvailable") or 0)
            self._available = float(throttle_status.get("currentlyAvailable") or 0)
            self._restore_rate = float(throttle_status.get("restoreRate") or 0)
            self._at = self._monotonic()

    def available(self) -> float | None:
        """Projected points available now, or None before the first answer."""
        with self._lock:
            if self._maximum is None:
                return None
            elapsed = self._monotonic() - self._at
            return min(self._maximum, self._available + elapsed * self._restore_rate)

    def wait_for(self, cost: float) -> float:
        """Seconds to wait until `cost` points should be available (0 when unknown or ready)."""
        available = self.available()
        with self._lock:
            rate, maximum = self._restore_rate, self._maximum
        if available is None or maximum is None or rate <= 0:
            return 0.0
        needed = min(cost, maximum) - available
        return max(0.0, needed / rate)
