"""Field types shared by the schemas of several domains."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

# Unicode categories Cc, Cf, Zl and Zp (control, format, line and paragraph separators): they
# break headers and logs, or hide text. Spelled out (Unicode 15) as (first, last) code points
# rather than computed at import; tests/core/test_validation.py checks them against unicodedata.
_TAB_LF_CR = ((0x09, 0x0A), (0x0D, 0x0D))
# fmt: off
_OTHER_CONTROLS = (
    (0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x0600, 0x0605),
    (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2),
    (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
# fmt: on
_BMP_END = 0xFFFF


def _escape(code_point: int) -> str:
    return f"\\u{code_point:04x}" if code_point <= _BMP_END else f"\\U{code_point:08x}"


def _escaped_class(ranges: tuple[tuple[int, int], ...], *, bmp_only: bool = False) -> str:
    """The inside of a character class, in escapes: no raw control character in any pattern."""
    return "".join(
        _escape(first) if first == last else f"{_escape(first)}-{_escape(last)}"
        for first, last in ranges
        if not (bmp_only and first > _BMP_END)
    )


CONTROL_CHARACTERS = re.compile(f"[{_escaped_class(_TAB_LF_CR + _OTHER_CONTROLS)}]")
CONTROL_CHARACTERS_BUT_NEWLINES = re.compile(f"[{_escaped_class(_OTHER_CONTROLS)}]")

# The same rule in the JSON schema, for API clients and fuzzers. A schema `pattern` is an
# ECMA-262 regex: written with \uXXXX escapes of the Basic Multilingual Plane only, it means the
# same with and without the `u` flag and in Python's `re` (characters beyond the BMP, where
# `new RegExp(p)` would see two surrogates, are left to the server and the description).
_SINGLE_LINE = Field(
    description="No control, format or line-separator characters (Unicode Cc, Cf, Zl, Zp), "
    "tab and line breaks included.",
    json_schema_extra={
        "pattern": f"^[^{_escaped_class(_TAB_LF_CR + _OTHER_CONTROLS, bmp_only=True)}]*$"
    },
)
# Unicode white space as str.isspace() and str.strip() see it (Zs, and the tab, line and
# separator controls); tests/core/test_validation.py checks it against str.isspace().
# fmt: off
_WHITE_SPACE = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)
# fmt: on
# A single line with at least one character that is not white space.
_NOT_BLANK_SINGLE_LINE = Field(
    description="At least one character that is not white space; no control, format or "
    "line-separator characters (Unicode Cc, Cf, Zl, Zp). Trimmed of white space.",
    json_schema_extra={
        "pattern": (
            f"^[^{_escaped_class(_TAB_LF_CR + _OTHER_CONTROLS, bmp_only=True)}]*"
            f"[^{_escaped_class(_WHITE_SPACE + _OTHER_CONTROLS, bmp_only=True)}]"
            f"[^{_escaped_class(_TAB_LF_CR + _OTHER_CONTROLS, bmp_only=True)}]*$"
        )
    },
)
_MULTI_LINE = Field(
    description="Line breaks and tabs allowed; no other control, format or separator "
    "characters (Unicode Cc, Cf, Zl, Zp).",
    json_schema_extra={"pattern": f"^[^{_escaped_class(_OTHER_CONTROLS, bmp_only=True)}]*$"},
)


def _no_control_characters(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _trimmed(value: str) -> str:
    # str.strip() removes every Unicode white space (U+00A0, U+3000, U+2003...), where
    # pydantic's strip_whitespace checks the length first and trims only after.
    return value.strip()


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


def _no_control_characters_but_newlines(value: str) -> str:
    if CONTROL_CHARACTERS_BUT_NEWLINES.search(value):
        raise ValueError("must not contain control characters")
    return value


SingleLineText = Annotated[str, AfterValidator(_no_control_characters), _SINGLE_LINE]
# Control characters are refused before trimming: a name ending in a line break is an attack
# on a header or a log line, not a typo to tidy.
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    AfterValidator(_no_control_characters),
    AfterValidator(_trimmed),
    AfterValidator(_not_blank),
    _NOT_BLANK_SINGLE_LINE,
]
# A person's display name: may be empty, trimmed of white space all the same.
FullName = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_no_control_characters),
    AfterValidator(_trimmed),
    _SINGLE_LINE,
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
    StringConstraints(min_length=1, max_length=500),
    AfterValidator(_no_control_characters),
    AfterValidator(_trimmed),
    AfterValidator(_not_blank),
    _NOT_BLANK_SINGLE_LINE,
]


MAX_OPPOSING_PARTIES = 20
MAX_PARTY_NAME_LENGTH = 200


def split_opposing_parties(text: str) -> list[str]:
    """Names separated by newlines or `;`, trimmed, blank entries skipped."""
    return [part.strip() for part in re.split(r"[;\r\n]", text) if part.strip()]


def _opposing_parties(value: str) -> str:
    if "\t" in value or CONTROL_CHARACTERS_BUT_NEWLINES.search(value):
        raise ValueError("must not contain control characters")
    names = split_opposing_parties(value)
    if len(names) > MAX_OPPOSING_PARTIES:
        raise ValueError(f"at most {MAX_OPPOSING_PARTIES} names")
    if any(len(name) > MAX_PARTY_NAME_LENGTH for name in names):
        raise ValueError(f"each name must be at most {MAX_PARTY_NAME_LENGTH} characters")
    # Stored and shown one name a line.
    return "\n".join(names)


# The other side of a prospect's matter: names one a line or separated by `;`.
OpposingParties = Annotated[
    str,
    StringConstraints(max_length=10_000),
    AfterValidator(_opposing_parties),
    _MULTI_LINE,
]
