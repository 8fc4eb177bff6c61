"""CSRF tokens for the web forms: an HMAC of the visitor's random seed and their session.

The seed lives in its own HttpOnly cookie (set on the first page view, renewed at login and
logout); the token goes into every state-changing form. A cross-site page can make the browser
send the cookies but can neither read them nor compute the HMAC without the signing key, so a
forged POST carries no valid token. Binding the session too means a token issued before login
does not work after it.
"""

from __future__ import annotations

import secrets

from lead_manager.web.signatures import is_signature, signature

SEED_BYTES = 32


def new_seed() -> str:
    return secrets.token_urlsafe(SEED_BYTES)


def issue_token(signing_key: str, seed: str, session_token: str | None) -> str:
    return signature(signing_key, "lead-manager csrf", seed, session_token or "")


def is_valid(
    signing_key: str, seed: str | None, session_token: str | None, token: str | None
) -> bool:
    if not seed or not token:
        return False
    return is_signature(signing_key, "lead-manager csrf", token, seed, session_token or "")
