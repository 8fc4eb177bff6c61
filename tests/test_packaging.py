"""What the distribution says about itself is true: its licence file, the files it ships."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_file_matches_the_declared_licence() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "lead-manager contributors" in text
    assert "Permission is hereby granted, free of charge" in text


def test_every_package_data_entry_names_files_that_exist() -> None:
    for package, patterns in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        root = ROOT / "src" / package.replace(".", "/")
        for pattern in patterns:
            assert any(path.is_file() for path in root.glob(pattern)), (
                f"package-data {package}: {pattern!r} matches no file"
            )
