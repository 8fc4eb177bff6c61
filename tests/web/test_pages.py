"""The web pages over plain HTTP: sessions, CSRF, redirects, roles, escaping, headers."""

from __future__ import annotations

import html
import uuid

import pytest
from sqlalchemy import func, select

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.leads.models import Lead
from lead_manager.users.models import Role, User
from lead_manager.web.dependencies import cookie_options, safe_next
from lead_manager.web.public import SPAM_TRAP_FIELD
from tests import documents
from tests.conftest import PASSWORD, Account, LiveServer, add_account, make_settings, start_server
from tests.intake import lead_fields, submit
from tests.metrics import metric_value
from tests.web.pages import csrf_from, web_login

XSS_NAME = "<script>alert(1)</script>"


def lead_count(api: LiveServer) -> int:
    with api.session() as session:
        return session.scalar(select(func.count()).select_from(Lead)) or 0


@pytest.mark.parametrize("path", ["/leads", f"/leads/{uuid.uuid4()}", "/account", "/admin/users"])
def test_internal_pages_redirect_anonymous_visitors_to_login(api, public, path: str) -> None:
    response = public.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert public.get(response.headers["location"]).status_code == 200


def test_login_returns_to_the_requested_local_page(api, attorney: Account, public) -> None:
    response = public.get("/leads?status=PENDING")
    assert response.headers["location"] == "/login?next=/leads%3Fstatus%3DPENDING"
    token = csrf_from(public.get(response.headers["location"]).text)
    login = public.post(
        "/login",
        data={
            "email": attorney.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/leads?status=PENDING",
        },
    )
    assert login.status_code == 303
    assert login.headers["location"] == "/leads?status=PENDING"
    assert public.get("/leads?status=PENDING").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "http:/evil",
        "javascript:alert(1)",
        "leads",
        "/leads\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_next_never_leaves_the_site(target: str) -> None:
    assert safe_next(target) == "/leads"


def test_wrong_password_shows_a_message_and_sets_no_session(api, attorney: Account, public) -> None:
    token = csrf_from(public.get("/login").text)
    response = public.post(
        "/login", data={"email": attorney.email, "password": "wrong password!", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Incorrect email or password." in response.text
    assert "lm_session" not in response.cookies
    assert public.get("/leads").status_code == 303


def test_login_form_is_throttled_like_the_api(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'throttle.db'}"
    upgrade_to_head(url)
    server = start_server(make_settings(tmp_path, url, login_rate_limit="3/minute"))
    try:
        account = add_account(server, Role.ATTORNEY)
        with server.client() as client:
            statuses = []
            for password in ["wrong"] * 4 + [PASSWORD]:
                token = csrf_from(client.get("/login").text)
                response = client.post(
                    "/login",
                    data={"email": account.email, "password": password, "csrf_token": token},
                )
                statuses.append(response.status_code)
            assert statuses == [401, 401, 401, 429, 429]
            assert int(response.headers["retry-after"]) > 0
            assert "Too many failed attempts" in response.text
            # The API shares the throttle: it refuses this account from this address too.
            api_response = client.post(
                "/api/v1/auth/token", data={"username": account.email, "password": PASSWORD}
            )
            assert api_response.status_code == 429
        account.client.close()
    finally:
        server.stop()
        server.engine.dispose()


def test_posts_without_a_valid_csrf_token_are_refused(api, attorney: Account, public) -> None:
    # The login form.
    response = public.post("/login", data={"email": attorney.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "lm_session" not in response.cookies
    # The public form: nothing is stored.
    public.get("/")
    response = public.post(
        "/", data=lead_fields(), files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")}
    )
    assert response.status_code == 403
    assert lead_count(api) == 0
    # A signed-in attorney: a token from another visitor's page does not work either.
    lead_id = submit(public).json()["id"]
    client = web_login(api, attorney.email)
    with api.client() as stranger:
        foreign_token = csrf_from(stranger.get("/login").text)
    for data in ({}, {"csrf_token": foreign_token}, {"csrf_token": "0" * 64}):
        response = client.post(f"/leads/{lead_id}/reached-out", data=data)
        assert response.status_code == 403
        assert "This form has expired" in response.text
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["status"] == "PENDING"
    token = csrf_from(client.get(f"/leads/{lead_id}").text)
    response = client.post(f"/leads/{lead_id}/reached-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["status"] == "REACHED_OUT"


def test_a_token_from_before_login_does_not_work_after_it(api, attorney: Account) -> None:
    with api.client() as client:
        old_token = csrf_from(client.get("/login").text)
        client.post(
            "/login", data={"email": attorney.email, "password": PASSWORD, "csrf_token": old_token}
        )
        response = client.post("/account", data={"csrf_token": old_token, "is_available": "false"})
        assert response.status_code == 403


def test_attorney_gets_403_on_admin_pages(api, attorney: Account) -> None:
    client = web_login(api, attorney.email)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Access denied" in response.text
    token = csrf_from(client.get("/leads").text)
    response = client.post(
        "/admin/users",
        data={
            "email": "x@firm.example",
            "password": "x" * 12,
            "role": "admin",
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    with api.session() as session:
        assert session.scalars(select(User).where(User.email == "x@firm.example")).first() is None


def test_deactivated_users_cookie_stops_working(api, attorney: Account, admin: Account) -> None:
    client = web_login(api, attorney.email)
    assert client.get("/leads").status_code == 200
    response = admin.client.patch(f"/api/v1/users/{attorney.id}", json={"is_active": False})
    assert response.status_code == 200
    response = client.get("/leads")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_user_text_is_escaped_everywhere(api, attorney: Account, public) -> None:
    lead_id = submit(
        public,
        first_name=XSS_NAME,
        last_name='"><img src=x onerror=alert(2)>',
        message="<b>bold</b>",
        resume=b"plain text resume",
        filename="<x>.txt",
        content_type="text/plain",
    ).json()["id"]
    client = web_login(api, attorney.email)
    for path in ("/leads", f"/leads/{lead_id}"):
        html = client.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert XSS_NAME not in html
        assert "<img src=x" not in html
        assert "<b>bold</b>" not in html


def test_pages_carry_security_headers_and_cookie_flags(api, attorney: Account, public) -> None:
    response = public.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["cache-control"] == "no-store"
    csrf_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in csrf_cookie and "samesite=lax" in csrf_cookie
    token = csrf_from(response.text)
    response = public.post(
        "/login", data={"email": attorney.email, "password": PASSWORD, "csrf_token": token}
    )
    session_cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith("lm_session=")
    ).lower()
    assert "httponly" in session_cookie
    assert "samesite=lax" in session_cookie
    assert "path=/" in session_cookie
    assert "secure" not in session_cookie  # the test server is plain HTTP (not production)
    assert public.get("/static/site.css").status_code == 200


def test_session_cookies_are_secure_in_production(tmp_path) -> None:
    production = make_settings(tmp_path, "sqlite://", environment="production")
    assert cookie_options(production) == {
        "httponly": True,
        "samesite": "lax",
        "secure": True,
        "path": "/",
    }


def test_lead_form_shows_field_errors_and_keeps_values(api, public) -> None:
    token = csrf_from(public.get("/").text)
    fields = lead_fields(
        first_name="Ménard",
        email="not-an-email",
        phone="call me maybe",
        message="Hello & <welcome>",
    )
    response = public.post(
        "/",
        data={**fields, "csrf_token": token},
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="email-error"' in html and 'id="phone-error"' in html
    assert 'value="Ménard"' in html and 'value="not-an-email"' in html
    assert "Hello &amp; &lt;welcome&gt;" in html
    assert "Please choose your resume again." in html
    assert lead_count(api) == 0


def test_lead_form_refuses_a_file_that_is_not_a_document(api, public) -> None:
    token = csrf_from(public.get("/").text)
    response = public.post(
        "/",
        data={**lead_fields(), "csrf_token": token},
        files={"resume": ("cv.pdf", b"<html><script>x</script></html>", "application/pdf")},
    )
    assert response.status_code == 415
    assert 'id="resume-error"' in response.text
    assert lead_count(api) == 0


def test_lead_form_upload_over_the_limit_gets_a_page_not_plain_text(api, public) -> None:
    # Without JavaScript nothing stops the upload; the body limit answers before any page code.
    token = csrf_from(public.get("/").text)
    too_big = documents.pdf(extra_bytes=api.settings.max_request_bytes)
    response = public.post(
        "/",
        data={**lead_fields(), "csrf_token": token},
        files={"resume": ("cv.pdf", too_big, "application/pdf")},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    # The site's own error page (header, footer, the limit), not a bare text.
    assert "That file is too large" in response.text and 'href="/"' in response.text
    assert html.escape(api.settings.firm_name) in response.text and "site-header" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert lead_count(api) == 0


def test_lead_form_submission_creates_the_lead(api, attorney: Account, public) -> None:
    token = csrf_from(public.get("/").text)
    response = public.post(
        "/",
        data={**lead_fields(), "csrf_token": token},
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/thanks"
    items = attorney.client.get("/api/v1/leads").json()["items"]
    assert [(i["email"], i["assigned_to"]) for i in items] == [
        ("jane.doe@example.com", str(attorney.id))
    ]


def test_lead_form_spam_trap_looks_accepted_but_stores_nothing(
    api, attorney: Account, public
) -> None:
    hits_before = metric_value(public, "lead_manager_honeypot_hits_total")
    page = public.get("/").text
    trap = html.unescape(page).split(f'name="{SPAM_TRAP_FIELD}"')[1].split(">")[0]
    assert 'tabindex="-1"' in trap and 'autocomplete="off"' in trap
    assert 'name="website"' not in page
    response = public.post(
        "/",
        data={**lead_fields(), SPAM_TRAP_FIELD: "+1 555 0199", "csrf_token": csrf_from(page)},
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/thanks"
    assert lead_count(api) == 0
    assert attorney.client.get("/api/v1/leads").json()["items"] == []
    assert metric_value(public, "lead_manager_honeypot_hits_total") == hits_before + 1


def test_lead_form_with_a_website_and_an_empty_trap_is_stored(
    api, attorney: Account, public
) -> None:
    """`website` is ordinary data now, on the form as on the API; an empty trap is a person."""
    page = public.get("/").text
    response = public.post(
        "/",
        data={
            **lead_fields(),
            "website": "https://jane-doe.example",
            SPAM_TRAP_FIELD: "",
            "csrf_token": csrf_from(page),
        },
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 303
    assert lead_count(api) == 1


def test_unknown_or_malformed_pages_are_404_pages(api, attorney: Account) -> None:
    client = web_login(api, attorney.email)
    for path in (f"/leads/{uuid.uuid4()}", "/leads/not-a-uuid", f"/leads/{uuid.uuid4()}/resume"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.text
    response = client.get("/leads?cursor=garbage")
    assert response.status_code == 400
    response = client.get("/leads?q=a%00b")
    assert response.status_code == 200
    assert "control characters" in response.text


def test_admin_manages_users_through_the_page(api, admin: Account) -> None:
    client = web_login(api, admin.email)
    token = csrf_from(client.get("/admin/users").text)
    short = client.post(
        "/admin/users",
        data={
            "email": "bob@firm.example",
            "password": "short",
            "role": "attorney",
            "full_name": "Bob",
            "csrf_token": token,
        },
    )
    assert short.status_code == 422
    assert 'id="password-error"' in short.text and 'value="bob@firm.example"' in short.text
    created = client.post(
        "/admin/users",
        data={
            "email": "bob@firm.example",
            "password": PASSWORD,
            "role": "attorney",
            "full_name": "Bob",
            "csrf_token": token,
        },
    )
    assert created.status_code == 303
    duplicate = client.post(
        "/admin/users",
        data={
            "email": "BOB@firm.example",
            "password": PASSWORD,
            "role": "attorney",
            "csrf_token": token,
        },
    )
    assert duplicate.status_code == 409
    bob = next(
        u for u in admin.client.get("/api/v1/users").json() if u["email"] == "bob@firm.example"
    )
    for change, field, expected in (
        ("unavailable", "is_available", False),
        ("make-admin", "role", "admin"),
        ("deactivate", "is_active", False),
    ):
        response = client.post(
            f"/admin/users/{bob['id']}", data={"change": change, "csrf_token": token}
        )
        assert response.status_code == 303
        users = {u["id"]: u for u in admin.client.get("/api/v1/users").json()}
        assert users[bob["id"]][field] == expected
    # The last active admin cannot remove themselves: a clear message, not an error page.
    response = client.post(
        f"/admin/users/{admin.id}", data={"change": "deactivate", "csrf_token": token}
    )
    assert response.status_code == 409
    assert "last active administrator" in response.text
    bogus = client.post(f"/admin/users/{admin.id}", data={"change": "explode", "csrf_token": token})
    assert bogus.status_code == 400


def test_logout_ends_the_session(api, attorney: Account) -> None:
    client = web_login(api, attorney.email)
    token = csrf_from(client.get("/leads").text)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/leads").status_code == 303
