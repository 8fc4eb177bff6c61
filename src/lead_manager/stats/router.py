from __future__ import annotations

from fastapi import APIRouter

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dependencies import SessionDep, SettingsDep
from lead_manager.core.openapi import error_responses
from lead_manager.stats import service
from lead_manager.stats.dependencies import StatsDays
from lead_manager.stats.schemas import Stats

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


@router.get("", response_model=Stats, responses=error_responses(401, 422))
def get_stats(
    days: StatsDays, _user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Stats:
    """Leads of the days `from` to `to` (FIRM_TIMEZONE; default the last 30 days, at most two
    years): totals, by status, day and source; first-response times (submission to the first
    status change) overall and per attorney."""
    return service.statistics(session, days, sla_minutes=settings.first_response_sla_minutes)
