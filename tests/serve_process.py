"""`lead-manager serve` as a real subprocess (SQLite in a temporary directory).

For what a thread in the test process cannot show: uvicorn's own limits, the process's log
output, and surviving kill -9.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import UNLIMITED
from tests.processes import LEAD_MANAGER, free_port, run


def serve_environment(directory: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "SMTP_", "LOG_", "METRICS_"))
    }
    env.update(
        {
            "ENVIRONMENT": "test",
            "DATABASE_URL": f"sqlite:///{directory / 'lead_manager.db'}",
            "SECRET_KEY": "subprocess-signing-key-" + "y" * 32,
            "STORAGE_URL": f"file://{directory / 'resumes'}",
            "MAIL_DIR": str(directory / "mail"),
            "LEAD_RATE_LIMIT": UNLIMITED,
            "LOGIN_RATE_LIMIT": UNLIMITED,
            "LOGIN_ADDRESS_RATE_LIMIT": UNLIMITED,
            "LOG_LEVEL": "WARNING",
            "DIGEST_TIME": "",  # what is sent must not depend on the hour the suite runs at
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def run_cli(directory: Path, env: dict[str, str], *args: str, stdin: str = "") -> str:
    """A command that must succeed; its standard output."""
    result = run(directory, *args, stdin=stdin, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass
class ServeProcess:
    directory: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str) -> None:
        self.log_path = self.directory / f"serve-{time.monotonic_ns()}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [LEAD_MANAGER, "serve", "--port", str(self.port), *extra],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.directory,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"lead-manager serve did not start:\n{self.log()}")

    def kill(self) -> None:
        """kill -9: no shutdown handlers, no flushing, nothing."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def migrated(directory: Path, **overrides: str) -> ServeProcess:
    env = serve_environment(directory, **overrides)
    run_cli(directory, env, "migrate")
    return ServeProcess(directory, env)
