"""Starting the servers under test as their own processes, and reading their memory use."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.processes import free_port

HOST = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _status_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise LookupError(field)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (/proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        return self._status_kib("VmRSS") * 1024

    def peak_rss_bytes(self) -> int:
        return self._status_kib("VmHWM") * 1024

    def reset_peak_rss(self) -> None:
        # Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until_listening(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}; see its log"
            )
        try:
            with socket.create_connection((HOST, server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} did not start listening within {timeout}s")


def start(name: str, command: list[str], env: dict[str, str], log: Path, port: int) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, process, port)
    _wait_until_listening(server)
    return server


def start_lead_manager(env: dict[str, str], log: Path) -> Server:
    port = free_port()
    command = [
        str(VENV_BIN / "lead-manager"),
        "serve",
        "--no-dispatcher",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    return start("lead-manager", command, env, log, port)


def start_raw(env: dict[str, str], log: Path) -> Server:
    return _start_uvicorn_app("raw", "bench.raw_app:create_app", env, log)


def start_stack_floor(env: dict[str, str], log: Path) -> Server:
    return _start_uvicorn_app("stack floor", "bench.stack_floor_app:create_app", env, log)


def _start_uvicorn_app(name: str, factory: str, env: dict[str, str], log: Path) -> Server:
    """Uvicorn with the same event loop and HTTP parser lead-manager gets (uvloop, httptools)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    return start(name, command, env, log, port)
