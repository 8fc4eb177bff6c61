"""Webhook secrets (`whsec_…`, kept encrypted) and Standard Webhooks signatures."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


class SecretUnreadableError(Exception):
    """The stored secret cannot be decrypted: SECRET_KEY changed since it was created."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    """Encrypts secrets at rest (Fernet: AES-CBC and HMAC) under a key derived from SECRET_KEY
    with HKDF, so the signing key of tokens is never used for this directly."""

    def __init__(self, signing_key: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"lead-manager webhook secrets v1",
        ).derive(signing_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadableError(
                "the endpoint's secret cannot be decrypted (SECRET_KEY changed?): "
                "delete the endpoint and register it again"
            ) from None


def signature_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` sent at `at`."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }
