# lead-manager: `make run` serves on http://127.0.0.1:8000, `make test` runs the whole suite,
# `make help` lists every target.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two installs: running needs only the package; the tests and tools need the dev extra too.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help lock install install-dev run migrate worker test lint format typecheck audit bench bench-features clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs come from the lock files (every version pinned, every file's hash checked); the package
# itself is installed on top without resolving anything again. `make lock` refreshes them.
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

$(RUN_STAMP): pyproject.toml requirements/run.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): pyproject.toml requirements/dev.lock $(RUN_STAMP)
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

lock: $(DEV_STAMP) ## re-resolve requirements/run.lock and dev.lock from pyproject.toml (hashes included)
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements/run.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev -o requirements/dev.lock pyproject.toml

install: $(RUN_STAMP) ## create .venv with what running needs
install-dev: $(DEV_STAMP) ## add the test and lint tools (the dev extra)

run: $(RUN_STAMP) ## migrate, create a first admin if none, serve on 127.0.0.1:8000
	$(BIN)/lead-manager migrate
	$(BIN)/lead-manager ensure-admin
	$(BIN)/lead-manager serve --host 127.0.0.1 --port 8000

migrate: $(RUN_STAMP) ## upgrade the database to the latest schema
	$(BIN)/lead-manager migrate

worker: $(RUN_STAMP) ## run only the outbox dispatcher (email), beside `serve --no-dispatcher`
	$(BIN)/lead-manager worker

test: $(DEV_STAMP) ## lint, format check, type check, the whole test suite, dependency audit
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src bench
	$(BIN)/pytest --cov --cov-report=term --durations=15 $(PYTEST_ARGS)
	$(MAKE) --no-print-directory audit

# Known vulnerabilities (PyPI's advisory data) in every locked dependency: fails on a finding.
# Needs the network: when PyPI cannot be reached, or the audit runs past 3 minutes, it says so and
# passes, so an outage does not fail the build (a finding always does).
audit: $(DEV_STAMP) ## known vulnerabilities in the locked dependencies (pip-audit on requirements/*.lock)
	@if ! $(BIN)/python -c "import urllib.request as u; u.urlopen('https://pypi.org/pypi/pip/json', timeout=10)" 2>/dev/null; then \
		echo "audit: SKIPPED, pypi.org unreachable"; \
	else \
		timeout 180 $(BIN)/pip-audit --require-hashes --no-deps --disable-pip -r requirements/dev.lock --progress-spinner off --timeout 30; \
		status=$$?; \
		if [ $$status -eq 124 ]; then echo "audit: SKIPPED, timed out"; \
		elif [ $$status -ne 0 ]; then exit $$status; fi; \
	fi

lint: $(DEV_STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(DEV_STAMP) ## format the code with ruff
	$(BIN)/ruff format src tests bench

typecheck: $(DEV_STAMP) ## mypy --strict
	$(BIN)/mypy src bench

bench: $(DEV_STAMP) ## the benchmarks, under 5 minutes (see docs/performance.md)
	$(BIN)/python -m bench

# Their seeding (1M leads with name keys, 100k parties; 1M leads over two years on both
# databases) takes 10-15 minutes each, which the 5-minute budget of `make bench` cannot hold.
bench-features: $(DEV_STAMP) ## the feature cases at full size (about 30 minutes): conflict check, /similar, statistics, CSV export
	$(BIN)/python -m bench.judgement
	$(BIN)/python -m bench.insight

clean: ## remove the virtualenv, var/ and caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage*
