"""The page's resume download records its audit row on the writing session, through the API's
own endpoint (issue 13, finding 12): under concurrent submissions on SQLite it still works."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from lead_manager.audit.models import AuditAction, AuditEvent
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.web.pages import web_login

SUBMISSIONS = 20
DOWNLOADS = 30


def downloads_audited(api: LiveServer, lead_id: str) -> int:
    with api.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == AuditAction.RESUME_DOWNLOADED.value,
                    AuditEvent.target == lead_id,
                )
            )
            or 0
        )


def test_page_downloads_during_concurrent_submissions_all_work_and_are_audited(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> None:
    first = submit(public, resume=b"plain text resume of the first lead")
    assert first.status_code == 201
    lead_id = first.json()["id"]
    page = web_login(api, attorney.email)
    start = threading.Barrier(SUBMISSIONS + DOWNLOADS)
    limits = httpx.Limits(max_connections=SUBMISSIONS + DOWNLOADS)

    def one_submission(index: int) -> int:
        with httpx.Client(base_url=api.base_url, timeout=60, limits=limits) as client:
            start.wait()
            return submit(client, email=f"load{index}@example.com").status_code

    def one_download(_index: int) -> tuple[int, bytes]:
        with httpx.Client(
            base_url=api.base_url, timeout=60, cookies=page.cookies, limits=limits
        ) as client:
            start.wait()
            response = client.get(f"/leads/{lead_id}/resume")
            return response.status_code, response.content

    with ThreadPoolExecutor(SUBMISSIONS + DOWNLOADS) as pool:
        submissions = [pool.submit(one_submission, i) for i in range(SUBMISSIONS)]
        downloads = [pool.submit(one_download, i) for i in range(DOWNLOADS)]
        submitted = [f.result() for f in submissions]
        downloaded = [f.result() for f in downloads]
    page.close()
    assert submitted == [201] * SUBMISSIONS
    assert [status for status, _ in downloaded] == [200] * DOWNLOADS
    assert {body for _, body in downloaded} == {b"plain text resume of the first lead"}
    assert downloads_audited(api, lead_id) == DOWNLOADS
