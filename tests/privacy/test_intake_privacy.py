"""What the intake keeps for privacy: the notice version, the channel and the marketing choice;
the form's unticked box and notice link; the settings' checks."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.core.settings import Settings
from lead_manager.leads.models import Lead
from tests import documents
from tests.conftest import Account, LiveServer, make_settings, start_server
from tests.intake import lead_fields, submit
from tests.web.pages import csrf_from


def privacy_of(attorney: Account, lead_id: str) -> dict[str, object]:
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert detail["erased_at"] is None
    privacy: dict[str, object] = detail["privacy"]
    return privacy


@pytest.mark.parametrize(
    ("sent", "kept"),
    [(None, False), ("true", True), ("false", False), ("1", True), ("on", True), ("", False)],
)
def test_the_api_keeps_the_notice_version_channel_and_opt_in(
    api: LiveServer, attorney: Account, public: httpx.Client, sent: str | None, kept: bool
) -> None:
    response = submit(public, marketing_opt_in=sent)
    assert response.status_code == 201, response.text
    assert privacy_of(attorney, response.json()["id"]) == {
        "notice_version": "1",
        "channel": "api",
        "marketing_opt_in": kept,
    }


def test_an_unreadable_opt_in_is_422(api: LiveServer, public: httpx.Client) -> None:
    response = submit(public, marketing_opt_in="perhaps")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "marketing_opt_in"


def form_post(client: httpx.Client, **extra: str) -> httpx.Response:
    token = csrf_from(client.get("/").text)
    return client.post(
        "/",
        data={**lead_fields(), "csrf_token": token, **extra},
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )


def test_the_form_has_an_unticked_box_and_records_the_form_channel(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> None:
    page = public.get("/").text
    box = page[page.index('id="marketing_opt_in"') - 30 : page.index('id="marketing_opt_in"') + 120]
    assert 'type="checkbox"' in box and "checked" not in box
    # No PRIVACY_NOTICE_URL on this server: no link to a notice.
    assert "privacy notice</a>" not in page

    assert form_post(public).status_code == 303
    assert form_post(public, marketing_opt_in="true").status_code == 303
    leads = attorney.client.get("/api/v1/leads").json()["items"]
    opt_ins = sorted(privacy_of(attorney, lead["id"])["marketing_opt_in"] for lead in leads)
    assert opt_ins == [False, True]
    assert {privacy_of(attorney, lead["id"])["channel"] for lead in leads} == {"form"}

    # A refused form keeps the visitor's choice (ticked stays ticked).
    again = form_post(public, marketing_opt_in="true", email="not-an-address")
    assert again.status_code == 422
    assert 'value="true" checked' in again.text


def test_the_configured_notice_is_linked_and_its_version_kept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lead_manager.db'}"
    upgrade_to_head(url)
    server = start_server(
        make_settings(
            tmp_path,
            url,
            privacy_notice_url="https://hale.example/privacy?v=2026-11&x=<b>",
            privacy_notice_version="2026-11",
        )
    )
    try:
        with server.client() as public:
            page = public.get("/").text
            assert (
                '<a href="https://hale.example/privacy?v=2026-11&amp;x=&lt;b&gt;" '
                'rel="noopener noreferrer" target="_blank">privacy notice</a>'
            ) in page
            lead_id = submit(public).json()["id"]
        with server.session() as session:
            lead = session.get(Lead, uuid.UUID(lead_id))
            assert lead is not None and lead.privacy_notice_version == "2026-11"
    finally:
        server.stop()
        server.engine.dispose()


@pytest.mark.parametrize(
    "values",
    [
        {"privacy_notice_url": "javascript:alert(1)"},
        {"privacy_notice_url": "hale.example/privacy"},
        {"privacy_notice_url": "https://hale.example/\nprivacy"},
        {"privacy_notice_version": ""},
        {"privacy_notice_version": "v" * 51},
        {"retention_days": -1},
    ],
)
def test_settings_refuse_bad_privacy_values(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_settings_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.privacy_notice_url is None
    assert settings.privacy_notice_version == "1"
    assert settings.retention_days == 0
    blank = Settings(_env_file=None, privacy_notice_url="  ")  # type: ignore[call-arg]
    assert blank.privacy_notice_url is None
