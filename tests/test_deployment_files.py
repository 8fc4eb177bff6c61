"""Dockerfile and compose.yaml: no Docker engine runs here, so check what can be checked without
one: they parse, and every command they run is a real `lead-manager` command line."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from lead_manager.cli import build_parser
from lead_manager.core.settings import Settings
from lead_manager.storage.s3 import parse_s3_url

ROOT = Path(__file__).resolve().parent.parent
APP_IMAGE = "lead-manager:latest"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends in a line continuation"
    pairs = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(part, str) for part in value)
    return value


def assert_cli_command(argv: list[str]) -> str:
    """`argv` is a `lead-manager` command line our CLI accepts; returns the subcommand."""
    assert argv[0] == "lead-manager", argv
    args = build_parser().parse_args(argv[1:])  # exits (fails the test) on an unknown command
    return str(args.command)


def test_dockerfile_builds_a_slim_non_root_image_serving_the_app() -> None:
    instructions = dockerfile_instructions()
    names = [name for name, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert names.count("FROM") == 1

    run_steps = [arguments for name, arguments in instructions if name == "RUN"]
    assert "libmagic1" in " ".join(run_steps)
    installs = [
        args.strip() for step in run_steps for args in re.findall(r"pip install ([^&]+)", step)
    ]
    # The runtime lock (hashes checked), then the package alone: no [dev] extra, no test tools.
    assert installs == ["--require-hashes -r requirements/run.lock", "--no-deps ."], installs

    users = [arguments for name, arguments in instructions if name == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert names.index("USER") < names.index("CMD")

    (healthcheck,) = [arguments for name, arguments in instructions if name == "HEALTHCHECK"]
    options, _, command = healthcheck.partition("CMD ")
    assert "--interval" in options
    probe = exec_form(command)
    assert any("/healthz" in part for part in probe)

    (cmd,) = [arguments for name, arguments in instructions if name == "CMD"]
    argv = exec_form(cmd)
    assert assert_cli_command(argv) == "serve"
    assert argv[argv.index("--host") + 1] == "0.0.0.0"


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "var", ".env", "tests"} <= ignored


_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, as `docker compose` does."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, operator, word = match.groups()
            if name in variables:
                return variables[name]
            if operator == "?":
                raise KeyError(f"compose requires ${name}: {word}")
            return word or ""

        return _VARIABLE.sub(substitute, value)
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    return value


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return interpolate(loaded, {"SECRET_KEY": "k" * 48})  # type: ignore[no-any-return]


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose["services"].items() if svc.get("image") == APP_IMAGE}


def test_compose_has_every_role_and_store(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"api", "worker", "migrate", "postgres", "redis", "minio", "mailpit"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_compose_commands_exist_in_the_cli(compose: dict[str, Any]) -> None:
    commands = {
        name: assert_cli_command(svc["command"]) for name, svc in app_services(compose).items()
    }
    assert commands == {"api": "serve", "worker": "worker", "migrate": "migrate"}
    # Email is the workers' job: the replicas must not also run the embedded dispatcher.
    assert "--no-dispatcher" in compose["services"]["api"]["command"]


def test_migrations_run_once_before_anything_uses_the_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_configuration_is_valid_settings(compose: dict[str, Any]) -> None:
    for name, service in app_services(compose).items():
        environment: dict[str, str] = service["environment"]
        app_settings = {k: v for k, v in environment.items() if not k.startswith("AWS_")}
        unknown = {key for key in app_settings if key.lower() not in Settings.model_fields}
        assert unknown == set(), f"{name}: not settings: {unknown}"
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in app_settings.items()})  # type: ignore[arg-type]
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert settings.redis_url and settings.storage_url.startswith("s3://")
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(environment)


def test_bucket_creation_and_proxy_match_the_app_settings(compose: dict[str, Any]) -> None:
    services = compose["services"]
    environment = services["api"]["environment"]
    bucket, _prefix = parse_s3_url(environment["STORAGE_URL"])
    script = " ".join(services["create-bucket"]["command"])
    assert f"mc mb --ignore-existing store/{bucket}" in script
    assert (
        services["api"]["depends_on"]["create-bucket"]["condition"]
        == "service_completed_successfully"
    )
    assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert environment["TRUSTED_PROXIES"] == proxy_address
    assert shlex.join(services["proxy"]["command"]).endswith("--to api:8000")
