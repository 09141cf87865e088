"""The embedded admin's Analytics page: a month's returns in figures and charts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, render_template, request

from app.errors import InvalidInput
from app.i18n_portal import label
from app.web.admin import desk_context
from app.web.admin_auth import require_session_page

if TYPE_CHECKING:
    from app.services import charts
    from app.services.analytics import MonthReport

bp = Blueprint("admin_analytics", __name__, url_prefix="/admin")


def _short_month(month: str) -> str:
    """'2026-11' -> 'Nov 2026' (a column's name in the trend chart)."""
    year, mon = (int(part) for part in month.split("-"))
    return f"{date(year, mon, 1):%b} {year}"


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def reason_chart(report: MonthReport) -> charts.Chart:
    from app.services import charts

    data = [charts.Datum(r.label, r.items, f"{r.items} ({r.share}%)") for r in report.top_reasons]
    return charts.horizontal_bars(
        data, title=f"Top return reasons, {report.title} (items returned, share of all items)"
    )


def trend_chart(report: MonthReport) -> charts.Chart:
    from app.services import analytics, charts

    data = [
        charts.Datum(
            _short_month(p.month),
            p.return_rate,
            f"{p.return_rate}%" if p.return_rate is not None else "no orders",
        )
        for p in report.trend
    ]
    first, last = report.trend[0].month, report.trend[-1].month
    return charts.vertical_bars(
        data,
        title=(
            "Return rate (returns per 100 orders), "
            f"{analytics.month_title(first)} to {analytics.month_title(last)}"
        ),
    )


@bp.get("/analytics")
@require_session_page
def show_analytics() -> Any:
    """The month's figures (`?month=YYYY-MM`, default this month in the shop's time zone)."""
    from app.services import analytics

    ctx = desk_context()
    c = current_app.extensions["hemline"]
    now = c.clock.now()
    shop = ctx["shop"]
    this_month = analytics.current_month(shop, now)
    asked = (request.args.get("month") or "").strip()
    common = {
        "this_month": this_month,
        "month_title": analytics.month_title,
        "day": _day,
        "action_label": lambda code: label("en", "action", code),
        **ctx,
    }
    try:
        report = analytics.month_report(c.store, shop, asked or this_month, now)
    except InvalidInput:
        error = f"“{asked[:20]}” is not a month. Pick a month like {this_month}."
        return render_template("admin/analytics.html", report=None, error=error, **common), 422
    return render_template(
        "admin/analytics.html",
        report=report,
        error=None,
        reasons=reason_chart(report),
        trend=trend_chart(report),
        **common,
    )
