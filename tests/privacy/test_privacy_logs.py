"""The log of a real `lead-manager serve` around an export and an erasure: the person's name,
address, phone and resume never appear in it (only the masked address the intake logs, and the
first characters of the keyed hash)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from lead_manager.privacy.personal_data import email_hash
from tests.privacy.people import JANE, JANE_RESUME_MARKER, submit_person
from tests.serve_process import migrated, run_cli

PASSWORD = "privacy-log password 0123"


def test_no_personal_data_in_the_log(tmp_path: Path) -> None:
    server = migrated(tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO")
    run_cli(
        tmp_path,
        server.env,
        "create-user",
        "--email",
        "admin@firm.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    server.start()  # with the embedded dispatcher: emails are written as .eml files
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            token = client.post(
                "/api/v1/auth/token", data={"username": "admin@firm.example", "password": PASSWORD}
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            submit_person(client, JANE, JANE_RESUME_MARKER)
            deadline = time.monotonic() + 15
            while "email sent" not in server.log() and time.monotonic() < deadline:
                time.sleep(0.2)
            export = client.get(
                "/api/v1/privacy/export", params={"email": JANE["email"]}, headers=auth
            )
            assert export.status_code == 200
            erased = client.post(
                "/api/v1/privacy/erasures",
                json={"email": JANE["email"], "reason": "Ticket 5"},
                headers=auth,
            )
            assert erased.json() == {"erased_leads": 1}
    finally:
        server.stop()

    text = server.log()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert [r for r in records if r.get("event") == "email sent"]
    (event,) = [r for r in records if r.get("event") == "person erased"]
    assert event["erased_leads"] == 1
    assert email_hash(server.env["SECRET_KEY"], JANE["email"]).startswith(event["email_hash"])
    for secret in (JANE["email"], JANE["last_name"], JANE["phone"], JANE_RESUME_MARKER, "Ticket"):
        assert secret.lower() not in text.lower(), f"{secret} appears in the log"
