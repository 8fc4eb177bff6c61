"""Keyed signatures (HMAC-SHA256 with the app's signing key) of values the pages hand to the
browser and must recognise when they come back: CSRF tokens, flash notices."""

from __future__ import annotations

import hashlib
import hmac


def signature(signing_key: str, purpose: str, *parts: str) -> str:
    """The purpose goes first, so a signature made for one use is never valid for another."""
    message = b"\x00".join((purpose.encode(), *(part.encode() for part in parts)))
    return hmac.new(signing_key.encode(), message, hashlib.sha256).hexdigest()


def is_signature(signing_key: str, purpose: str, value: str, *parts: str) -> bool:
    return hmac.compare_digest(signature(signing_key, purpose, *parts), value)
