"""An erasure that fails part-way (storage down) says so, loses nothing it did not erase, and a
second request completes it: with local files and with S3 (moto's server, stopped and restarted)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from lead_manager.leads.models import Lead
from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.privacy.people import (
    JANE,
    JANE_RESUME_MARKER,
    JANE_TRACES,
    JOHN,
    JOHN_RESUME_MARKER,
    resume_of,
    submit_person,
    traces_in_database,
)
from tests.privacy.test_erasure import erase, storage_dir
from tests.processes import free_port
from tests.storage.test_s3_api import bucket_keys, s3_server


def resume_key(api: LiveServer, lead_id: str) -> str:
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        return lead.resume_key


@contextmanager
def undeletable(path: Path) -> Iterator[None]:
    """The file cannot be removed, even by root (the immutable attribute), as on a read-only or
    failing volume; it can still be read."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available")
    result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if result.returncode != 0:
        if os.geteuid() == 0:
            pytest.skip(f"this file system has no immutable attribute: {result.stderr!r}")
        # Not root: a read-only directory is enough (nothing in it can be unlinked).
        path.parent.chmod(0o555)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        path.parent.chmod(0o755)


def test_local_storage_failing_part_way_then_the_retry_completes(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    jane = [
        submit_person(public, JANE, JANE_RESUME_MARKER, email=address)["id"]
        for address in (JANE["email"], "jane.quillfeather+2@example.com", JANE["email"].upper())
    ]
    submit_person(public, JOHN, JOHN_RESUME_MARKER)
    blocked = storage_dir(api) / resume_key(api, jane[1])
    with undeletable(blocked):
        response = erase(admin.client, JANE["email"])
        assert response.status_code == 503
        assert "repeat the request" in response.json()["detail"]
        assert response.headers["retry-after"] == "30"

        # Nothing is marked erased: every lead keeps its data and is still found for a retry.
        found = attorney.client.get("/api/v1/leads", params={"q": "quillfeather"}).json()
        assert sorted(item["id"] for item in found["items"]) == sorted(jane)
        for lead_id in jane:
            detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
            assert detail["last_name"] == JANE["last_name"] and detail["erased_at"] is None
        # The files not reached yet are intact; only the first (oldest) was deleted.
        assert attorney.client.get(f"/api/v1/leads/{jane[0]}/resume").status_code == 404
        for lead_id in jane[1:]:
            download = attorney.client.get(f"/api/v1/leads/{lead_id}/resume")
            assert download.content == resume_of(JANE, JANE_RESUME_MARKER)
        audit = admin.client.get("/api/v1/audit").json()["items"]
        assert "privacy.erased" not in {item["action"] for item in audit}

    assert erase(admin.client, JANE["email"]).json() == {"erased_leads": 3}
    assert traces_in_database(api.engine, JANE_TRACES) == []
    remaining = {path.name for path in storage_dir(api).iterdir()}
    assert remaining == {resume_key(api, lead) for lead in _john_ids(api)}
    assert erase(admin.client, JANE["email"]).json() == {"erased_leads": 0}


def _john_ids(api: LiveServer) -> list[str]:
    with api.session() as session:
        return [str(i) for i in session.scalars(select(Lead.id).where(Lead.email != "")).all()]


@pytest.fixture
def own_s3() -> Iterator[tuple[ThreadedMotoServer, int]]:
    """An S3 stand-in of this test's own, so it can be stopped (the session's one is shared)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield server, port
    server.stop()


def test_s3_erasure_deletes_the_objects_and_survives_an_outage(
    tmp_path: Path, s3_endpoint: str, own_s3: tuple[ThreadedMotoServer, int]
) -> None:
    server, port = own_s3
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"resumes-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    api = s3_server(tmp_path, f"s3://{bucket}/resumes", endpoint)
    try:
        admin = add_account(api, Role.ADMIN, available=False)
        attorney = add_account(api, Role.ATTORNEY)
        with api.client() as public:
            jane = [
                submit_person(public, JANE, JANE_RESUME_MARKER, email=address)["id"]
                for address in (JANE["email"], "Jane.Quillfeather+cv@example.com")
            ]
            john = submit_person(public, JOHN, JOHN_RESUME_MARKER)["id"]
        assert len(bucket_keys(endpoint, bucket)) == 3

        server.stop()  # storage down
        response = erase(admin.client, JANE["email"])
        assert response.status_code == 503, response.text
        for lead_id in jane:
            assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["erased_at"] is None

        restarted = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        restarted.start()  # back, with the objects it held (moto keeps them in this process)
        try:
            assert len(bucket_keys(endpoint, bucket)) == 3
            assert erase(admin.client, JANE["email"]).json() == {"erased_leads": 2}
            assert bucket_keys(endpoint, bucket) == [f"resumes/{resume_key(api, john)}"]
            for lead_id in jane:
                assert attorney.client.get(f"/api/v1/leads/{lead_id}/resume").status_code == 404
            download = attorney.client.get(f"/api/v1/leads/{john}/resume")
            assert download.content == resume_of(JOHN, JOHN_RESUME_MARKER)
            assert traces_in_database(api.engine, JANE_TRACES) == []
        finally:
            restarted.stop()
        admin.client.close()
        attorney.client.close()
    finally:
        api.stop()
        api.engine.dispose()
