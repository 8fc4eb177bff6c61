"""The inbox's CSV export: the API's own endpoint, signed in by the page session."""

from __future__ import annotations

from fastapi import APIRouter

from lead_manager.exports.router import export_leads
from lead_manager.web.pages import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The same filters, audit row and streaming as GET /api/v1/leads/export.csv; registered before
# the lead pages, whose /leads/{lead_id} would take "export.csv" for an id.
router.add_api_route("/leads/export.csv", export_leads, methods=["GET"])
