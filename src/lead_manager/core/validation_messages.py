"""Validation errors worded for people, the same on the pages and in the command line.

Pydantic's own messages ("String should have at least 12 characters") are for developers and
stay in the API's 422 details; people see "Use at least 12 characters." The wording is chosen
by the error's type and its `ctx` (the limit that was broken), never by matching its text.
Messages raised by our own validators (`ValueError("must not be blank")`) are already written
for people and are kept, with a capital first letter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

REQUIRED = "This field is required."
INVALID_EMAIL = "Enter a valid email address."


def _count(word: str, limit: int, noun: str) -> str:
    return f"{word} {limit} {noun}{'' if limit == 1 else 's'}."


def _choices(ctx: Mapping[str, Any]) -> str:
    return (
        f"Choose one of {ctx['expected']}." if "expected" in ctx else "Choose one of the options."
    )


# By error type: the message from the error's context (`ctx`, possibly empty).
_BY_TYPE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: REQUIRED,
    "string_too_short": lambda ctx: (
        REQUIRED
        if ctx["min_length"] == 1
        else _count("Use at least", ctx["min_length"], "character")
    ),
    "string_too_long": lambda ctx: _count("Use at most", ctx["max_length"], "character"),
    "too_short": lambda ctx: (
        "Choose at least one."
        if ctx["min_length"] == 1
        else f"Choose at least {ctx['min_length']}."
    ),
    "too_long": lambda ctx: f"Choose at most {ctx['max_length']}.",
    "string_pattern_mismatch": lambda ctx: "Use only the characters this field allows.",
    "enum": _choices,
    "literal_error": _choices,
    "bool_type": lambda ctx: "Choose yes or no.",
    "bool_parsing": lambda ctx: "Choose yes or no.",
    "uuid_parsing": lambda ctx: "Choose one from the list.",
    "uuid_type": lambda ctx: "Choose one from the list.",
    "int_parsing": lambda ctx: "Enter a whole number.",
    "int_type": lambda ctx: "Enter a whole number.",
    "greater_than_equal": lambda ctx: f"Use {ctx['ge']} or more.",
    "less_than_equal": lambda ctx: f"Use {ctx['le']} or less.",
    "date_parsing": lambda ctx: "Enter a date as YYYY-MM-DD.",
    "date_from_datetime_parsing": lambda ctx: "Enter a date as YYYY-MM-DD.",
    "url_parsing": lambda ctx: "Enter a full web address, such as https://example.com/hook.",
    "url_scheme": lambda ctx: "Enter a full web address, such as https://example.com/hook.",
    "string_type": lambda ctx: "Enter text.",
}
# Per field where the generic wording would not tell people what to type.
_BY_FIELD_AND_TYPE = {
    ("phone", "string_pattern_mismatch"): "Use digits, spaces and + ( ) - . / only.",
}
# email-validator's errors come as `value_error` with this message template.
_EMAIL_ERROR_PREFIX = "value is not a valid email address"


def field_name(error: ErrorDetails) -> str:
    """The form field an error belongs to ("form" for the model as a whole)."""
    return str(error["loc"][0]) if error["loc"] else "form"


def message_for(error: ErrorDetails) -> str:
    """One error, worded for the person who filled in the field."""
    kind = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing" or error.get("input") == "":
        return REQUIRED
    if (field_name(error), kind) in _BY_FIELD_AND_TYPE:
        return _BY_FIELD_AND_TYPE[(field_name(error), kind)]
    if kind in _BY_TYPE:
        return _BY_TYPE[kind](ctx)
    if kind == "value_error" and error["msg"].startswith(_EMAIL_ERROR_PREFIX):
        return INVALID_EMAIL
    # Our own validators' messages ("Value error, must not be blank"), already for people.
    message = error["msg"].removeprefix("Value error, ")
    return message[:1].upper() + message[1:]


def field_messages(exc: ValidationError) -> dict[str, str]:
    """The first message for each field, keyed by field name (what a form shows by its input)."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        messages.setdefault(field_name(error), message_for(error))
    return messages


def one_line(exc: ValidationError) -> str:
    """All fields' messages on one line, each after its field: for the command line."""
    return " ".join(f"{field}: {message}" for field, message in field_messages(exc).items())
