"""The API with resumes in S3 (moto's server): intake and download, and storage failures."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from sqlalchemy import func, select

from lead_manager.core.db import transaction
from lead_manager.core.migrations import upgrade_to_head
from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads import service
from lead_manager.leads.idempotency import ResumeUpload
from lead_manager.leads.judgement import ConflictCheck, JudgementOptions
from lead_manager.leads.models import IntakeChannel, Lead
from lead_manager.leads.resume import inspect_resume
from lead_manager.leads.schemas import LeadCreate
from lead_manager.outbox.models import OutboxMessage
from lead_manager.users.models import Role
from tests import documents
from tests.conftest import LiveServer, add_account, make_settings, start_server
from tests.intake import lead_fields, submit


def s3_server(directory: Path, storage_url: str, endpoint: str) -> LiveServer:
    url = f"sqlite:///{directory / 'lead_manager.db'}"
    upgrade_to_head(url)
    return start_server(
        make_settings(directory, url, storage_url=storage_url, s3_endpoint_url=endpoint)
    )


@pytest.fixture
def s3_api(tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> Iterator[LiveServer]:
    server = s3_server(tmp_path, f"s3://{s3_bucket}/resumes", s3_endpoint)
    yield server
    server.stop()
    server.engine.dispose()


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def count(server: LiveServer, model: type) -> int:
    with server.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_submitted_resume_is_stored_in_the_bucket_and_downloaded_exactly(
    s3_api: LiveServer, s3_endpoint: str, s3_bucket: str
) -> None:
    attorney = add_account(s3_api, Role.ATTORNEY)
    data = documents.pdf(extra_bytes=600_000)  # several chunks on the way back
    with s3_api.client() as public:
        response = submit(public, resume=data, filename="Jane Doe CV.pdf")
    assert response.status_code == 201, response.text
    lead_id = response.json()["id"]
    with s3_api.session() as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        assert bucket_keys(s3_endpoint, s3_bucket) == [f"resumes/{lead.resume_key}"]

    download = attorney.client.get(f"/api/v1/leads/{lead_id}/resume")
    assert download.status_code == 200, download.text
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(data))
    assert 'filename="Jane Doe CV.pdf"' in download.headers["content-disposition"]
    attorney.client.close()


def test_unreachable_bucket_is_503_and_leaves_no_lead(tmp_path: Path, s3_endpoint: str) -> None:
    server = s3_server(tmp_path, "s3://bucket-that-does-not-exist/resumes", s3_endpoint)
    try:
        add_account(server, Role.ATTORNEY).client.close()
        with server.client() as public:
            response = submit(public, headers={"Idempotency-Key": "retry-me-later"})
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert count(server, Lead) == 0
        assert count(server, OutboxMessage) == 0
        # The failed attempt released its Idempotency-Key: a retry is processed afresh (503
        # again here, since the bucket is still missing), not answered 409 as if in flight.
        with server.client() as public:
            again = submit(public, headers={"Idempotency-Key": "retry-me-later"})
        assert again.status_code == 503, again.text
    finally:
        server.stop()
        server.engine.dispose()


def test_transaction_that_does_not_commit_removes_the_stored_object(
    s3_api: LiveServer, s3_endpoint: str, s3_bucket: str
) -> None:
    storage = s3_api.services.storage
    data = documents.pdf()
    upload = ResumeUpload(io.BytesIO(data), inspect_resume(io.BytesIO(data), "cv.pdf", 10**6))

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction(s3_api.services.database.write_sessions) as session:
        service.submit_lead(
            session,
            storage,
            LeadCreate(**lead_fields()),
            upload,
            RequestMeta(),
            privacy=service.IntakePrivacy("1", IntakeChannel.API),
            options=JudgementOptions(phone_region="US", conflict_threshold=0.9),
            conflict=ConflictCheck([], None),
        )
        session.flush()
        assert len(bucket_keys(s3_endpoint, s3_bucket)) == 1  # stored before the commit…
        raise Abort  # …and the transaction fails after it
    assert bucket_keys(s3_endpoint, s3_bucket) == []
    assert count(s3_api, Lead) == 0
