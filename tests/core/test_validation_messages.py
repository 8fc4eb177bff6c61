"""Validation errors worded for people: the same words on the pages and in the command line,
chosen by error type and its limits, with our own validators' messages kept as written."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from lead_manager.core.validation import Email, Name, Phone
from lead_manager.core.validation_messages import field_messages, one_line
from lead_manager.leads.schemas import LeadCreate
from lead_manager.users.schemas import UserCreate
from lead_manager.webhooks.schemas import WebhookCreate
from tests.processes import run


class Form(BaseModel):
    name: Name = "x"
    code: str = Field("abc", min_length=3, max_length=5)
    email: Email | None = None
    phone: Phone = ""
    kind: Literal["client", "adverse"] = "client"
    tags: list[str] = Field(default=["a"], min_length=1, max_length=2)
    count: int = Field(1, ge=1, le=10)


def messages(**values: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate(values)
    return field_messages(caught.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"code": "ab"}, {"code": "Use at least 3 characters."}),
        ({"code": "abcdef"}, {"code": "Use at most 5 characters."}),
        ({"code": ""}, {"code": "This field is required."}),
        ({"name": "x" * 101}, {"name": "Use at most 100 characters."}),
        ({"email": "not-an-address"}, {"email": "Enter a valid email address."}),
        ({"email": "jane@example"}, {"email": "Enter a valid email address."}),
        ({"phone": "call me"}, {"phone": "Use digits, spaces and + ( ) - . / only."}),
        ({"kind": "friend"}, {"kind": "Choose one of 'client' or 'adverse'."}),
        ({"tags": []}, {"tags": "Choose at least one."}),
        ({"tags": ["a", "b", "c"]}, {"tags": "Choose at most 2."}),
        ({"count": "many"}, {"count": "Enter a whole number."}),
        ({"count": 0}, {"count": "Use 1 or more."}),
        ({"count": 11}, {"count": "Use 10 or less."}),
    ],
)
def test_pydantic_errors_are_worded_for_people(
    values: dict[str, object], expected: dict[str, str]
) -> None:
    assert messages(**values) == expected


def test_a_one_character_minimum_means_required() -> None:
    class Note(BaseModel):
        body: str = Field(min_length=1)

    with pytest.raises(ValidationError) as caught:
        Note.model_validate({"body": ""})
    assert field_messages(caught.value) == {"body": "This field is required."}
    with pytest.raises(ValidationError) as caught:
        Note.model_validate({})
    assert field_messages(caught.value) == {"body": "This field is required."}


def test_our_own_validators_messages_are_kept() -> None:
    # "must not be blank" and "must not contain control characters" come from core/validation.
    assert messages(name="   ") == {"name": "Must not be blank"}
    assert messages(name="a\x00b") == {"name": "Must not contain control characters"}


def test_the_forms_schemas_speak_to_people() -> None:
    with pytest.raises(ValidationError) as caught:
        UserCreate.model_validate({"email": "x", "password": "short", "role": "root"})
    assert field_messages(caught.value) == {
        "email": "Enter a valid email address.",
        "password": "Use at least 12 characters.",
        "role": "Choose one of 'attorney' or 'admin'.",
    }
    with pytest.raises(ValidationError) as caught:
        LeadCreate.model_validate({"first_name": "", "last_name": "Doe", "email": "jane@example"})
    assert field_messages(caught.value) == {
        "first_name": "This field is required.",
        "email": "Enter a valid email address.",
    }
    with pytest.raises(ValidationError) as caught:
        WebhookCreate.model_validate({"url": "https://hooks.example/x", "events": []})
    assert field_messages(caught.value) == {"events": "Choose at least one."}


def test_no_pydantic_wording_leaks() -> None:
    with pytest.raises(ValidationError) as caught:
        UserCreate.model_validate({"email": "x", "password": "short"})
    line = one_line(caught.value)
    assert line == "email: Enter a valid email address. password: Use at least 12 characters."
    assert "should" not in line and "Value error" not in line


def test_the_command_line_says_the_same(tmp_path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    result = run(
        tmp_path,
        "create-user",
        "--email",
        "not-an-address",
        "--role",
        "attorney",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "lead-manager: invalid user: email: Enter a valid email address. "
        "password: Use at least 12 characters."
    )


def test_the_register_import_reports_rows_in_the_same_words() -> None:
    from lead_manager.conflicts.csv_import import parse

    result = parse(b"name,kind,email,matter\nBad,enemy,,\nZoe,client,not-an-email,\n")
    assert [(e.line, e.detail) for e in result.errors] == [
        (2, "kind: Choose one of 'client', 'former_client', 'adverse_party' or 'related_party'."),
        (3, "email: Enter a valid email address."),
    ]
