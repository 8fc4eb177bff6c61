"""The pages word validation errors for people, not in Pydantic's words."""

from __future__ import annotations

from tests.conftest import Account, LiveServer
from tests.web.pages import csrf_from, web_login


def test_a_short_password_on_the_users_page(api: LiveServer, admin: Account) -> None:
    client = web_login(api, admin.email)
    token = csrf_from(client.get("/admin/users").text)
    response = client.post(
        "/admin/users",
        data={
            "email": "new@firm.example",
            "role": "attorney",
            "password": "short",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert 'id="password-error"' in response.text
    assert "Use at least 12 characters." in response.text
    assert "String should" not in response.text


def test_a_bad_email_on_the_users_page(api: LiveServer, admin: Account) -> None:
    client = web_login(api, admin.email)
    token = csrf_from(client.get("/admin/users").text)
    response = client.post(
        "/admin/users",
        data={
            "email": "new@",
            "role": "attorney",
            "password": "a long enough one",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    assert "value is not a valid email" not in response.text
