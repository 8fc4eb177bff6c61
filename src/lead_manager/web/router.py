"""Every page, one module per domain; `main.py` mounts this router."""

from __future__ import annotations

from fastapi import APIRouter

from lead_manager.web import (
    account,
    admin,
    auth,
    conflicts,
    dashboard,
    exports,
    leads,
    passwords,
    privacy,
    public,
    webhooks,
)

router = APIRouter(include_in_schema=False)
# `exports` before `leads`: /leads/export.csv is not a lead's page.
for module in (
    public,
    auth,
    passwords,
    exports,
    leads,
    dashboard,
    account,
    admin,
    privacy,
    webhooks,
    conflicts,
):
    router.include_router(module.router)
