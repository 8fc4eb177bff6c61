"""Password hashing (pwdlib: argon2, bcrypt verified for imported hashes) and JWT access tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

T = TypeVar("T")

JWT_ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 12

# Argon2 first: new hashes use it; bcrypt hashes (imported from another system) still verify.
password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))

# Verified when the email is unknown, so that a miss costs as much time as a wrong password.
DUMMY_PASSWORD_HASH = password_hash.hash("lead-manager timing equaliser")

# How long a login refused for a full hashing queue is told to wait (seconds).
HASHING_RETRY_AFTER_SECONDS = 2


def hash_password(password: str) -> str:
    """Argon2 on the calling thread (scripts, tests, an admin creating a user); logins use
    PasswordHashing."""
    return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-work check: an unknown user (hashed=None) still costs one argon2 verification."""
    if hashed is None:
        password_hash.verify(password, DUMMY_PASSWORD_HASH)
        return False
    try:
        return password_hash.verify(password, hashed)
    except Exception:  # an unparseable stored hash is a failed login, not a 500
        return False


# Niceness of the hashing threads (Linux): a login waits a little longer, a list does not.
HASHING_THREAD_NICENESS = 10


def _lower_thread_priority() -> None:
    # On Linux every thread has its own priority: this lowers the calling worker's only.
    # Not Linux, or not allowed: the worker runs at normal priority.
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_THREAD_NICENESS)


class HashingBusyError(Exception):
    """Every hashing worker is busy and the queue is full: try again shortly (503)."""

    retry_after = HASHING_RETRY_AFTER_SECONDS


class HashingTurn:
    """A reserved place in the hashing queue, used for at most one piece of work."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor
        self.future: Future[object] | None = None

    async def run(self, work: Callable[[], T]) -> T:
        future: Future[T] = self._executor.submit(work)
        self.future = cast("Future[object]", future)
        # The request waits as a future, not as a thread: a flood of logins holds no thread of
        # the server's pool. If the request is cancelled before its turn, the work is dropped.
        return await asyncio.wrap_future(future)

    async def verify(self, password: str, hashed: str | None) -> bool:
        return await self.run(partial(verify_password, password, hashed))


class PasswordHashing:
    """Argon2 work on threads of its own, at a lower CPU priority, with a bounded queue.

    Argon2 is expensive on purpose (64 MiB, a quarter of a second of CPU). Run in the server's
    shared threadpool, a burst of logins took every thread, each waiting for its turn, and lists
    and pages queued behind them. Here at most `workers` hashes run at once, at most
    `queue_limit` more wait (as futures, holding no thread), and beyond that a login is refused
    at once (HashingBusyError) instead of piling up. The workers run niced, so that on a busy
    machine the other requests get the CPU first. Made once per app (AppServices) and shut down
    with it.
    """

    def __init__(self, workers: int, queue_limit: int) -> None:
        self._executor = ThreadPoolExecutor(
            workers, thread_name_prefix="password-hashing", initializer=_lower_thread_priority
        )
        self._places = threading.BoundedSemaphore(workers + queue_limit)

    @classmethod
    def for_this_machine(cls) -> PasswordHashing:
        """One worker per two cores; 64 waiting per worker: the morning's logins of a whole
        office queue (each waits for at most that many hashes); a flood beyond is refused."""
        workers = max(1, (os.cpu_count() or 1) // 2)
        return cls(workers, queue_limit=64 * workers)

    @contextmanager
    def turn(self) -> Iterator[HashingTurn]:
        """A place in the queue, or HashingBusyError at once; given back when the work is done."""
        if not self._places.acquire(blocking=False):
            raise HashingBusyError
        turn = HashingTurn(self._executor)
        try:
            yield turn
        finally:
            if turn.future is None:
                self._places.release()
            else:
                # Still running if the request was cancelled: the place is held until it ends.
                turn.future.add_done_callback(lambda _done: self._places.release())

    async def verify(self, password: str, hashed: str | None) -> bool:
        with self.turn() as turn:
            return await turn.verify(password, hashed)

    async def hash(self, password: str) -> str:
        with self.turn() as turn:
            return await turn.run(partial(hash_password, password))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid access token says: whose it is, its id (to revoke it), the user's session
    version when it was issued (a password change or reset moves the version on), its expiry."""

    user_id: uuid.UUID
    jti: str
    session_version: int
    expires_at: datetime


class InvalidTokenError(Exception):
    pass


_ACCESS = "access"
_PASSWORD_RESET = "password_reset"  # noqa: S105 - a token type, not a secret


def create_access_token(
    user_id: uuid.UUID, key: str, lifetime: timedelta, *, session_version: int = 0
) -> AccessToken:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + lifetime,
        "typ": _ACCESS,
        # A random id: logging out revokes this one token (`revoked_tokens`).
        "jti": uuid.uuid4().hex,
        "ver": session_version,
    }
    token = jwt.encode(claims, key, algorithm=JWT_ALGORITHM)
    return AccessToken(token=token, expires_in=int(lifetime.total_seconds()))


def _decode(token: str, key: str, kind: str, required: list[str]) -> dict[str, Any]:
    """The claims of a valid token of `kind`. The algorithm is pinned: `alg: none` or RS/HS
    confusion fail."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[JWT_ALGORITHM], options={"require": required}
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    if claims.get("typ") != kind:
        raise InvalidTokenError(f"not a {kind} token")
    return claims


def _claims(claims: dict[str, Any]) -> TokenClaims:
    try:
        version = claims["ver"]
        # bool is an int to Python; a JSON `true` is not a version.
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidTokenError("malformed session version")
        return TokenClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            jti=_short_text(claims["jti"]),
            session_version=version,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidTokenError(str(exc)) from exc


def _short_text(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise InvalidTokenError("malformed token id")
    return value


def decode_access_token(token: str, key: str) -> TokenClaims:
    """The claims of a valid access token. Tokens issued before sessions could end (no `jti`
    or `ver`) are refused: they could not be revoked."""
    return _claims(_decode(token, key, _ACCESS, ["exp", "iat", "sub", "jti", "ver"]))


# Password reset links carry a signed token instead of a random one kept in the database: the
# outbox row then holds only the user's id, version and expiry (no secret waits in the outbox or
# its backups), and the dispatcher signs the link when it renders the email. The token names the
# user's session version; setting the password moves the version on, so a token works once, and
# a password change (or another reset) in between voids it. Signed with a key of its own
# (derived from SECRET_KEY), so a reset token can never pass for an access token or the reverse.
def _reset_key(key: str) -> str:
    return hmac.new(key.encode(), b"lead-manager password reset", hashlib.sha256).hexdigest()


def create_password_reset_token(
    user_id: uuid.UUID, session_version: int, expires_at: datetime, key: str
) -> str:
    claims = {
        "sub": str(user_id),
        "exp": expires_at,
        "typ": _PASSWORD_RESET,
        "ver": session_version,
    }
    return jwt.encode(claims, _reset_key(key), algorithm=JWT_ALGORITHM)


def decode_password_reset_token(token: str, key: str) -> tuple[uuid.UUID, int]:
    """The user id and session version a valid, unexpired reset token names."""
    claims = _decode(token, _reset_key(key), _PASSWORD_RESET, ["exp", "sub", "ver"])
    version = claims["ver"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidTokenError("malformed session version")
    try:
        return uuid.UUID(str(claims["sub"])), version
    except (ValueError, TypeError) as exc:
        raise InvalidTokenError(str(exc)) from exc
