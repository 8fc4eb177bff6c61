"""The admin privacy page over HTTP (CSRF, roles, erase and export buttons), a lead's privacy
card, and `lead-manager erase` from the shell."""

from __future__ import annotations

import io
import json
import zipfile
from contextlib import closing
from pathlib import Path

import httpx

from tests.conftest import Account, LiveServer
from tests.privacy.people import (
    JANE,
    JANE_RESUME_MARKER,
    JANE_TRACES,
    submit_person,
    traces_in_database,
)
from tests.privacy.test_retention import env_for
from tests.processes import run
from tests.web.pages import csrf_from, web_login


def test_only_admins_see_the_privacy_page(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    assert public.get("/admin/privacy").status_code == 303
    with closing(web_login(api, attorney.email)) as client:
        assert client.get("/admin/privacy").status_code == 403
        assert 'href="/admin/privacy"' not in client.get("/leads").text
    with closing(web_login(api, admin.email)) as client:
        page = client.get("/admin/privacy")
        assert page.status_code == 200
        assert "Erase a person" in page.text and "Export a person" in page.text
        assert "Off: leads are kept until erased" in page.text
        assert 'href="/admin/privacy" aria-current="page"' in page.text


def test_erasing_from_the_page_needs_csrf_and_confirmation(
    api: LiveServer, admin: Account, public: httpx.Client
) -> None:
    lead = submit_person(public, JANE, JANE_RESUME_MARKER)
    with closing(web_login(api, admin.email)) as client:
        token = csrf_from(client.get("/admin/privacy").text)
        form = {"erase_email": JANE["email"], "reason": "Ticket 12"}
        assert client.post("/admin/privacy/erasures", data=form).status_code == 403  # no token
        unconfirmed = client.post("/admin/privacy/erasures", data={**form, "csrf_token": token})
        assert unconfirmed.status_code == 422
        assert "cannot be undone" in unconfirmed.text
        bad = client.post(
            "/admin/privacy/erasures",
            data={"erase_email": "nope", "reason": "", "confirm": "yes", "csrf_token": token},
        )
        assert bad.status_code == 422 and 'id="erase_email-error"' in bad.text
        assert traces_in_database(api.engine, JANE_TRACES)

        done = client.post(
            "/admin/privacy/erasures", data={**form, "confirm": "yes", "csrf_token": token}
        )
        assert done.status_code == 200
        assert "Erased the personal data of 1 lead." in done.text
        assert JANE["email"] not in done.text  # not echoed back
        assert traces_in_database(api.engine, JANE_TRACES) == []

        again = client.post(
            "/admin/privacy/erasures", data={**form, "confirm": "yes", "csrf_token": token}
        )
        assert "nothing to erase" in again.text and "had been erased before, on" in again.text

        # The lead's page says what happened, and shows none of the person.
        lead_page = client.get(f"/leads/{lead['id']}")
        assert lead_page.status_code == 200
        assert "was erased on" in lead_page.text
        assert "Quillfeather" not in lead_page.text


def test_exporting_from_the_page_downloads_the_zip(
    api: LiveServer, admin: Account, public: httpx.Client
) -> None:
    lead = submit_person(public, JANE, JANE_RESUME_MARKER, marketing_opt_in="true")
    with closing(web_login(api, admin.email)) as client:
        token = csrf_from(client.get("/admin/privacy").text)
        missing = client.post(
            "/admin/privacy/export",
            data={"export_email": "nobody@example.org", "csrf_token": token},
        )
        assert missing.status_code == 404 and "No lead matches" in missing.text
        response = client.post(
            "/admin/privacy/export", data={"export_email": JANE["email"], "csrf_token": token}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        data = json.loads(archive.read("data.json"))
        assert [item["id"] for item in data["leads"]] == [lead["id"]]

        # The lead page's privacy card.
        card = client.get(f"/leads/{lead['id']}").text
        assert "Version 1" in card and "The API" in card and "Opted in" in card


def test_erase_command(api: LiveServer, public: httpx.Client, tmp_path: Path) -> None:
    submit_person(public, JANE, JANE_RESUME_MARKER)
    submit_person(public, JANE, JANE_RESUME_MARKER, email="jane.quillfeather+2@example.com")
    env = env_for(api)
    bad = run(tmp_path, "erase", "--email", "not-an-address", "--reason", "x", env=env)
    assert bad.returncode == 1 and "email" in bad.stderr and bad.stdout == ""
    no_reason = run(tmp_path, "erase", "--email", JANE["email"], "--reason", "", env=env)
    assert no_reason.returncode == 1 and "reason" in no_reason.stderr
    assert traces_in_database(api.engine, JANE_TRACES)

    result = run(tmp_path, "erase", "--email", JANE["email"].upper(), "--reason", "T-9", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "erased 2 lead(s)"
    assert traces_in_database(api.engine, JANE_TRACES) == []
    again = run(tmp_path, "erase", "--email", JANE["email"], "--reason", "T-9", env=env)
    assert again.stdout.strip() == "erased 0 lead(s)"
