"""What counts as a person's data, in one place: the lead columns erasure clears, the free text
kept beside a lead, and how a person's address is matched and remembered.

Every text column of `leads` must be listed here as personal or not (a test fails otherwise), so a
feature that adds a column decides what erasure does with it.
"""

from __future__ import annotations

import hashlib
import hmac

from lead_manager.core.matching_keys import email_key

# Cleared when a lead is erased: to None where the column allows it, else to "".
LEAD_PERSONAL_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "phone",
        "message",
        # Often the person's name ("Jane Doe CV.pdf").
        "resume_filename",
        # The submission's request id leads to its log lines (client address, masked email).
        "request_id",
        # Campaign parameters of the link the person followed (the lead's source is kept).
        "utm_source",
        "utm_medium",
        "utm_campaign",
        # Returning prospects and conflicts: the contact keys, the other side's names, and the
        # note on a conflict decision (it may name people).
        "email_key",
        "phone_key",
        "opposing_parties",
        "conflict_note",
    }
)
# Kept on the anonymous row: statistics, or meaningless without the person.
LEAD_OTHER_COLUMNS = frozenset(
    {
        "status",
        # Random; cleared anyway once the file is deleted (an erased lead references no file).
        "resume_key",
        "resume_content_type",
        "privacy_notice_version",
        "privacy_channel",
        # Why it went to its first assignee (round_robin, none_available…).
        "assignment_reason",
        # Where leads come from, for statistics: a channel name, a web site's host name (erasure
        # first copies a source given only as utm_source into `source`).
        "source",
        "referrer_host",
        "conflict_status",
    }
)
# Free text staff wrote about the lead, in its history and in audit rows about it: it may name
# the person, so it goes too (the entries themselves stay, for statistics and accountability).
AUDIT_FREE_TEXT = {
    "lead.status_changed": ("reason",),
    "lead.conflict_resolved": ("note",),
}


# Domain separation: the secret key also signs tokens; this hash must not be usable as either.
_HASH_CONTEXT = b"lead-manager erasure v1\x00"


def email_hash(secret_key: str, address: str) -> str:
    """A keyed hash (HMAC-SHA256 with SECRET_KEY) of the address as duplicates match it (`email_key`): what the audit trail
    keeps of an erased person, so a later request can be shown to have been honoured, while the
    address cannot be read back (nor guessed from a list without the key)."""
    message = _HASH_CONTEXT + email_key(address).encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
