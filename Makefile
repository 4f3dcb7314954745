# ProductHuntDB — every entry point a newcomer, CI and the scheduled load use.
#
# Every target that needs Python depends on `install`, which builds .venv once and again only
# when pyproject.toml or constraints.txt change, so `make demo` and `make test` work on a fresh
# clone with nothing else done. Pass extra arguments with ARGS, and another data directory with
# DATA_DIR (the demo's, or a second harvest), e.g.
#   make sync ARGS="--max-minutes 10"      make test ARGS="-k emulator -x"      make report DATA_DIR=data/demo

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COV_MIN ?= 85
ARGS ?=
DATA_DIR ?=
CLI = $(BIN)/producthuntdb$(if $(DATA_DIR), --data-dir $(DATA_DIR))

# Telemetry of dlt, Great Expectations and dbt is off for every target and every child process.
export RUNTIME__DLTHUB_TELEMETRY := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

CLIENTS := tests/clients
CLIENTS_STAMP := $(CLIENTS)/node_modules/.installed

.PHONY: help install clients demo test coverage sync build check serve export publish run report docs pull status api bench chaos chaos-check lint format clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv (once) and install the package with the tested versions

# uv installs the locked set in seconds where pip took minutes (it is pinned in constraints.txt like
# everything else and bootstrapped from PyPI with pip); where uv cannot be had, pip does the same job
# with its progress shown. Either way every step prints as it goes: nothing is silent for minutes.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ProductHuntDB needs Python >= 3.11, found " + sys.version.split()[0] + ": run make with PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing uv (pinned in constraints.txt) into $(VENV)"
	@if $(BIN)/python -m pip install --disable-pip-version-check --quiet -c constraints.txt uv; then \
		echo "installing ProductHuntDB and its dependencies with uv (well under a minute)"; \
		$(BIN)/uv pip install --python $(BIN)/python -c constraints.txt -e '.[dev]'; \
	else \
		echo "uv could not be installed: installing with pip instead (a few minutes; progress below)"; \
		$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -c constraints.txt -e '.[dev]'; \
	fi
	@touch $@
	@echo "installed: $(BIN)/producthuntdb"

# The DuckDB clients people use, for the tests that open the served file with them: the CLI comes
# from PyPI with the dev extra (duckdb-cli); Node's @duckdb/node-api from npm, here. Without npm the
# step says so and those tests skip with that reason; with npm, a failed install fails the target.
clients: $(CLIENTS_STAMP) ## install the Node DuckDB client the tests open the served file with

$(CLIENTS_STAMP): $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(CLIENTS) --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "make clients: npm not found; the Node client tests will be skipped"; \
	fi

demo: install ## emulator → 3 simulated days of sync → build → gate → serve → export → report → docs in data/demo/ (or DATA_DIR)
	$(CLI) demo $(ARGS)

# pytest's exit code is written to $PYTEST_RC_FILE when set, so .ci/run can tell "no tests
# collected" (exit 5) from a failure: make itself only ever reports exit 2.
# Three xdist workers share the suite on CI's 2 cores: tests also wait (paced rate windows, child
# processes, readers' sleeps), and a third worker fills those gaps (1,056 s -> 925 s measured). The
# expensive shared fixtures are each scheduled on one worker, costliest units first
# (tests/conftest.py, tests/durations.txt). The chaos campaign's trials are CI's own step
# (`make chaos-check`). TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 3

test: install clients ## the whole test suite but the chaos trials, no tracer (what .ci/run calls; then chaos-check)
	@rc=0; $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not campaign" $(ARGS) || rc=$$?; \
	if [ -n "$${PYTEST_RC_FILE:-}" ]; then echo $$rc > "$$PYTEST_RC_FILE"; fi; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5)" >&2; fi; \
	exit $$rc

# Coverage is its own target: its tracer put Python 3.11 on the slow path everywhere in the test
# process (the emulator, dlt, GX included) — test_sync.py took 73 s of CPU with it, 42 s without.
coverage: install clients ## the whole test suite with the coverage floor (COV_MIN); CI's coverage job
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --cov=producthuntdb --cov-report=term --cov-fail-under=$(COV_MIN) $(ARGS)

sync: install ## incremental sync from the API into the working file data/work/producthunt.duckdb
	$(CLI) sync $(ARGS)

build: install ## dbt build (models and tests) on the working file
	$(CLI) build $(ARGS)

check: install ## Great Expectations quality gate and Data Docs
	$(CLI) check $(ARGS)

serve: install ## publish the marts the last check passed to the served file
	$(CLI) serve $(ARGS)

export: install ## Parquet + CSV + manifest of the marts
	$(CLI) export $(ARGS)

publish: install ## a new version of the Kaggle dataset from the export
	$(CLI) publish $(ARGS)

run: install ## sync → build → check → serve → export → report
	$(CLI) run $(ARGS)

report: install ## the launch report: data/report/report.html (charts, opens offline)
	$(CLI) report $(ARGS)

docs: install ## dbt docs + Data Docs + report under data/docs/ (open index.html, offline)
	$(CLI) docs $(ARGS)

pull: install ## the published dataset into the served file (ARGS="--from DIR|URL", "--resume")
	$(CLI) pull $(ARGS)

status: install ## row counts, last runs, backfill position of the working and served files
	$(CLI) status $(ARGS)

api: install ## serve the local API emulator (see ARGS: --port, --scale, --seed ...)
	$(CLI) api serve $(ARGS)

bench: install ## benchmarks against the emulator → bench/results.json
	$(BIN)/python bench/run_all.py $(ARGS)

# A seeded campaign of random trials (faults, kills of a run's process group, readers, concurrent
# exports, a foreign spender), each followed by a finishing run and compared with the emulator's
# truth; one CSV row per trial, non-zero exit on any lost row, leak or traceback (docs/CHAOS.md).
TRIALS ?= 10
SEED ?= 1
JOBS ?= 1

chaos-check: install ## two seeded chaos trials checked by their test (CI's step after make test; minutes)
	$(BIN)/pytest -m campaign $(ARGS)

chaos: install ## seeded chaos campaign against the emulator (TRIALS=10 SEED=1 JOBS=1) → bench/chaos.csv
	$(BIN)/python bench/chaos.py --trials $(TRIALS) --seed $(SEED) --jobs $(JOBS) $(ARGS)

lint: install ## ruff check + mypy
	$(BIN)/ruff check pipelines tests bench
	$(BIN)/mypy

format: install ## apply ruff's formatter (not enforced by lint)
	$(BIN)/ruff format pipelines tests bench

clean: ## remove caches and build output (keeps .venv and data/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis htmlcov .coverage .coverage.* build dist
	rm -rf dbt_project/target dbt_project/logs dbt_project/dbt_packages
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean ## also remove .venv (data/ is never touched)
	rm -rf $(VENV) $(CLIENTS)/node_modules
