"""The Makefile's targets, read by make itself (`make -n` prints what a target would run)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def dry_run(target: str, tmp_path: Path) -> str:
    """The commands `target` would run on a machine without a virtualenv yet."""
    return make("-n", target, f"VENV={tmp_path / 'venv'}")


def test_help_lists_every_target_with_one_line() -> None:
    phony = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert phony is not None
    listed = dict(re.findall(r"^\s+make (\S+)\s+(.+)$", make("help"), re.MULTILINE))
    assert set(listed) == set(phony.group(1).split())
    assert {"run", "test", "migrate", "worker", "help"} <= set(listed)
    assert make() == make("help")  # the default goal


def test_run_installs_only_what_running_needs(tmp_path: Path) -> None:
    commands = dry_run("run", tmp_path)
    assert "pip install --quiet --require-hashes -r requirements/run.lock\n" in commands
    assert "pip install --quiet --no-deps -e .\n" in commands
    assert "dev.lock" not in commands and "[dev]" not in commands
    assert "lead-manager migrate" in commands and "lead-manager serve" in commands


@pytest.mark.parametrize(("target", "command"), [("migrate", "migrate"), ("worker", "worker")])
def test_migrate_and_worker(tmp_path: Path, target: str, command: str) -> None:
    commands = dry_run(target, tmp_path)
    assert f"venv/bin/lead-manager {command}\n" in commands
    assert "[dev]" not in commands


def test_test_installs_the_dev_extra_and_checks_formatting(tmp_path: Path) -> None:
    commands = dry_run("test", tmp_path)
    assert "pip install --quiet --require-hashes -r requirements/dev.lock" in commands
    assert "ruff format --check src tests bench" in commands
    assert "pytest" in commands
