from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from lead_manager.auth.dependencies import AdminUser
from lead_manager.container import ServicesDep
from lead_manager.core.pagination import query_error
from lead_manager.leads.dependencies import lead_query
from lead_manager.leads.models import LeadStatus
from lead_manager.leads.schemas import LeadFilters


async def export_filters(
    admin: AdminUser,
    services: ServicesDep,
    status: Annotated[
        str | None,
        Query(max_length=20, json_schema_extra={"enum": [status.value for status in LeadStatus]}),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Substring of the name or email")
    ] = None,
    assigned_to: Annotated[
        str | None,
        Query(max_length=36, description="A user id, `me`, or `none` for unassigned leads"),
    ] = None,
    overdue: Annotated[
        str | None,
        Query(
            max_length=5,
            description="`true`: only PENDING leads past their `respond_by`",
            json_schema_extra={"enum": ["true", "false"]},
        ),
    ] = None,
) -> LeadFilters:
    """The lead list's filters (the same parsing, the same 422s), without its paging."""
    query = await lead_query(
        admin, services, status=status, q=q, assigned_to=assigned_to, overdue=overdue
    )
    for name, dropped in query.errors.items():
        raise query_error(name, dropped.message, dropped.value)
    return query.filters


ExportFilters = Annotated[LeadFilters, Depends(export_filters)]
