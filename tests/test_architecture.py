"""The layout rules of the codebase, checked on the source (imports read with `ast`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lead_manager"
PACKAGE = "lead_manager"
# HTTP wiring may look both ways (a router calls services of several domains, a dependency reads
# another domain's lookups); domain logic must not.
WIRING_MODULES = {"router.py", "dependencies.py"}
MAX_LINES = 350


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith(f"{PACKAGE}.")}


def _package_of(path: Path) -> str | None:
    """The top-level package under lead_manager (`leads`, `core`…), None for top-level modules."""
    relative = path.relative_to(SRC)
    return relative.parts[0] if len(relative.parts) > 1 else None


def _target_package(module: str) -> str:
    return module.split(".")[1]


def _domain_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _modules():
        package = _package_of(path)
        if package is None or package in {"core", "web"} or path.name in WIRING_MODULES:
            continue
        for module in _imported_modules(path):
            target = _target_package(module)
            if target != package and (SRC / target).is_dir() and target not in {"core"}:
                graph.setdefault(package, set()).add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for following in sorted(graph.get(node, ())):
            if found := visit(following):
                return found
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if found := visit(start):
            return found
    return None


def test_domain_packages_import_in_one_direction() -> None:
    assert _cycle(_domain_graph()) is None, (
        f"import circle: {' -> '.join(_cycle(_domain_graph()) or [])}"
    )


def test_the_circle_check_finds_a_circle() -> None:
    assert _cycle({"leads": {"notifications"}, "notifications": {"leads"}}) == [
        "leads",
        "notifications",
        "leads",
    ]
    assert _cycle({"leads": {"outbox"}, "notifications": {"leads", "outbox"}}) is None


def test_core_imports_no_domain_package() -> None:
    offenders = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in _modules()
        if _package_of(path) == "core"
        for module in _imported_modules(path)
        if _target_package(module) != "core"
    }
    assert not offenders


def test_only_the_app_and_the_cli_import_the_pages() -> None:
    offenders = {
        str(path.relative_to(SRC))
        for path in _modules()
        if _package_of(path) != "web"
        and any(_target_package(module) == "web" for module in _imported_modules(path))
    }
    assert offenders <= {"main.py", "cli.py"}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_source_file_is_over_350_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES
