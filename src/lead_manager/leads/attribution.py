"""Where a lead came from: source and UTM fields as submitted, and the referring host the web
form saw. Statistics only: none of it is trusted for anything else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lead_manager.core.validation import CONTROL_CHARACTERS

if TYPE_CHECKING:
    from lead_manager.leads.models import Lead
    from lead_manager.leads.schemas import LeadCreate

MAX_LENGTH = 100
# The UTM parameters the form carries from its own URL into the submission.
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
ATTRIBUTION_FIELDS = ("source", *UTM_FIELDS)
REFERRER_FIELD = "referrer_host"
DIRECT = "direct"

# A DNS name as browsers send it in Referer (letters, digits, hyphens; IDNs as punycode), or an
# IPv4 address; at most 253 characters, labels of at most 63.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def clean_host(value: str | None) -> str | None:
    """A valid host name in lower case, or None: a hidden field anyone can change is not
    worth refusing a submission over, so what is not a host name is simply dropped."""
    if not value:
        return None
    host = value.strip().lower().rstrip(".")
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        return None
    return host


def referrer_host(referer: str | None, own_host: str | None) -> str | None:
    """The host of the page that linked to the form, unless it is the form's own site."""
    if not referer or len(referer) > 2000:
        return None
    try:
        parts = urlsplit(referer)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"}:
        return None
    host = clean_host(host)
    own = (own_host or "").split(":", 1)[0].lower()
    return None if host is None or host == own else host


def clean_text(value: object) -> str | None:
    """A query-string value fit for a hidden field: one line, at most MAX_LENGTH; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_LENGTH or CONTROL_CHARACTERS.search(text):
        return None
    return text


def from_query(params: Mapping[str, str]) -> dict[str, str]:
    """The attribution fields a link to the form carries (`/?utm_source=…`), valid ones only."""
    values = {name: clean_text(params.get(name)) for name in ATTRIBUTION_FIELDS}
    return {name: value for name, value in values.items() if value is not None}


def form_values(
    params: Mapping[str, Any], referer: str | None, own_host: str | None
) -> dict[str, str]:
    """The form's hidden attribution fields when it is shown: the UTM parameters (and
    `source`) of its own URL, and the host of the page that linked to it."""
    values = from_query(params)
    host = referrer_host(referer, own_host)
    if host:
        values[REFERRER_FIELD] = host
    return values


def posted_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The hidden attribution fields as posted back, those still valid only: a visitor cannot
    see or correct them, so a changed one is dropped rather than refused."""
    values = from_query(form)
    host = clean_host(
        form.get(REFERRER_FIELD) if isinstance(form.get(REFERRER_FIELD), str) else None
    )
    if host:
        values[REFERRER_FIELD] = host
    return values


def columns(data: LeadCreate | Lead) -> dict[str, Any]:
    """The attribution columns of a validated submission, or of a stored lead."""
    return {
        "source": data.source,
        "utm_source": data.utm_source,
        "utm_medium": data.utm_medium,
        "utm_campaign": data.utm_campaign,
        "referrer_host": data.referrer_host,
    }


def source_of(source: str | None, utm_source: str | None, referrer: str | None) -> str:
    """The contract's rule (the statistics compute the same in SQL): `source`, else
    `utm_source`, else the referring host, else "direct"."""
    return source or utm_source or referrer or DIRECT
