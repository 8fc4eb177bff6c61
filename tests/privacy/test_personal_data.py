"""The classification of a lead's columns, the address rule, and the keyed hash."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, String

from lead_manager.core.matching_keys import email_key
from lead_manager.leads.models import Lead
from lead_manager.privacy.personal_data import (
    LEAD_OTHER_COLUMNS,
    LEAD_PERSONAL_COLUMNS,
    email_hash,
)


def test_every_text_column_of_leads_is_declared_personal_or_not() -> None:
    """A feature that adds a text column to `leads` must say whether erasure clears it: add the
    name to LEAD_PERSONAL_COLUMNS or LEAD_OTHER_COLUMNS in privacy/personal_data.py."""
    text_columns = {
        column.name
        for column in Lead.__table__.columns
        if isinstance(column.type, String | JSON)  # Text, Enum… are Strings too
    }
    unclassified = text_columns - LEAD_PERSONAL_COLUMNS - LEAD_OTHER_COLUMNS
    assert unclassified == set(), f"classify these columns of leads: {sorted(unclassified)}"
    assert set() == LEAD_PERSONAL_COLUMNS & LEAD_OTHER_COLUMNS
    # No stale names: each listed column exists.
    assert text_columns >= (LEAD_PERSONAL_COLUMNS | LEAD_OTHER_COLUMNS)


@pytest.mark.parametrize(
    ("address", "normal"),
    [
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("Jane.Doe@Example.COM", "jane.doe@example.com"),
        ("jane.doe+law@example.com", "jane.doe@example.com"),
        ("JANE.DOE+a+b@example.com", "jane.doe@example.com"),
        ("  jane@example.com ", "jane@example.com"),
        # Only the tag goes: dots and the domain are kept.
        ("j.a.n.e@example.com", "j.a.n.e@example.com"),
        ("jane@mail.example.com", "jane@mail.example.com"),
    ],
)
def test_addresses_are_matched_ignoring_case_and_tag(address: str, normal: str) -> None:
    assert email_key(address) == normal


def test_the_hash_is_keyed_and_shared_by_every_spelling_of_an_address() -> None:
    key = "k" * 40
    digest = email_hash(key, "jane@example.com")
    assert digest == email_hash(key, "Jane+x@EXAMPLE.com")
    assert digest != email_hash(key, "john@example.com")
    assert digest != email_hash("another key" + "x" * 30, "jane@example.com")
    assert len(digest) == 64 and "jane" not in digest
