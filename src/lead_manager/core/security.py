"""Password hashing (pwdlib: argon2, bcrypt verified for imported hashes) and JWT access tokens."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

JWT_ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 12

# Argon2 first: new hashes use it; bcrypt hashes (imported from another system) still verify.
password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))

# Argon2 is expensive on purpose (64 MiB, four lanes on their own threads). Unbounded, a burst of
# logins runs all of them at once and starves every other request of CPU; with a bound the
# logins queue for a slot and list requests keep their latency. One slot per two cores.
_HASHING_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 1) // 2))

# Verified when the email is unknown, so that a miss costs as much time as a wrong password.
DUMMY_PASSWORD_HASH = password_hash.hash("lead-manager timing equaliser")


def hash_password(password: str) -> str:
    with _HASHING_SLOTS:
        return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-work check: an unknown user (hashed=None) still costs one argon2 verification."""
    with _HASHING_SLOTS:
        if hashed is None:
            password_hash.verify(password, DUMMY_PASSWORD_HASH)
            return False
        try:
            return password_hash.verify(password, hashed)
        except Exception:  # an unparseable stored hash is a failed login, not a 500
            return False


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


class InvalidTokenError(Exception):
    pass


def create_access_token(user_id: uuid.UUID, key: str, lifetime: timedelta) -> AccessToken:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + lifetime, "typ": "access"}
    token = jwt.encode(claims, key, algorithm=JWT_ALGORITHM)
    return AccessToken(token=token, expires_in=int(lifetime.total_seconds()))


def decode_access_token(token: str, key: str) -> uuid.UUID:
    """The user id of a valid token. The algorithm is pinned: `alg: none` or RS/HS confusion fail."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        if claims.get("typ") != "access":
            raise InvalidTokenError("not an access token")
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidTokenError(str(exc)) from exc
