from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

from lead_manager.core.db import utcnow
from lead_manager.leads.models import IdempotencyKey, Lead
from tests.conftest import LiveServer
from tests.intake import submit
from tests.serve_process import run_cli, serve_environment


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_cleanup_removes_old_orphans_and_expired_keys(
    api: LiveServer, public: httpx.Client, tmp_path: Path
) -> None:
    storage = Path(api.settings.storage_url.removeprefix("file://"))
    lead_id = submit(public).json()["id"]
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        kept = storage / lead.resume_key
        session.add_all(
            [
                IdempotencyKey(
                    key="expired", request_hash="h", created_at=utcnow() - timedelta(hours=49)
                ),
                IdempotencyKey(key="fresh", request_hash="h", created_at=utcnow()),
            ]
        )
        session.commit()
    old_orphan = storage / ("a" * 32)
    new_orphan = storage / ("b" * 32)  # an upload whose lead may still be committing
    partial = storage / ".upload-interrupted"
    for path in (old_orphan, new_orphan, partial):
        path.write_bytes(b"%PDF-1.4 orphan")
    for path in (kept, old_orphan, partial):
        age(path, 2)

    env = serve_environment(
        tmp_path, DATABASE_URL=api.settings.database_url, STORAGE_URL=api.settings.storage_url
    )
    output = run_cli(tmp_path, env, "cleanup-orphans")

    assert (
        "removed 1 orphan resume file(s), 1 partial upload(s), 1 expired idempotency key(s)"
        in output
    )
    assert kept.exists() and new_orphan.exists()
    assert not old_orphan.exists() and not partial.exists()
    with api.session() as session:
        assert session.get(IdempotencyKey, "expired") is None
        assert session.get(IdempotencyKey, "fresh") is not None
