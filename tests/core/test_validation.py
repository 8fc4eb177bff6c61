from __future__ import annotations

import re
import unicodedata

from lead_manager.core.validation import CONTROL_CHARACTERS, CONTROL_CHARACTERS_BUT_NEWLINES
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
