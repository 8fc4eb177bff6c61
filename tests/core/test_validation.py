from __future__ import annotations

import re
import unicodedata

import pytest
from pydantic import TypeAdapter, ValidationError

from lead_manager.core.validation import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_BUT_NEWLINES,
    FullName,
    Name,
    StatusReason,
)
from lead_manager.leads.schemas import LeadCreate

REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def test_the_spelled_out_classes_match_unicode() -> None:
    refused = {
        chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in REFUSED_CATEGORIES
    }
    matched = {chr(c) for c in range(0x110000) if CONTROL_CHARACTERS.match(chr(c))}
    assert matched == refused
    assert refused - {
        chr(c) for c in range(0x110000) if CONTROL_CHARACTERS_BUT_NEWLINES.match(chr(c))
    } == set("\t\n\r")


def test_the_openapi_pattern_states_the_same_rule() -> None:
    pattern = re.compile(LeadCreate.model_json_schema()["properties"]["first_name"]["pattern"])
    assert pattern.match("Zoë O'Brien-Łukasz")
    for bad in ("a\nb", "a\x00", "a\u200bb", "a\u2028b"):
        assert not pattern.match(bad)


BLANKS = ["   ", "\u00a0\u00a0", "\u3000", " \u2003\u00a0 ", "\t"]


@pytest.mark.parametrize("blank", BLANKS)
def test_a_name_or_reason_of_only_white_space_is_refused(blank: str) -> None:
    for kind in (Name, StatusReason):
        with pytest.raises(ValidationError):
            TypeAdapter(kind).validate_python(blank)


def test_the_spelled_out_white_space_is_what_str_strip_removes() -> None:
    from lead_manager.core.validation import _WHITE_SPACE

    spelled = {chr(c) for first, last in _WHITE_SPACE for c in range(first, last + 1)}
    assert spelled == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_names_are_trimmed_of_unicode_white_space() -> None:
    assert TypeAdapter(Name).validate_python("\u3000Zoë O'Brien\u00a0 ") == "Zoë O'Brien"
    assert TypeAdapter(FullName).validate_python("\u00a0Jane Doe\u3000") == "Jane Doe"
    assert TypeAdapter(FullName).validate_python("\u00a0 \u3000") == ""


def test_a_name_ending_in_a_line_break_is_refused_not_tidied() -> None:
    for name in ("Jane\n", "Jane\r\n", "\nJane"):
        with pytest.raises(ValidationError):
            TypeAdapter(Name).validate_python(name)


def test_the_openapi_pattern_refuses_blank_names_too() -> None:
    pattern = re.compile(LeadCreate.model_json_schema()["properties"]["first_name"]["pattern"])
    assert pattern.match(" Jane ") and pattern.match("\u00a0J")
    for blank in ("", *BLANKS):
        assert not pattern.match(blank), repr(blank)
