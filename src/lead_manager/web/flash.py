"""One-time notices after a form post ("Your changes have been saved."), carried by a signed
cookie from the redirect to the next page, which shows the notice and clears the cookie.

A notice in the URL would show again on every reload and travel in history and logs. The cookie
names a notice by key only: the text shown is always one of ours, never taken from the request,
and the signature means neither a visitor nor another site can make a page show a notice.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request
from fastapi.responses import RedirectResponse

from lead_manager.web.signatures import is_signature, signature

FLASH_COOKIE = "lm_flash"
# Long enough for the redirect to be followed; a notice left unread does not linger.
FLASH_MAX_AGE = 300
_PURPOSE = "lead-manager flash"


class Notice(StrEnum):
    """The notices pages can show; the cookie carries the member's name."""

    REACHED_OUT = "Marked as reached out."
    STATUS_CHANGED = "The status has been changed."
    NOTE_ADDED = "Your note has been added."
    REASSIGNED = "The lead has been reassigned; the new assignee has been emailed."
    SAVED = "Your changes have been saved."
    CREATED = "The account has been created."
    UPDATED = "The account has been updated."
    SIGNED_OUT = "You have been signed out."
    PASSWORD_CHANGED = "Your password has been changed; your other sessions have been signed out."  # noqa: S105 - a notice
    PASSWORD_RESET = "Your password has been set. Please sign in with it."  # noqa: S105 - a notice
    RESET_REQUESTED = (
        "If an active account uses this address, an email with a link to reset its password is "
        "on its way. The link works once, for one hour."
    )
    WEBHOOK_DELETED = "The webhook has been deleted."
    CONFLICT_DECIDED = "The decision on the conflict has been recorded."
    PARTY_ADDED = "The party has been added to the register."
    PARTY_DELETED = "The party has been removed from the register."


class NoticeRedirect(RedirectResponse):
    """A 303 redirect after which the next page shows `notice` once. The page route signs and
    sets the cookie (it holds the signing key and the cookie options)."""

    def __init__(self, url: str, notice: Notice) -> None:
        super().__init__(url, status_code=303)
        self.notice = notice


def cookie_value(signing_key: str, notice: Notice) -> str:
    return f"{notice.name}.{signature(signing_key, _PURPOSE, notice.name)}"


def read(signing_key: str, request: Request) -> Notice | None:
    """The notice the signed cookie names; None when there is none or it is not ours."""
    name, _, signed = request.cookies.get(FLASH_COOKIE, "")[:200].partition(".")
    if name not in Notice.__members__ or not is_signature(signing_key, _PURPOSE, signed, name):
        return None
    return Notice[name]
