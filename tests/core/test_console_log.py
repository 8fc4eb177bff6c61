"""The console log (LOG_FORMAT=console, the default) never prints frame locals, even with rich
installed (issue 13, finding 13): a traceback from authenticate() would show the password."""

from __future__ import annotations

import subprocess
import sys

import pytest

SECRET = "plaintext-password-4f1c9e"
SCRIPT = f"""
import structlog
from lead_manager.core.logging import configure_logging

configure_logging("INFO", "console")

def authenticate(email, password):
    secret_local = password
    raise RuntimeError("hashing backend unavailable")

try:
    authenticate("lawyer@firm.example", "{SECRET}")
except RuntimeError:
    structlog.get_logger("test").exception("login failed")
"""


def test_a_logged_exception_shows_the_traceback_without_locals() -> None:
    pytest.importorskip("rich")  # what made the default formatter print locals
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert "login failed" in result.stderr
    assert "hashing backend unavailable" in result.stderr and "authenticate" in result.stderr
    assert SECRET not in result.stderr
