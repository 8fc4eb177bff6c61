"""Field types shared by the schemas of several domains."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, EmailStr, StringConstraints


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _no_control_characters_but_newlines(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\r\n\t" for ch in value):
        raise ValueError("must not contain control characters")
    return value


SingleLineText = Annotated[str, AfterValidator(_no_control_characters)]
Name = Annotated[
    str,
    AfterValidator(_no_control_characters),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
]
FullName = Annotated[
    str,
    AfterValidator(_no_control_characters),
    StringConstraints(strip_whitespace=True, max_length=200),
]
Email = Annotated[EmailStr, AfterValidator(_no_control_characters), StringConstraints(max_length=320)]
Phone = Annotated[
    str,
    AfterValidator(_no_control_characters),
    StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()./ \-x]*$"),
]
MessageText = Annotated[
    str, AfterValidator(_no_control_characters_but_newlines), StringConstraints(max_length=5000)
]


def check_single_line(value: str) -> str:
    """For values that do not go through a schema (query parameters)."""
    return _no_control_characters(value)
