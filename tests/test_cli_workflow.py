"""`lead-manager send-digest`, and the settings of working a lead refused with a one-line reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lead_manager.outbox.models import OutboxMessage
from tests.conftest import Account, LiveServer
from tests.leads.workflow import new_lead
from tests.processes import run


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("BUSINESS_HOURS", "24/7", "is not like 'mon-fri 09:00-17:30'"),
        ("BUSINESS_HOURS", "weekdays 09:00-17:00", "'weekdays' is not a day"),
        ("BUSINESS_HOURS", "mon-fri 17:30-09:00", "must end after it starts"),
        ("FIRM_TIMEZONE", "Europe/Atlantis", "is not an IANA time zone"),
        ("DIGEST_TIME", "8am", "is not a time of day"),
        ("FIRST_RESPONSE_SLA_MINUTES", "-5", "greater than or equal to 0"),
        ("FIRST_RESPONSE_SLA_MINUTES", "soon", "valid number"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "worker", "send-digest"])
def test_bad_settings_refuse_to_start_with_one_line(
    tmp_path, command, variable, value, reason
) -> None:
    result = run(tmp_path, command, env={variable: value}, timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lead-manager: configuration error: {variable}: ")
    assert reason in lines[0]


def test_valid_settings_of_working_a_lead_start(tmp_path) -> None:
    env = {
        "BUSINESS_HOURS": "Mon-Fri 09:00-12:30 13:30-17:30; sat 10:00-13:00",
        "FIRM_TIMEZONE": "America/New_York",
        "FIRST_RESPONSE_SLA_MINUTES": "0.5",
        "DIGEST_TIME": "",
    }
    assert run(tmp_path, "migrate", env=env).returncode == 0
    result = run(tmp_path, "send-digest", env=env)
    assert result.returncode == 0, result.stderr
    assert "America/New_York" in result.stdout and "nothing to send" in result.stdout


def test_send_digest_sends_today_s_once(
    api: LiveServer, attorney: Account, public, tmp_path
) -> None:
    new_lead(public)
    new_lead(public, email="second@example.com")
    env = {"DATABASE_URL": api.settings.database_url, "FIRM_TIMEZONE": "Europe/Berlin"}
    first = run(tmp_path, "send-digest", env=env)
    assert first.returncode == 0, first.stderr
    assert "queued 1 email(s)" in first.stdout and "(Europe/Berlin)" in first.stdout
    again = run(tmp_path, "send-digest", env=env)
    assert again.returncode == 0
    assert "already sent today to all 1 attorney(s)" in again.stdout
    with api.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "daily_digest")
        ).all()
    assert [row.payload["user_id"] for row in rows] == [str(attorney.id)]
