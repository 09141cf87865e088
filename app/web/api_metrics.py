"""GET /api/metrics: the Analytics page's month report as JSON, for the token's shop only.

Money is a decimal string in the shop's currency, percentages are decimal strings with
one decimal place, times ISO 8601 with their offset, dates ISO 8601 dates.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, g, request

from app.errors import NotFound
from app.web.admin_auth import require_session_token

if TYPE_CHECKING:
    from app.services.analytics import MonthReport, SettledReturn

bp = Blueprint("api_metrics", __name__, url_prefix="/api")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime) -> str:
    return value.isoformat()


def _day(value: date) -> str:
    return value.isoformat()


def _settled_json(s: SettledReturn) -> dict[str, Any]:
    return {
        "number": s.number,
        "order_name": s.order_name,
        "resolution": s.resolution,
        "started_at": _time(s.started_at),
        "settled_at": _time(s.settled_at),
        "business_days": s.business_days,
        "allowed_business_days": s.allowed_business_days,
        "breached": s.breached,
    }


def report_json(report: MonthReport) -> dict[str, Any]:
    return {
        "month": report.month,
        "currency": report.currency,
        "previous_month": report.previous_month,
        "next_month": report.next_month,
        "orders": report.orders,
        "returns": report.returns,
        "items_returned": report.items_returned,
        "order_value": _money(report.order_value),
        "returned_value": _money(report.returned_value),
        "return_rate_percent": _decimal(report.return_rate),
        "returned_value_percent": _decimal(report.returned_value_rate),
        "other_currencies": list(report.other_currencies),
        "top_reasons": [
            {"reason": r.code, "label": r.label, "items": r.items, "share_percent": str(r.share)}
            for r in report.top_reasons
        ],
        "other_reason_items": report.other_reason_items,
        "refund_sla": {
            "counted_from": report.sla.counted_from,
            "refund_business_days": report.sla.refund_business_days,
            "store_credit_business_days": report.sla.store_credit_business_days,
            "exchange_business_days": report.sla.exchange_business_days,
        },
        "settled": [_settled_json(s) for s in report.settled],
        "settled_complete": report.settled_complete,
        "median_business_days": _decimal(report.median_business_days),
        "worst_business_days": report.worst_business_days,
        "breaches": [_settled_json(s) for s in report.breaches],
        "overdue": [
            {
                "number": o.number,
                "order_name": o.order_name,
                "state": o.state,
                "due_date": _day(o.due),
                "late_business_days": o.late_business_days,
            }
            for o in report.overdue
        ],
        "backorder_notices": report.backorder_notices,
        "delays": report.delays,
        "upgrades": report.upgrades,
        "recovery_spend": _money(report.recovery_spend),
        "recovery_spend_percent": _decimal(report.recovery_rate),
        "recovery_spend_target_percent": _decimal(report.recovery_target),
        "trend": [
            {
                "month": p.month,
                "orders": p.orders,
                "returns": p.returns,
                "return_rate_percent": _decimal(p.return_rate),
            }
            for p in report.trend
        ],
    }


@bp.get("/metrics")
@require_session_token
def get_metrics() -> Any:
    """The month's report (`?month=YYYY-MM`, default this month in the shop's time zone)."""
    from app.services import analytics

    c = current_app.extensions["hemline"]
    shop = c.store.get_shop(g.shop)
    if shop is None:  # pragma: no cover - the session guard installs the shop first
        raise NotFound("shop not installed")
    now = c.clock.now()
    month = (request.args.get("month") or "").strip() or analytics.current_month(shop, now)
    return report_json(analytics.month_report(c.store, shop, month, now))
