"""`lead-manager` commands as real subprocesses, the way an operator or a container runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

LEAD_MANAGER = str(Path(sys.executable).with_name("lead-manager"))

# Our settings: a value inherited from a developer's shell must not leak into a test's process.
_OUR_SETTINGS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "STORAGE_URL",
    "MAIL_DIR",
    "SMTP_",
    "S3_",
    "ENVIRONMENT",
    "REDIS_URL",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The defaults of a fresh checkout (nothing of ours set, SQLite under ./var), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_OUR_SETTINGS)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run(
    cwd: Path,
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LEAD_MANAGER, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(env),
        check=False,
    )


@dataclass
class Process:
    """A long-running `lead-manager serve` or `worker`; its output goes to a file."""

    popen: subprocess.Popen[bytes]
    log: Path
    base_url: str | None = None

    @classmethod
    def start(cls, args: list[str], env: Mapping[str, str], cwd: Path, name: str) -> Process:
        log = cwd / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [LEAD_MANAGER, *args],
                env=clean_env(env),
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return cls(popen, log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{base_url} exited with {self.popen.returncode}:\n{self.output()}"
                )
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{base_url} did not become ready:\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM, then wait: a graceful stop is part of what is tested."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode
