from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lead_manager.auth.dependencies import AdminUser
from lead_manager.auth.service import Principal
from lead_manager.container import ServicesDep
from lead_manager.core.pagination import query_error
from lead_manager.leads.dependencies import (
    AssigneeQuery,
    OverdueQuery,
    SearchQuery,
    StatusQuery,
    lead_query,
)
from lead_manager.leads.schemas import LeadFilters


async def export_filters(
    admin: AdminUser,
    services: ServicesDep,
    status: StatusQuery = None,
    q: SearchQuery = None,
    assigned_to: AssigneeQuery = None,
    overdue: OverdueQuery = None,
) -> LeadFilters:
    """The lead list's filters (the same parsing, the same 422s), without its paging."""
    query = await lead_query(
        Principal(admin.id, admin.role),
        services,
        status=status,
        q=q,
        assigned_to=assigned_to,
        overdue=overdue,
    )
    for name, dropped in query.errors.items():
        raise query_error(name, dropped.message, dropped.value)
    return query.filters


ExportFilters = Annotated[LeadFilters, Depends(export_filters)]
