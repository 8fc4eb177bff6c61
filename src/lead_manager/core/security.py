"""Password hashing (pwdlib: argon2, bcrypt verified for imported hashes) and JWT access tokens."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar, cast

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
