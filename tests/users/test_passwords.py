"""Weak passwords are refused wherever a password is set (issue 13, finding 16): only white
space, the most common leaked passwords and their simple variants. API, admin page, CLI."""

from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from lead_manager.users.models import User
from lead_manager.users.schemas import Password
from tests.conftest import PASSWORD, Account, LiveServer
from tests.processes import run
from tests.web.pages import csrf_from, web_login

WEAK = [
    " " * 12,
    "\u00a0" * 12,
    "\u3000" * 16,
    "password1234",
    "Password1234",
    "123456789012",
    "qwerty123456",
    "1q2w3e4r5t6y",
    "iloveyou1234",
    "P@ssw0rd1234",
    "aaaaaaaaaaaa",
]
STRONG = ["correct horse battery staple", "a long enough password", "Attorney-Pass-123"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_by_the_type(password: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Password).validate_python(password)


@pytest.mark.parametrize("password", STRONG)
def test_ordinary_good_passwords_pass(password: str) -> None:
    assert TypeAdapter(Password).validate_python(password) == password


def test_a_long_password_is_rated_quickly_on_its_first_characters() -> None:
    # Strong at the start, whatever follows; rating all 1024 characters would take seconds.
    password = "4@8({[<3!1|l0$5+7%2" * 50
    assert TypeAdapter(Password).validate_python(password[:1024])


def new_user(password: str) -> dict[str, str]:
    return {
        "email": f"u-{uuid.uuid4().hex[:8]}@firm.example",
        "full_name": "New Person",
        "password": password,
        "role": "attorney",
    }


@pytest.mark.parametrize("password", [" " * 12, "\u3000" * 12, "password1234", "qwerty123456"])
def test_api_refuses_a_weak_password_with_422_naming_the_field(
    api: LiveServer, admin: Account, password: str
) -> None:
    body = new_user(password)
    response = admin.client.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == "password"
    with api.session() as session:
        assert session.scalars(select(User).where(User.email == body["email"])).first() is None


def test_admin_page_shows_why_a_password_is_refused(api: LiveServer, admin: Account) -> None:
    client = web_login(api, admin.email)
    token = csrf_from(client.get("/admin/users").text)
    fields = {"email": "weak@firm.example", "role": "attorney", "csrf_token": token}
    response = client.post("/admin/users", data={**fields, "password": "password1234"})
    assert response.status_code == 422
    assert 'id="password-error"' in response.text and "too common" in response.text
    response = client.post("/admin/users", data={**fields, "password": " " * 12})
    assert response.status_code == 422
    assert 'id="password-error"' in response.text and "white space" in response.text
    assert client.post("/admin/users", data={**fields, "password": PASSWORD}).status_code == 303


def test_create_user_command_gives_a_one_line_reason(tmp_path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    for password, reason in [("password1234", "too common"), (" " * 12, "white space")]:
        result = run(
            tmp_path,
            "create-user",
            "--email",
            "weak@firm.example",
            "--role",
            "attorney",
            "--password-stdin",
            stdin=f"{password}\n",
        )
        assert result.returncode != 0
        (line,) = result.stderr.strip().splitlines()
        assert reason in line and "Value error" not in line
