"""The side-by-side cases of `make bench`, in one registry.

Each case sends the same prebuilt request(s) to the raw reference (bench/raw_app.py), the stack
floor (bench/stack_floor_app.py) and lead-manager, in interleaved rounds, on one database
backend, and is judged by its target: a ratio lead-manager / floor (throughput), or lead-
manager's median latency.

Feature issues add their cases here (see "Cases other features add" at the end): a case is a
name, a backend, its requests and a target; `servers` names the apps that serve its endpoint
(lead-manager alone when the reference apps have no such endpoint), and `prepare` seeds what
it needs (e.g. 100k parties) before its rounds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from bench.load import SEQUENCE_MARK
from bench.seed import name_of
from tests.documents import pdf

HOST = "127.0.0.1"
RESUME = pdf(extra_bytes=100 * 1024 - len(pdf()))
LEAD_FIELDS = {
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "jane.doe@example.com",
    "phone": "+1 555 0100",
    "message": "I was injured at work and would like advice.",
}
ALL_SERVERS = ("raw", "floor", "lead_manager")

Backend = Literal["sqlite", "postgresql"]
Metric = Literal["rps", "p50"]


@dataclass(frozen=True)
class Bench:
    """What a case's requests and preparation may use: the bench user's token, the backend."""

    token: str
    backend: Backend
    database_url: str
    leads: int


@dataclass(frozen=True)
class Case:
    name: str
    backend: Backend
    what: str
    requests: Callable[[Bench], list[bytes]]
    # rps: lead-manager / floor throughput at `connections`, judged against `target`.
    # p50: lead-manager's median latency in ms, judged against `target` as a ceiling.
    metric: Metric = "rps"
    target: float = 0.0
    connections: int = 32
    round_seconds: float = 2.5
    servers: tuple[str, ...] = ALL_SERVERS
    prepare: Callable[[Bench], None] | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return self.name if self.backend == "sqlite" else f"{self.name} (PostgreSQL)"

    def target_text(self) -> str:
        if self.metric == "p50":
            return f"p50 < {self.target:.0f} ms"
        return f"≥ {self.target}x floor"


# --- requests as raw bytes for the load generator -------------------------------------------------


def http_request(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {HOST}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def multipart(fields: dict[str, str], file_name: str, file_bytes: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="resume"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def intake_request() -> bytes:
    """A new prospect each time: the load generator numbers the email and the phone (eight
    digits where SEQUENCE_MARK stands). One address sent thousands of times would measure the
    acknowledgement limit's serialisation per address, and every lead after the first would be
    a returning prospect: an attack's shape, not a firm's intake."""
    mark = SEQUENCE_MARK.decode()
    fields = LEAD_FIELDS | {"email": f"prospect.{mark}@example.com", "phone": f"+1 21{mark}"}
    content_type, body = multipart(fields, "jane-doe-resume.pdf", RESUME)
    return http_request("POST", "/api/v1/leads", {"Content-Type": content_type}, body)


def list_request(token: str, **params: str) -> bytes:
    query = httpx.QueryParams({**params, "limit": "50"})
    return http_request("GET", f"/api/v1/leads?{query}", {"Authorization": f"Bearer {token}"})


def search_terms() -> list[str]:
    """What an office types: a last name (1 lead in 200), a full name (1 in 20,000), part of an
    email, a fragment of three letters (1 in 200) and a common word (every lead: the scan)."""
    first, last, _ = name_of(1234)
    return [
        last.lower(),
        f"{first} {last}",
        f"{first.lower()}.{last.lower()}12",
        "ngu",
        "example",
    ]


def _intake(_bench: Bench) -> list[bytes]:
    return [intake_request()]


def _pending_page(bench: Bench) -> list[bytes]:
    return [list_request(bench.token, status="PENDING")]


def _searches(bench: Bench) -> list[bytes]:
    return [list_request(bench.token, q=term) for term in search_terms()]


CASES: list[Case] = [
    Case("intake", "sqlite", "100 KB PDF, 32 connections", _intake, target=0.7),
    Case("list", "sqlite", "50 PENDING leads of 1M, 32 connections", _pending_page, target=0.8),
    Case(
        "search",
        "sqlite",
        "`q` over 1M leads (5 terms in turn), 1 connection",
        _searches,
        metric="p50",
        target=50.0,
        connections=1,
        round_seconds=1.5,
    ),
    Case("list", "postgresql", "50 PENDING leads of 1M, 32 connections", _pending_page, target=0.8),
    Case("intake", "postgresql", "100 KB PDF, 32 connections", _intake, target=0.7),
    Case(
        "search",
        "postgresql",
        "`q` over 1M leads (5 terms in turn), 1 connection",
        _searches,
        metric="p50",
        target=50.0,
        connections=1,
        round_seconds=1.5,
    ),
    # --- Cases other features add -------------------------------------------------------------
    # The feature issues' own cases go here, e.g. (lead-manager only where the reference apps
    # have no such endpoint, with `prepare` seeding what the case needs):
    #   conflict check with 100,000 parties in the register (parties issue)
    #   lead statistics over 1M leads, CSV export of 1M leads (dashboards issue)
]
