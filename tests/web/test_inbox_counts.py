"""The inbox's counts (pending, pending for me, overdue) stop at a limit and say so: counting
every pending lead of a large backlog took most of the page's time (0.3 s a count at 750,000)."""

from __future__ import annotations

import re

import pytest

from lead_manager.web import leads as inbox
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.web.pages import web_login


def stats(server: LiveServer, email: str) -> dict[str, str]:
    client = web_login(server, email)
    try:
        html = client.get("/leads").text
    finally:
        client.close()
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]*>)?([^<]+)", html)
    return dict(pairs)


def test_counts_are_exact_up_to_the_limit_and_then_say_more(
    api: LiveServer, attorney: Account, public, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(5):
        assert submit(public, email=f"count{index}@example.com").status_code == 201
    monkeypatch.setattr(inbox, "INBOX_COUNT_LIMIT", 5)
    shown = stats(api, attorney.email)
    assert shown["Pending"] == "5" and shown["Pending for me"] == "5"
    monkeypatch.setattr(inbox, "INBOX_COUNT_LIMIT", 3)
    shown = stats(api, attorney.email)
    assert shown["Pending"] == "3+" and shown["Pending for me"] == "3+"
    assert shown["Overdue"] == "0"
