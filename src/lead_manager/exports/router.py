from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from lead_manager.auth.dependencies import AdminUser
from lead_manager.container import ServicesDep
from lead_manager.core.dates import today
from lead_manager.core.dependencies import RequestMetaDep, WriteSessionDep
from lead_manager.core.openapi import error_responses
from lead_manager.exports import service
from lead_manager.exports.dependencies import ExportFilters
from lead_manager.stats.dependencies import ExportDays

# Beside the leads router, whose /{lead_id} routes leave "export.csv" alone (LeadIdConvertor).
router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "A header row, then one row per lead"},
        **error_responses(401, 403, 422),
    },
)
def export_leads(
    admin: AdminUser,
    filters: ExportFilters,
    days: ExportDays,
    session: WriteSessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
) -> StreamingResponse:
    """Every lead matching the list's filters and the days `from` to `to` (FIRM_TIMEZONE),
    newest first, as CSV streamed row by row. Cells that a spreadsheet would read as a formula
    start with `'`. Audited."""
    statement = service.start_export(session, filters, days, actor=admin.id, meta=meta)
    name = f"leads-{today(services.settings.timezone).isoformat()}.csv"
    return StreamingResponse(
        service.csv_chunks(services.database.sessions, statement),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
