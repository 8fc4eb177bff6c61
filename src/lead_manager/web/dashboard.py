"""The dashboard: the statistics as charts and tables, for a range of days picked by a GET form."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dates import today
from lead_manager.core.dependencies import SessionDep, SettingsDep
from lead_manager.stats import service as stats_service
from lead_manager.stats.dependencies import DashboardDaysDep
from lead_manager.web.charts import bar_chart
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Quick ranges offered beside the form: (label, days ending today).
PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("Last 365 days", 365))


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    picked: DashboardDaysDep,
) -> HTMLResponse:
    days = picked.days
    stats = stats_service.statistics(session, days, sla_minutes=settings.first_response_sla_minutes)
    histogram = stats_service.response_histogram(session, days)
    last = today(settings.timezone)
    return render(
        request,
        "dashboard.html",
        user=user,
        stats=stats,
        histogram=histogram,
        error=picked.error,
        asked={"from": picked.asked_from, "to": picked.asked_to},
        zone=settings.firm_timezone,
        sla_minutes=settings.first_response_sla_minutes,
        presets=[
            (label, (last - timedelta(days=count - 1)).isoformat(), last.isoformat())
            for label, count in PRESETS
        ],
        per_day_chart=bar_chart(
            [(f"{d.date:%a %-d %b %Y}", d.count) for d in stats.by_day],
            unit="leads",
            short_labels=[f"{d.date:%-d %b}" for d in stats.by_day],
        ),
        response_chart=bar_chart([(bar.label, bar.count) for bar in histogram], unit="leads"),
    )
