"""FORM_EMBED_ORIGINS: the public form's pages may be framed by those origins, and the intake
API called from their pages; nothing else opens, and staff pages are never frameable."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.core.settings import Settings
from tests import documents
from tests.conftest import LiveServer, make_settings, start_server
from tests.intake import lead_fields, submit
from tests.web.pages import csrf_from

FIRM = "https://www.firm.example"
PARTNER = "https://partner.example:8443"
FRONT_END = "https://app.firm.example"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("embedded")
    url = f"sqlite:///{directory / 'lead_manager.db'}"
    upgrade_to_head(url)
    server = start_server(
        make_settings(
            directory,
            url,
            form_embed_origins=f"{FIRM}, {PARTNER}/",
            cors_origins=[FRONT_END],
            max_resume_bytes=50_000,
        )
    )
    yield server
    server.stop()
    server.engine.dispose()


def frame_ancestors(response: httpx.Response) -> str:
    policy = response.headers["content-security-policy"]
    (directive,) = [d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors")]
    return directive.removeprefix("frame-ancestors ")


def test_origins_are_checked_and_normalised() -> None:
    settings = Settings(
        _env_file=None, form_embed_origins="https://WWW.Firm.example, http://localhost:8080/"
    )  # type: ignore[call-arg]
    assert settings.form_embed_origins == ["https://www.firm.example", "http://localhost:8080"]
    for bad in (
        "www.firm.example",
        "https://firm.example/contact",
        "ftp://firm.example",
        "*",
        "https://user@firm.example",
    ):
        with pytest.raises(ValueError, match="FORM_EMBED_ORIGINS"):
            Settings(_env_file=None, form_embed_origins=bad)  # type: ignore[call-arg]


def test_the_form_pages_may_be_framed_by_the_firms_sites(embedded: LiveServer) -> None:
    with embedded.client() as client:
        form = client.get("/")
        token = csrf_from(form.text)
        invalid = client.post(
            "/",
            data={**lead_fields(email="nope"), "csrf_token": token},
            files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
        )
        too_large = client.post(
            "/",
            data={**lead_fields(), "csrf_token": token},
            files={"resume": ("cv.pdf", documents.pdf(extra_bytes=200_000), "application/pdf")},
        )
        thanks = client.get("/thanks")
        for response, status in ((form, 200), (invalid, 422), (too_large, 413), (thanks, 200)):
            assert response.status_code == status
            assert frame_ancestors(response) == f"{FIRM} {PARTNER}"
            assert "x-frame-options" not in response.headers
        assert "script-src" not in too_large.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    ["/login", "/leads", "/dashboard", "/admin/webhooks", "/account", "/api/v1/leads", "/healthz"],
)
def test_nothing_else_may_be_framed(embedded: LiveServer, path: str) -> None:
    with embedded.client() as client:
        response = client.get(path)
    assert frame_ancestors(response) == "'none'"
    assert response.headers["x-frame-options"] == "DENY"


def test_without_origins_the_form_is_not_frameable(api: LiveServer, public) -> None:
    for path in ("/", "/thanks"):
        response = public.get(path)
        assert frame_ancestors(response) == "'none'"
        assert response.headers["x-frame-options"] == "DENY"


def test_the_firms_sites_may_submit_leads_from_the_browser(embedded: LiveServer) -> None:
    with embedded.client() as client:
        preflight = client.options(
            "/api/v1/leads",
            headers={
                "Origin": FIRM,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "idempotency-key",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == FIRM
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in preflight.headers
        created = submit(client, headers={"Origin": PARTNER})
        assert created.status_code == 201
        assert created.headers["access-control-allow-origin"] == PARTNER
        assert "Location" in created.headers["access-control-expose-headers"]
        assert "access-control-allow-credentials" not in created.headers


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        (
            "OPTIONS",
            "/api/v1/leads",
            {
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        ),
        ("GET", "/api/v1/leads", {}),
        ("OPTIONS", "/api/v1/auth/token", {"Access-Control-Request-Method": "POST"}),
        ("POST", "/api/v1/auth/token", {}),
        ("GET", "/api/v1/stats", {}),
        ("GET", "/", {}),
    ],
)
def test_the_firms_sites_get_nothing_else(
    embedded: LiveServer, method: str, path: str, headers: dict[str, str]
) -> None:
    with embedded.client() as client:
        response = client.request(method, path, headers={"Origin": FIRM, **headers})
    assert "access-control-allow-origin" not in response.headers


def test_other_origins_may_not_submit_from_the_browser(embedded: LiveServer) -> None:
    with embedded.client() as client:
        preflight = client.options(
            "/api/v1/leads",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        response = submit(client, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in response.headers


def test_the_front_end_origin_keeps_its_api_access(embedded: LiveServer) -> None:
    with embedded.client() as client:
        preflight = client.options(
            "/api/v1/leads",
            headers={
                "Origin": FRONT_END,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == FRONT_END
        assert "access-control-allow-credentials" not in preflight.headers
        submitted = submit(client, headers={"Origin": FRONT_END})
        assert submitted.headers["access-control-allow-origin"] == FRONT_END


def test_an_embedded_post_without_our_cookie_needs_the_browsers_same_origin_mark(
    embedded: LiveServer, api: LiveServer
) -> None:
    """Inside another site's frame the browser withholds our SameSite cookie; the post is
    accepted when the browser says it came from our own page, and only then."""

    def post(server: LiveServer, fetch_site: str | None) -> int:
        # A fresh client: no CSRF cookie, as inside the frame.
        with server.client() as client:
            token = csrf_from(client.get("/").text)
            client.cookies.clear()
            headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
            return client.post(
                "/",
                data={**lead_fields(), "csrf_token": token},
                files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
                headers=headers,
            ).status_code

    assert post(embedded, "same-origin") == 303
    assert post(embedded, "cross-site") == 403
    assert post(embedded, "same-site") == 403
    assert post(embedded, None) == 403
    # Without FORM_EMBED_ORIGINS the cookie is required as before.
    assert post(api, "same-origin") == 403
