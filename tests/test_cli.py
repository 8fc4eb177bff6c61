"""The `lead-manager` command, run as a subprocess the way an operator runs it."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from tests import documents
from tests.processes import LEAD_MANAGER, clean_env, free_port, run


def test_migrate_is_repeatable_and_creates_var(tmp_path) -> None:
    first, second = run(tmp_path, "migrate"), run(tmp_path, "migrate")
    assert first.returncode == second.returncode == 0, first.stderr
    assert (tmp_path / "var" / "lead_manager.db").exists()


def test_create_user_reports_success_and_one_line_reasons(tmp_path) -> None:
    run(tmp_path, "migrate")
    ok = run(
        tmp_path,
        "create-user",
        "--email",
        "Jane@Firm.example",
        "--role",
        "attorney",
        "--name",
        "Jane",
        "--password-stdin",
        stdin="a strong password\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "jane@firm.example" in ok.stdout
    duplicate = run(
        tmp_path,
        "create-user",
        "--email",
        "jane@firm.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin="another strong one\n",
    )
    assert duplicate.returncode != 0
    assert len(duplicate.stderr.strip().splitlines()) == 1 and "already exists" in duplicate.stderr
    weak = run(
        tmp_path,
        "create-user",
        "--email",
        "weak@firm.example",
        "--role",
        "attorney",
        "--password-stdin",
        stdin="short\n",
    )
    assert weak.returncode != 0 and "12 characters" in weak.stderr
    assert len(weak.stderr.strip().splitlines()) == 1
    no_stdin_flag = run(tmp_path, "create-user", "--email", "x@firm.example", "--role", "attorney")
    assert no_stdin_flag.returncode != 0 and "--password-stdin" in no_stdin_flag.stderr
    bad_role = run(
        tmp_path,
        "create-user",
        "--email",
        "x@firm.example",
        "--role",
        "root",
        "--password-stdin",
        stdin="a strong password\n",
    )
    assert bad_role.returncode != 0


def test_reset_password_sets_it_and_ends_the_sessions(tmp_path) -> None:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from lead_manager.audit.models import AuditEvent
    from lead_manager.core.security import verify_password
    from lead_manager.users.models import User

    run(tmp_path, "migrate")
    created = run(
        tmp_path,
        "create-user",
        "--email",
        "jane@firm.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a strong password\n",
    )
    assert created.returncode == 0, created.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'lead_manager.db'}")
    try:
        with Session(engine) as session:
            before = session.scalars(select(User)).one().session_version
        ok = run(
            tmp_path,
            "reset-password",
            "--email",
            "Jane@Firm.example",
            "--password-stdin",
            stdin="an entirely new passphrase\n",
        )
        assert ok.returncode == 0, ok.stderr
        assert "jane@firm.example" in ok.stdout
        with Session(engine) as session:
            user = session.scalars(select(User)).one()
            actions = session.scalars(select(AuditEvent.action)).all()
        assert verify_password("an entirely new passphrase", user.password_hash)
        assert not verify_password("a strong password", user.password_hash)
        # The version moved on: every token issued before names the old one and gets 401.
        assert user.session_version == before + 1
        assert "user.password_reset" in actions
    finally:
        engine.dispose()
    unknown = run(
        tmp_path,
        "reset-password",
        "--email",
        "nobody@firm.example",
        "--password-stdin",
        stdin="an entirely new passphrase\n",
    )
    assert unknown.returncode != 0 and "no user" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    for weak_password in ("short", "password1234"):
        weak = run(
            tmp_path,
            "reset-password",
            "--email",
            "jane@firm.example",
            "--password-stdin",
            stdin=f"{weak_password}\n",
        )
        assert weak.returncode != 0 and "invalid password" in weak.stderr
        assert len(weak.stderr.strip().splitlines()) == 1
    no_stdin_flag = run(tmp_path, "reset-password", "--email", "jane@firm.example")
    assert no_stdin_flag.returncode != 0 and "--password-stdin" in no_stdin_flag.stderr


def test_create_user_before_migrate_says_what_to_do(tmp_path) -> None:
    result = run(
        tmp_path,
        "create-user",
        "--email",
        "x@firm.example",
        "--role",
        "attorney",
        "--password-stdin",
        stdin="a strong password\n",
    )
    assert result.returncode != 0 and "lead-manager migrate" in result.stderr


def test_production_without_secret_refuses_to_start(tmp_path) -> None:
    result = run(tmp_path, "migrate", env={"ENVIRONMENT": "production"})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_fresh_checkout_flow_first_admin_serve_login_submit(tmp_path) -> None:
    """What `make run` does: migrate, ensure-admin (printed once), serve with the dispatcher."""
    assert run(tmp_path, "migrate").returncode == 0
    first = run(tmp_path, "ensure-admin")
    assert first.returncode == 0
    email = re.search(r"email:\s+(\S+)", first.stdout).group(1)
    password = re.search(r"password:\s+(\S+)", first.stdout).group(1)
    again = run(tmp_path, "ensure-admin")
    assert again.returncode == 0 and "password" not in again.stdout

    port = free_port()
    server = subprocess.Popen(
        [LEAD_MANAGER, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env({"DISPATCHER_POLL_SECONDS": "0.2"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.1)
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": email, "password": password}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        lead = httpx.post(
            f"{base}/api/v1/leads",
            data={"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com"},
            files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
        )
        assert lead.status_code == 201
        items = httpx.get(f"{base}/api/v1/leads", headers=auth).json()["items"]
        assert [i["id"] for i in items] == [lead.json()["id"]]
        # No SMTP configured: the acknowledgement (and the unassigned alert to the admin) land as files.
        mail_dir = tmp_path / "var" / "mail"
        deadline = time.monotonic() + 15
        while len(list(mail_dir.glob("*.eml"))) < 2:
            assert time.monotonic() < deadline, "emails were not written"
            time.sleep(0.1)
        bodies = [p.read_text() for p in mail_dir.glob("*.eml")]
        assert any("To: jane@example.com" in b for b in bodies)
        assert any(f"To: {email}" in b for b in bodies)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    # uvicorn shuts down cleanly, then re-raises SIGTERM as its exit status.
    assert server.returncode in (0, -15), output
    assert "Application shutdown complete" in output
    assert ".eml files" in output  # the log says where mail goes without SMTP


@pytest.mark.parametrize(
    "args", [["--help"], ["serve", "--help"], ["worker", "--help"], ["retry-emails", "--help"]]
)
def test_help(tmp_path, args) -> None:
    assert run(tmp_path, *args).returncode == 0


SUBCOMMANDS = [
    "migrate",
    "serve",
    "worker",
    "create-user",
    "reset-password",
    "cleanup-orphans",
    "retry-emails",
    "ensure-admin",
    "send-digest",
    "erase",
    "purge-expired",
    "import-parties",
]


def test_every_option_of_every_command_has_help() -> None:
    import argparse

    from lead_manager.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert sorted(commands.choices) == sorted(SUBCOMMANDS)
    for name, command in commands.choices.items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings} has no help text"
    assert all(choice.help for choice in commands._choices_actions)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_of_each_command(tmp_path, command) -> None:
    result = run(tmp_path, command, "--help")
    assert result.returncode == 0
    assert f"usage: lead-manager {command}" in result.stdout


def test_create_user_help_says_the_password_comes_from_stdin(tmp_path) -> None:
    result = run(tmp_path, "create-user", "--help")
    # Shown without brackets in the usage line: required.
    assert re.search(r"\] --password-stdin\b|\s--password-stdin\n", result.stdout)
    assert "[--password-stdin]" not in result.stdout
    assert "required" in result.stdout and "standard input" in result.stdout


def test_version_from_the_package_metadata(tmp_path) -> None:
    from importlib.metadata import version

    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"lead-manager {version('lead-manager')}"


def test_python_dash_m_is_the_same_command(tmp_path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "lead_manager", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout == run(tmp_path, "--version").stdout
    migrate = subprocess.run(
        [sys.executable, "-m", "lead_manager", "migrate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "var" / "lead_manager.db").exists()


def test_import_parties_prints_created_and_rejected_rows(tmp_path) -> None:
    run(tmp_path, "migrate")
    csv_file = tmp_path / "register.csv"
    csv_file.write_bytes(
        b"\xef\xbb\xbfname,kind,email,matter\n"
        b'"Doe, John",client,,\n'
        b"Bad,enemy,,\n"
        b"Acme Holdings LLC,adverse_party,legal@acme.example,Acme v. Doe\n"
    )
    result = run(tmp_path, "import-parties", str(csv_file))
    assert result.returncode == 0, result.stderr
    assert "rejected line 3: kind" in result.stdout
    assert "created 2 party(ies), rejected 1 row(s)" in result.stdout
    missing = run(tmp_path, "import-parties", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0
    assert "cannot read" in missing.stderr
