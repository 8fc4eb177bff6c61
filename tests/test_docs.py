"""The README and docs/: every relative link lands on a file of the repository, every setting
is documented, and no example puts a password on a command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lead_manager.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target), an optional "title" after the target.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def anchors(markdown: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", FENCE.sub("", markdown), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def links(document: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", document.read_text()))


def test_the_documents_exist() -> None:
    names = {d.relative_to(ROOT).as_posix() for d in DOCUMENTS}
    assert {"README.md", "docs/api.md", "docs/configuration.md", "docs/performance.md"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_relative_links_point_to_files_in_the_repository(document: Path) -> None:
    found = links(document)
    assert found or document.name != "README.md"
    for target in found:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        assert linked.is_relative_to(ROOT), f"{target} leaves the repository"
        assert linked.is_file(), f"{target} in {document.name} does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked.read_text()), f"{target}: no such heading"


def test_every_setting_is_in_the_configuration_document() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = [n.upper() for n in Settings.model_fields if f"`{n.upper()}`" not in documented]
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_no_example_puts_a_password_on_the_command_line(document: Path) -> None:
    for block in FENCE.findall(document.read_text()):
        assert not re.search(r"password=(?!@)", block), block
        assert not re.search(r"^\s*echo\s+['\"]", block, re.MULTILINE), block
