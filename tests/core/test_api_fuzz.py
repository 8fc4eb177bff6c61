"""Property-based fuzzing of the whole API with schemathesis, from the app's own /openapi.json.

Every operation, as an attorney and as an admin, multipart intake included: no 5xx, no response
outside its documented schema, no undocumented status code, plus schemathesis' other checks.
Bounded per operation; the seed is printed (SCHEMATHESIS_SEED=N reproduces a run).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Account, LiveServer
from tests.intake import submit

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", str(random.randrange(2**31))))
# Every check but those the file turns off, with the reasons. (No --checks on the command line:
# it would override the per-operation settings there.)
CONFIG = Path(__file__).with_name("schemathesis.toml")


def run_schemathesis(
    server: LiveServer, account: Account, report: Path
) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).with_name("st")
    return subprocess.run(
        [
            str(st),
            "--no-color",
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {account.token}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            # One worker: hypothesis parses lambdas with ast.parse, and CPython 3.11 < 3.11.8 can
            # fail that from two threads at once ("AST constructor recursion depth mismatch").
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-dir",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=report,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
    )


@pytest.mark.slow
@pytest.mark.parametrize("role", ["attorney", "admin"])
def test_schemathesis_finds_no_failures(
    role: str,
    api: LiveServer,
    attorney: Account,
    admin: Account,
    public: object,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if role == "attorney" and api.settings.database_url.startswith("postgresql"):
        # Bounded time: the attorney's view differs from the admin's by 403s, which do not depend
        # on the database. The admin run covers every operation on both backends.
        pytest.skip("attorney fuzzing runs on SQLite only")
    # Some data, so reads of existing leads are exercised too (the stateful phase follows links).
    assert submit(api.client()).status_code == 201
    account = attorney if role == "attorney" else admin
    result = run_schemathesis(api, account, tmp_path)
    summary = result.stdout[result.stdout.rfind("SUMMARY") :] if "SUMMARY" in result.stdout else ""
    with capsys.disabled():
        print(f"\nschemathesis as {role} ({api.settings.database_url.split(':')[0]}): seed {SEED}")
        print(summary.strip()[-1500:])
    assert result.returncode == 0, (
        f"schemathesis found failures (seed {SEED}; rerun with SCHEMATHESIS_SEED={SEED}):\n"
        f"{result.stdout[-20000:]}\n{result.stderr[-3000:]}"
    )
