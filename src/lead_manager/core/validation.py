"""Field types shared by the schemas of several domains."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

# Unicode categories Cc, Cf, Zl and Zp (control, format, line and paragraph separators): they
# break headers and logs, or hide text. Spelled out (Unicode 15) rather than computed at import;
# tests/core/test_validation.py checks it against unicodedata. Tab, LF and CR come first so the
# multi-line variant can leave them out.
_TAB_LF_CR = "\t\n\r"
_OTHER_CONTROLS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
CONTROL_CHARACTERS = re.compile(f"[{_TAB_LF_CR}{_OTHER_CONTROLS}]")
CONTROL_CHARACTERS_BUT_NEWLINES = re.compile(f"[{_OTHER_CONTROLS}]")

# The same rule as a JSON-schema `pattern`, so API clients and fuzzers see it.
_SINGLE_LINE = Field(json_schema_extra={"pattern": f"^[^{_TAB_LF_CR}{_OTHER_CONTROLS}]*$"})
_MULTI_LINE = Field(json_schema_extra={"pattern": f"^[^{_OTHER_CONTROLS}]*$"})


def _no_control_characters(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_control_characters_but_newlines(value: str) -> str:
    if CONTROL_CHARACTERS_BUT_NEWLINES.search(value):
        raise ValueError("must not contain control characters")
    return value


SingleLineText = Annotated[str, AfterValidator(_no_control_characters), _SINGLE_LINE]
Name = Annotated[
    str,
    AfterValidator(_no_control_characters),
    _SINGLE_LINE,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
]
FullName = Annotated[
    str,
    AfterValidator(_no_control_characters),
    _SINGLE_LINE,
    StringConstraints(strip_whitespace=True, max_length=200),
]
Email = Annotated[
    EmailStr, AfterValidator(_no_control_characters), StringConstraints(max_length=320)
]
Phone = Annotated[
    str,
    AfterValidator(_no_control_characters),
    StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()./ \-x]*$"),
]
MessageText = Annotated[
    str,
    AfterValidator(_no_control_characters_but_newlines),
    _MULTI_LINE,
    StringConstraints(max_length=5000),
]


def check_single_line(value: str) -> str:
    """For values that do not go through a schema (query parameters)."""
    return _no_control_characters(value)


# Why a lead's status changed (a DECLINED lead must have one): one line of plain text.
StatusReason = Annotated[
    str,
    AfterValidator(_no_control_characters),
    _SINGLE_LINE,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
]
