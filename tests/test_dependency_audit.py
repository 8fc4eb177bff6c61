"""`make audit` (pip-audit) fails on a dependency pinned to a version with a known vulnerability."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PIP_AUDIT = str(Path(sys.executable).with_name("pip-audit"))


def test_pip_audit_fails_on_a_known_vulnerable_pin(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jinja2==2.10\n")  # CVE-2019-10906 (sandbox escape), among others
    try:
        result = subprocess.run(
            [
                PIP_AUDIT,
                "-r",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--timeout",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("the vulnerability service is too slow to answer")
    output = result.stdout + result.stderr
    if "ConnectionError" in output or "could not be audited" in output:
        # Offline, or an index that does not serve PyPI's JSON API (a local mirror).
        pytest.skip("PyPI's vulnerability data is not reachable from here")
    assert result.returncode == 1, output
    assert "jinja2" in output.lower()
