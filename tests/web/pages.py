"""Driving the web pages over plain HTTP: CSRF tokens from forms, a signed-in cookie session."""

from __future__ import annotations

import re

import httpx

from tests.conftest import PASSWORD, LiveServer

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def web_login(server: LiveServer, email: str, password: str = PASSWORD) -> httpx.Client:
    """A client holding a session cookie, signed in through the /login form."""
    client = server.client()
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/leads"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/leads"
    return client
