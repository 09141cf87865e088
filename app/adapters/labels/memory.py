"""The in-memory label provider: the fake for service tests (counts purchases, fails on demand)."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

from app.adapters.labels.types import Label, LabelRequest


class InMemoryLabelProvider:
    name = "memory"

    def __init__(self) -> None:
        self.labels: dict[str, Label] = {}
        self.purchases = 0
        self.failures: list[Exception] = []  # raised, in order, by the next purchases
        self._lock = threading.Lock()

    def buy_return_label(self, req: LabelRequest) -> Label:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.purchases += 1
            label = Label(
                provider=self.name,
                reference=req.reference,
                carrier="USPS",
                service="GroundAdvantage",
                tracking_number=f"9400{self.purchases:018d}",
                tracking_url=None,
                pdf=b"%PDF-1.4\n% in-memory label for " + req.rma_number.encode() + b"\n%%EOF\n",
                label_url=None,
                qr_code_url=None,
                cost=Decimal("5.40"),
                currency="USD",
            )
            self.labels[req.reference] = label
            return label

    def find_by_reference(self, reference: str, *, since: datetime | None = None) -> Label | None:
        with self._lock:
            return self.labels.get(reference)
