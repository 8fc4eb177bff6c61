"""The load generator, run as its own process: `python -m bench.load SPEC.json`.

Closed loop: N keep-alive HTTP/1.1 connections, each sending its next request as soon as the
previous response is complete. Requests are prebuilt bytes and responses are parsed by httptools
on uvloop, so one process drives far more requests per second than the servers under test serve
(an httpx client would be the bottleneck and measure itself). Latencies of the warm-up are
dropped, and so are responses that would end after the window (their connections are closed
then, not waited for); the JSON result goes to standard output.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httptools
import uvloop


@dataclass(frozen=True, slots=True)
class LoadSpec:
    host: str
    port: int
    connections: int
    warmup_seconds: float
    duration_seconds: float
    request_files: list[str]  # raw HTTP/1.1 requests, sent round-robin per connection
    # Where SEQUENCE_MARK appears in a request, each sending puts the next number there (eight
    # digits, so the length does not change): one prospect per submission, not one person
    # submitting thousands of times.
    sequence_start: int = 0

    @classmethod
    def load(cls, path: Path) -> LoadSpec:
        return cls(**json.loads(path.read_text()))


class Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.pending: asyncio.Future[int] | None = None
        self.keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_headers_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()

    def on_message_complete(self) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.set_result(self.parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.set_exception(ConnectionError("connection closed"))

    async def send(self, payload: bytes) -> int:
        assert self.transport is not None
        self.pending = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return await self.pending


SEQUENCE_MARK = b"########"


def _numbered(payload: bytes, sequence: Iterator[int]) -> bytes:
    if SEQUENCE_MARK not in payload:
        return payload
    return payload.replace(SEQUENCE_MARK, b"%08d" % (next(sequence) % 10**8))


async def _client(
    spec: LoadSpec,
    payloads: list[bytes],
    sequence: Iterator[int],
    offset: int,
    measure_from: float,
    stop_at: float,
    latencies: list[float],
    statuses: Counter[int],
) -> None:
    loop = asyncio.get_running_loop()
    connection: Connection | None = None
    for payload in itertools.islice(itertools.cycle(payloads), offset, None):
        now = time.perf_counter()
        if now >= stop_at:
            break
        if connection is None:
            _transport, connection = await loop.create_connection(Connection, spec.host, spec.port)
        try:
            # A response after the window would not be counted: stop waiting for it then (a
            # queue of slow logins would otherwise hold the run for as long as it takes).
            status = await asyncio.wait_for(
                connection.send(_numbered(payload, sequence)), stop_at - now
            )
        except TimeoutError:
            break
        except ConnectionError:
            statuses[0] += 1
            connection = None
            continue
        done = time.perf_counter()
        if now >= measure_from and done <= stop_at:
            latencies.append(done - now)
            statuses[status] += 1
        if not connection.keep_alive:
            assert connection.transport is not None
            connection.transport.close()
            connection = None
    if connection is not None and connection.transport is not None:
        connection.transport.close()


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(spec: LoadSpec, payloads: list[bytes]) -> dict[str, Any]:
    started = time.perf_counter()
    measure_from = started + spec.warmup_seconds
    stop_at = measure_from + spec.duration_seconds
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    sequence = itertools.count(spec.sequence_start)
    await asyncio.gather(
        *(
            _client(spec, payloads, sequence, index, measure_from, stop_at, latencies, statuses)
            for index in range(spec.connections)
        )
    )
    latencies.sort()
    return {
        "connections": spec.connections,
        "seconds": spec.duration_seconds,
        "requests": len(latencies),
        "rps": len(latencies) / spec.duration_seconds,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "mean_ms": (statistics.fmean(latencies) if latencies else float("nan")) * 1000,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
    }


def main() -> None:
    spec = LoadSpec.load(Path(sys.argv[1]))
    payloads = [Path(name).read_bytes() for name in spec.request_files]
    result = uvloop.run(run(spec, payloads))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
