"""A client generated from the live /openapi.json by openapi-python-client works end to end.

Only the generated package's public functions and models are used: log in, submit a lead with
a resume, list with a filter following `next_cursor`, read and update a lead.
"""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests import documents
from tests.conftest import PASSWORD, Account, LiveServer

# One backend suffices for the generator; the HTTP tests cover both.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PACKAGE = "lead_manager_client"


@pytest.fixture
def generated(api: LiveServer, public, tmp_path: Path) -> Iterator[ModuleType]:
    document = tmp_path / "openapi.json"
    document.write_bytes(public.get("/openapi.json").content)
    # Bytes to the client, as the generator's documented override: the privacy export's zip and
    # the register's CSV import (docs/api.md says the same).
    config = tmp_path / "generator.yaml"
    config.write_text(
        "content_type_overrides:\n"
        '  "application/zip": "application/octet-stream"\n'
        '  "text/csv": "application/octet-stream"\n'
    )
    scripts = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(scripts / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--config",
            str(config),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        # The generator formats its output with ruff, which it looks for on PATH.
        env={**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # It warns (and leaves out) whatever part of the document it cannot turn into code.
    assert "Warning" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_client_logs_in_submits_lists_reads_and_updates(
    generated: ModuleType, api: LiveServer, attorney: Account
) -> None:
    models = module("models")
    types = module("types")
    login = module("api.auth.login")
    submit_lead = module("api.leads.submit_lead")
    list_leads = module("api.leads.list_leads")
    get_lead = module("api.leads.get_lead")
    update_lead = module("api.leads.update_lead")

    public = generated.Client(base_url=api.base_url)
    refused = login.sync_detailed(
        client=public, body=models.LoginForm(username=attorney.email, password="wrong password")
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.ErrorRead)
    response = login.sync_detailed(
        client=public, body=models.LoginForm(username=attorney.email, password=PASSWORD)
    )
    assert response.status_code == 200
    assert isinstance(response.parsed, models.TokenRead)
    client = generated.AuthenticatedClient(
        base_url=api.base_url, token=response.parsed.access_token
    )

    def resume() -> object:
        return types.File(
            payload=io.BytesIO(documents.pdf()), file_name="cv.pdf", mime_type="application/pdf"
        )

    created = []
    for number in range(3):
        lead = submit_lead.sync(
            client=public,
            body=models.SubmitLeadForm(
                first_name=f"Generated{number}",
                last_name="Client",
                email=f"generated{number}@example.com",
                resume=resume(),
                message="Submitted through the generated client.",
            ),
        )
        assert isinstance(lead, models.LeadCreated), lead
        created.append(lead.id)
    other = submit_lead.sync(
        client=public,
        body=models.SubmitLeadForm(
            first_name="Someone", last_name="Else", email="else@example.com", resume=resume()
        ),
    )
    assert isinstance(other, models.LeadCreated)
    invalid = submit_lead.sync(
        client=public,
        body=models.SubmitLeadForm(
            first_name="No", last_name="Email", email="not an address", resume=resume()
        ),
    )
    assert isinstance(invalid, models.ValidationErrorRead)
    assert invalid.detail[0].loc == ["body", "email"]

    # Pages of one, following next_cursor, filtered by a name substring.
    seen = []
    cursor = None
    while True:
        kwargs = {"cursor": cursor} if cursor else {}
        page = list_leads.sync(client=client, q="generated", limit=1, **kwargs)
        assert isinstance(page, models.LeadPage), page
        seen += [item.id for item in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(created))

    detail = get_lead.sync(lead_id=created[0], client=client)
    assert isinstance(detail, models.LeadDetail)
    assert detail.first_name == "Generated0" and detail.resume.filename == "cv.pdf"
    assert [entry.status for entry in detail.history] == [models.LeadStatus.PENDING]

    updated = update_lead.sync(
        lead_id=created[0],
        client=client,
        body=models.LeadUpdate(status=models.LeadStatus.REACHED_OUT),
    )
    assert isinstance(updated, models.LeadDetail)
    assert updated.status == models.LeadStatus.REACHED_OUT
    assert [entry.status for entry in updated.history] == [
        models.LeadStatus.PENDING,
        models.LeadStatus.REACHED_OUT,
    ]
    assert updated.history[-1].changed_by == attorney.id
