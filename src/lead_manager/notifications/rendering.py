"""Outbox message → email: Jinja2 templates (text and HTML), headers that cannot be injected."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import formatdate
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lead_manager.core.security import create_password_reset_token
from lead_manager.leads.models import Lead
from lead_manager.outbox.models import MessageKind
from lead_manager.users.models import User

TEMPLATES = Path(__file__).resolve().parent / "templates"

_SUBJECTS = {
    MessageKind.LEAD_ACKNOWLEDGEMENT: "We have received your enquiry — {firm}",
    MessageKind.ATTORNEY_NOTIFICATION: "New lead: {first} {last}",
    MessageKind.UNASSIGNED_LEAD_ALERT: "Unassigned lead: {first} {last} (no attorney available)",
    MessageKind.LEAD_ASSIGNED: "Lead assigned to you: {first} {last}",
    # "Escalated" in the subject: the new assignee sees at once that this one is already late.
    MessageKind.ESCALATED_LEAD: "Escalated lead assigned to you: {first} {last}",
    MessageKind.LEAD_REASSIGNED: "Lead reassigned: {first} {last} was escalated",
    MessageKind.ESCALATION_ALERT: "Escalated lead: {first} {last} has had no first response",
    MessageKind.DAILY_DIGEST: "Your pending leads on {date}: {count}",
    MessageKind.PASSWORD_RESET: "Reset your password — {firm}",
}


# The acknowledgement repeats no submitted text but a plausible first name (the public form must
# not carry a stranger's message to any address): nothing longer than this, and nothing that
# looks like a link or an address (a scheme, `www.`, an `@`, a dot before letters: "bit.ly").
MAX_GREETING_NAME = 40
_LINK_LIKE = re.compile(r"://|www\.|[@\uff20]|[.\u3002\uff0e\uff61][^\W\d_]{2}", re.IGNORECASE)


def greeting_name(first_name: str) -> str | None:
    """The first name for "Dear …", or None for a neutral greeting."""
    name = first_name.strip()
    if not name or len(name) > MAX_GREETING_NAME or _LINK_LIKE.search(name):
        return None
    return name


@dataclass(frozen=True, slots=True)
class MailContext:
    firm_name: str
    sender: str
    public_base_url: str
    firm_phone: str | None = None
    firm_address: str | None = None
    # FIRM_TIMEZONE: the times emails show.
    zone: tzinfo = UTC
    # Signs password reset links (SECRET_KEY); empty where no such email is rendered.
    signing_key: str = field(default="", repr=False)

    def local_time(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return value.astimezone(self.zone).strftime("%a %-d %b %Y, %H:%M %Z")

    def lead_url(self, lead_id: uuid.UUID) -> str:
        return f"{self.public_base_url.rstrip('/')}/leads/{lead_id}"

    def password_reset_url(self, user: User, session_version: int, expires_at: datetime) -> str:
        """The single-use link, signed now (see `create_password_reset_token` for why)."""
        if not self.signing_key:
            raise ValueError("no key to sign a password reset link with")
        token = create_password_reset_token(user.id, session_version, expires_at, self.signing_key)
        return f"{self.public_base_url.rstrip('/')}/reset-password?token={token}"


def resume_line(lead: Lead) -> str:
    """The resume as the staff emails about a new lead name it (one wording for all of them)."""
    return f"{lead.resume_filename} ({lead.resume_size} bytes)"


def create_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )


def message_id(outbox_id: uuid.UUID, sender: str) -> str:
    """Stable per outbox row: a re-send after a crash carries the same id (receivers dedupe)."""
    domain = sender.rpartition("@")[2] or "lead-manager.invalid"
    return f"<{outbox_id}@{domain}>"


def recipient_address(addr_spec: str) -> Address:
    """One addr-spec as an Address; a ValueError for anything else (a list, CR/LF...).

    The standard library's parser refuses a non-ASCII local part (`jöhn@example.com`), which
    the intake accepts (RFC 6531): such an address is checked again here, as at the intake,
    and built from its parts.
    """
    try:
        return Address(addr_spec=addr_spec)
    except NonASCIILocalPartDefect:
        try:
            valid = validate_email(addr_spec, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(str(exc)) from exc
        return Address(username=valid.local_part, domain=valid.domain)


def render(
    env: Environment,
    kind: MessageKind,
    outbox_id: uuid.UUID,
    lead: Lead | None,
    recipient: User | None,
    context: MailContext,
    extra: Mapping[str, Any] | None = None,
) -> EmailMessage:
    """Build the email; a ValueError when any field would break out of its header.

    Addresses go in as `Address` objects (one addr-spec each, so a comma cannot add recipients),
    and the SMTP policy refuses CR/LF in every header value. `extra`: what a kind's template
    needs beyond the lead and the recipient (the digest's leads, an escalation's step...).
    """
    if kind is MessageKind.LEAD_ACKNOWLEDGEMENT and lead is not None:
        to = recipient_address(lead.email)
    elif recipient is not None:
        to = recipient_address(recipient.email)
    else:
        raise ValueError(f"{kind.value} needs a recipient")
    values: dict[str, Any] = {
        # Returning prospects and conflicts (the staff emails); the acknowledgement's greeting.
        "greeting_name": greeting_name(lead.first_name) if lead is not None else None,
        "earlier_lead_url": (
            context.lead_url(lead.duplicate_of)
            if lead is not None and lead.duplicate_of is not None
            else None
        ),
        "conflict_hits": 0,
        "lead": lead,
        "resume": resume_line(lead) if lead is not None else None,
        "recipient": recipient,
        "firm_name": context.firm_name,
        "firm_phone": context.firm_phone,
        "firm_address": context.firm_address,
        "lead_url": context.lead_url(lead.id) if lead is not None else None,
        "url_of": context.lead_url,
        "local_time": context.local_time,
        **(extra or {}),
    }
    if kind is MessageKind.PASSWORD_RESET and recipient is not None:
        expires_at = datetime.fromtimestamp(int(values["expires_at"]), UTC)
        values["reset_url"] = context.password_reset_url(
            recipient, int(values["session_version"]), expires_at
        )
        values["expires_at"] = context.local_time(expires_at)
    # An internationalised address needs UTF-8 headers (RFC 6531); smtplib then sends with
    # SMTPUTF8, or refuses at once when the server does not offer it. Others keep RFC 2047.
    message = EmailMessage(policy=SMTP if to.addr_spec.isascii() else SMTPUTF8)
    message["From"] = Address(display_name=context.firm_name, addr_spec=context.sender)
    message["To"] = to
    message["Subject"] = _SUBJECTS[kind].format(
        firm=context.firm_name,
        first=lead.first_name if lead is not None else "",
        last=lead.last_name if lead is not None else "",
        date=values.get("date", ""),
        count=values.get("total", ""),
    )
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(outbox_id, context.sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(env.get_template(f"{kind.value}.txt").render(values))
    message.add_alternative(env.get_template(f"{kind.value}.html").render(values), subtype="html")
    return message
