"""Names of only white space (ASCII, U+00A0, U+3000...) are refused, on the API and the form;
real names are stored trimmed (issue 13, finding 15)."""

from __future__ import annotations

import uuid

import pytest

from lead_manager.leads.models import Lead
from tests import documents
from tests.conftest import Account, LiveServer
from tests.intake import lead_fields, submit
from tests.leads.test_intake import assert_nothing_stored
from tests.web.pages import csrf_from

BLANKS = ["   ", "\u00a0\u00a0\u00a0", "\u3000", " \u2003\u00a0 "]


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("blank", BLANKS)
def test_blank_name_is_422_naming_the_field(api: LiveServer, public, field, blank) -> None:
    response = submit(public, **{field: blank})
    assert response.status_code == 422, response.text
    assert [err["loc"][-1] for err in response.json()["detail"]] == [field]
    assert_nothing_stored(api)


def test_names_are_stored_trimmed_of_unicode_white_space(api: LiveServer, public) -> None:
    response = submit(public, first_name="\u3000Zoë\u00a0", last_name=" O'Brien\u2003")
    assert response.status_code == 201, response.text
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Zoë", "O'Brien")
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(response.json()["id"]))
        assert lead is not None and (lead.first_name, lead.last_name) == ("Zoë", "O'Brien")


@pytest.mark.parametrize("blank", ["\u00a0\u00a0", "\u3000\u3000"])
def test_the_form_shows_a_field_error_for_a_blank_name(api: LiveServer, public, blank) -> None:
    token = csrf_from(public.get("/").text)
    response = public.post(
        "/",
        data={**lead_fields(first_name=blank), "csrf_token": token},
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 422
    assert 'id="first_name-error"' in response.text
    assert_nothing_stored(api)


def test_a_users_full_name_is_trimmed_of_unicode_white_space(api, admin: Account) -> None:
    body = {
        "email": f"u-{uuid.uuid4().hex[:6]}@firm.example",
        "full_name": "\u3000Bob Smith\u00a0",
        "password": "a long enough password",
        "role": "attorney",
    }
    created = admin.client.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["full_name"] == "Bob Smith"
    me = admin.client.patch("/api/v1/users/me", json={"full_name": "\u00a0\u3000"})
    assert me.status_code == 200 and me.json()["full_name"] == ""
