"""Outbox message → email: Jinja2 templates (text and HTML), headers that cannot be injected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lead_manager.leads.models import Lead
from lead_manager.outbox.models import MessageKind
from lead_manager.users.models import User

TEMPLATES = Path(__file__).resolve().parent / "templates"

_SUBJECTS = {
    MessageKind.LEAD_ACKNOWLEDGEMENT: "We have received your enquiry — {firm}",
    MessageKind.ATTORNEY_NOTIFICATION: "New lead: {first} {last}",
    MessageKind.UNASSIGNED_LEAD_ALERT: "Unassigned lead: {first} {last} (no attorney available)",
}


@dataclass(frozen=True, slots=True)
class MailContext:
    firm_name: str
    sender: str
    public_base_url: str
    firm_phone: str | None = None
    firm_address: str | None = None


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


def render(
    env: Environment,
    kind: MessageKind,
    outbox_id: uuid.UUID,
    lead: Lead,
    recipient: User | None,
    context: MailContext,
) -> EmailMessage:
    """Build the email; a ValueError when any field would break out of its header.

    Addresses go in as `Address` objects (one addr-spec each, so a comma cannot add recipients),
    and the SMTP policy refuses CR/LF in every header value.
    """
    if kind is MessageKind.LEAD_ACKNOWLEDGEMENT:
        to = Address(addr_spec=lead.email)
    elif recipient is not None:
        to = Address(addr_spec=recipient.email)
    else:
        raise ValueError(f"{kind.value} needs a recipient")
    values = {
        "lead": lead,
        "recipient": recipient,
        "firm_name": context.firm_name,
        "firm_phone": context.firm_phone,
        "firm_address": context.firm_address,
        "lead_url": f"{context.public_base_url.rstrip('/')}/leads/{lead.id}",
    }
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=context.firm_name, addr_spec=context.sender)
    message["To"] = to
    message["Subject"] = _SUBJECTS[kind].format(
        firm=context.firm_name, first=lead.first_name, last=lead.last_name
    )
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(outbox_id, context.sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(env.get_template(f"{kind.value}.txt").render(values))
    message.add_alternative(env.get_template(f"{kind.value}.html").render(values), subtype="html")
    return message
