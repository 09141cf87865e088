"""What the proactive automations share: their ports and the runner of due work.

Backorder notices, delayed-shipment upgrades and the merchants' daily digest are
scheduled as due items (store.put_due) when an order or a return changes, and
done by sweeps that read what is due from the GSI2 index, page by page. A sweep
is safe to run twice or concurrently: every side effect underneath claims its
key in the effect ledger, and the due item is deleted only once its work is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import policies
from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.dynamo.store import DueWork, DynamoStore
from app.adapters.mail import Mailer
from app.clock import Clock
from app.domain.shops import Shop
from app.errors import HemlineError
from app.observability import Metrics, logger
from app.shopify.client import AdminClient


@dataclass
class ProactiveContext:
    """The ports the proactive automations need, wired by the composition root."""

    store: DynamoStore
    ledger: DynamoLedger
    clock: Clock
    admin_for: Callable[[str], AdminClient]
    mailer: Mailer | None
    policy_for: Callable[[Shop], policies.Policy]
    app_url: str
    # Signs one-click links in customer emails (the app's secret key).
    link_secret: bytes
    # Silent unless the composition root passes its own (enabled in prod).
    metrics: Metrics = field(default_factory=lambda: Metrics(enabled=False))


@dataclass
class SweepResult:
    kind: str
    due: int = 0
    done: int = 0
    kept: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "due": self.due,
            "done": self.done,
            "kept": self.kept,
            "failed": self.failed,
        }


# A handler does one due item's work and says whether it is finished (the item is
# deleted) or should stay (it rescheduled itself or waits for something).
DueHandler = Callable[[DueWork, Shop], bool]


def run_due(
    store: DynamoStore,
    kind: str,
    now: datetime,
    handle: DueHandler,
    *,
    page_size: int = 100,
    limit: int | None = None,
    metrics: Metrics | None = None,
) -> SweepResult:
    """Do every `kind` item due by `now`; one failure never stops the others.

    A failed item stays in the index and is tried again by the next sweep. Work of a
    shop that uninstalled is dropped. Emits SweepLagSeconds: how long the oldest due
    item has waited (0 when nothing is due), so work that is stuck, or sweeps that
    stopped running, raise an alarm.
    """
    result = SweepResult(kind)
    shops: dict[str, Shop | None] = {}
    lag_s: float | None = None
    for work in store.due_work(kind, now, page_size=page_size):
        if lag_s is None:  # the earliest due item comes first
            lag_s = max(0.0, (now - work.due_at).total_seconds())
            _report_lag(metrics, kind, lag_s)
        if limit is not None and result.due >= limit:
            break
        result.due += 1
        if work.shop not in shops:
            shops[work.shop] = store.get_shop(work.shop)
        shop = shops[work.shop]
        if shop is None or not shop.is_installed:
            store.delete_due(work.shop, kind, work.ref)
            result.done += 1
            continue
        try:
            finished = handle(work, shop)
        except HemlineError as exc:
            result.failed += 1
            result.errors.append(f"{work.shop} {work.ref}: {exc}")
            logger.warning(
                "due work failed; it stays for the next sweep",
                extra={"kind": kind, "shop": work.shop, "ref": work.ref, "error": str(exc)},
            )
            continue
        if finished:
            store.delete_due(work.shop, kind, work.ref)
            result.done += 1
        else:
            result.kept += 1
    if lag_s is None:
        lag_s = 0.0
        _report_lag(metrics, kind, lag_s)
    logger.info("sweep finished", extra={**result.as_dict(), "lag_s": round(lag_s)})
    return result


def _report_lag(metrics: Metrics | None, kind: str, lag_s: float) -> None:
    if metrics is not None:
        metrics.seconds("SweepLagSeconds", lag_s, kind=kind)
