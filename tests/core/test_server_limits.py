"""What uvicorn (as `lead-manager serve` starts it) does with abusive connections."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.intake import submit
from tests.serve_process import ServeProcess, migrated


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    server = migrated(tmp_path_factory.mktemp("serve-limits"))
    server.start("--no-dispatcher")
    yield server
    server.stop()


def raw_request(port: int, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


def test_huge_header_is_refused_and_the_server_carries_on(served: ServeProcess) -> None:
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"X-Padding: "
        + b"a" * 200_000
        + b"\r\n\r\n"
    )
    answer = raw_request(served.port, request)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1] in (b"400", b"431"), answer[:200]
    assert httpx.get(f"{served.base_url}/healthz").status_code == 200


def test_many_header_lines_are_refused(served: ServeProcess) -> None:
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(2000))
        + b"\r\n"
    )
    answer = raw_request(served.port, request)
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] in (b"400", b"431"), answer[:200]


def test_slow_bodies_do_not_hold_up_other_requests(served: ServeProcess) -> None:
    # Clients that announce a body and then trickle it (slowloris-style) must not take the
    # workers: the body is awaited on the event loop, not in the thread pool.
    stalled = []
    try:
        for _ in range(60):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
            sock.sendall(
                b"POST /api/v1/leads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n"
                b'--x\r\nContent-Disposition: form-data; name="first_name"\r\n\r\nJa'
            )
            stalled.append(sock)
        with httpx.Client(base_url=served.base_url, timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            assert submit(client).status_code == 201
    finally:
        for sock in stalled:
            sock.close()


def test_idle_keep_alive_connections_are_closed(served: ServeProcess) -> None:
    # timeout_keep_alive: an idle connection does not keep its slot forever.
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break  # the server closed the idle connection
            received += chunk
        assert received.startswith(b"HTTP/1.1 200")


def test_log_of_served_process_has_no_tracebacks(served: ServeProcess, tmp_path: Path) -> None:
    assert "Traceback" not in served.log()
