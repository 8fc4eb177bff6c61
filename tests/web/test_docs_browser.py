"""/docs and /redoc in a real browser: the page asks no other host for anything, and the
document's patterns compile as the browser's regular expressions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer
from tests.web.test_browser import browser, playwright_api

__all__ = ["browser"]  # the fixture, shared with the other browser tests

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def context(
    browser: playwright_api.Browser, api: LiveServer
) -> Iterator[playwright_api.BrowserContext]:
    context = browser.new_context(base_url=api.base_url)
    yield context
    context.close()


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock"), ("/redoc", "h1")])
def test_api_docs_ask_no_other_host(
    context: playwright_api.BrowserContext, api: LiveServer, path: str, ready: str
) -> None:
    page = context.new_page()
    requested: list[str] = []
    refused: dict[str, str | None] = {}
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: refused.update({request.url: request.failure}))
    page.goto(path)
    page.wait_for_selector(ready, timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert "lead-manager" in page.content()
    elsewhere = [url for url in requested if not url.startswith((api.base_url, "data:", "blob:"))]
    # ReDoc's script asks for Redocly's logo on their CDN; the page's policy refuses it inside
    # the browser (the script then shows no logo). Nothing may leave for another host.
    assert {url: refused.get(url) for url in elsewhere} == {url: "csp" for url in elsewhere}


def test_published_patterns_compile_as_browser_regexps(
    context: playwright_api.BrowserContext, public
) -> None:
    form = public.get("/openapi.json").json()["components"]["schemas"]["SubmitLeadForm"]
    single_line = form["properties"]["first_name"]["pattern"]
    multi_line = form["properties"]["message"]["anyOf"][0]["pattern"]
    page = context.new_page()
    page.goto("/healthz")
    verdicts = page.evaluate(
        """([single, multi]) => {
            const test = (pattern, flags, text) => new RegExp(pattern, flags).test(text);
            return ["", "u"].map((flags) => [
                test(single, flags, "Zoë O'Brien-Łukasz 山田"),
                test(single, flags, "a\\nb"),
                test(single, flags, "a\\u200bb"),
                test(single, flags, "a\\u0000"),
                test(multi, flags, "line one\\nline two\\tend"),
                test(multi, flags, "hidden\\u2066text"),
            ]);
        }""",
        [single_line, multi_line],
    )
    expected = [True, False, False, False, True, False]
    assert verdicts == [expected, expected]
