"""The lock files: everything pyproject asks for is pinned with hashes, the same way in both."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
RUN_LOCK = ROOT / "requirements" / "run.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+?)(?: \\)?$", re.MULTILINE)


def _pins(lock: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in _PIN.findall(lock.read_text())}


def _declared(group: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(spec) for spec in specs]


@pytest.mark.parametrize(("lock", "groups"), [(RUN_LOCK, [None]), (DEV_LOCK, [None, "dev"])])
def test_every_declared_dependency_is_pinned_within_its_range(lock: Path, groups: list) -> None:
    pins = _pins(lock)
    for group in groups:
        for requirement in _declared(group):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{name} is not in {lock.name}: run `make lock`"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"{lock.name} pins {name}=={pins[name]}, outside {requirement.specifier}: "
                "run `make lock`"
            )


@pytest.mark.parametrize("lock", [RUN_LOCK, DEV_LOCK])
def test_every_pin_carries_hashes(lock: Path) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", lock.read_text())
    for block in blocks[1:]:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_running_and_testing_use_the_same_versions() -> None:
    run, dev = _pins(RUN_LOCK), _pins(DEV_LOCK)
    assert {name: version for name, version in run.items() if dev.get(name) != version} == {}
