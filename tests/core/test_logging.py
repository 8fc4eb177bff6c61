"""The log of a real `lead-manager serve` (LOG_FORMAT=json, INFO): a login and a submission."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.intake import submit
from tests.serve_process import migrated, run_cli

PASSWORD = "log-test password 0123"
PROSPECT = "prospect.person@example.org"
RESUME_MARKER = "UNIQUE-RESUME-CONTENT-7f3a9c"


def test_json_lines_with_request_ids_and_no_secrets(tmp_path: Path) -> None:
    server = migrated(tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO")
    run_cli(
        tmp_path,
        server.env,
        "create-user",
        "--email",
        "lawyer@firm.example",
        "--role",
        "attorney",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    server.start()  # with the embedded dispatcher: the emails are sent (to .eml files)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            token_response = client.post(
                "/api/v1/auth/token", data={"username": "lawyer@firm.example", "password": PASSWORD}
            )
            token = token_response.json()["access_token"]
            failed = {"username": "lawyer@firm.example", "password": "bad" + PASSWORD}
            assert client.post("/api/v1/auth/token", data=failed).status_code == 401
            response = submit(
                client,
                email=PROSPECT,
                resume=f"Curriculum vitae {RESUME_MARKER}\n".encode(),
                filename="cv.txt",
                content_type="text/plain",
                headers={"X-Request-ID": "trace-abc-123"},
            )
            assert response.status_code == 201, response.text
            assert response.headers["X-Request-ID"] == "trace-abc-123"
            lead_id = response.json()["id"]
            client.get(
                f"/api/v1/leads/{lead_id}/resume", headers={"Authorization": f"Bearer {token}"}
            )
            deadline = time.monotonic() + 15
            while "email sent" not in server.log() and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        server.stop()

    lines = [line for line in server.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    requests = [r for r in records if r.get("event") == "request"]
    assert len(requests) >= 4
    assert all(r.get("request_id") for r in requests)
    submitted = [r for r in records if r.get("event") == "lead submitted"]
    assert submitted and submitted[0]["request_id"] == "trace-abc-123"
    # The email the submission caused carries the request id into the dispatcher's line.
    sent = [r for r in records if r.get("event") == "email sent"]
    assert any(r.get("request_id") == "trace-abc-123" for r in sent), sent

    text = server.log()
    for secret in (PASSWORD, token, PROSPECT, RESUME_MARKER, "lawyer@firm.example"):
        assert secret not in text, f"{secret[:12]}… appears in the log"
    assert "p***@example.org" in text
