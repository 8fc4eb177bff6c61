"""Every page, one module per domain; `main.py` mounts this router."""

from __future__ import annotations

from fastapi import APIRouter

from lead_manager.web import account, admin, auth, leads, privacy, public

router = APIRouter(include_in_schema=False)
for module in (public, auth, leads, account, admin, privacy):
    router.include_router(module.router)
