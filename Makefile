# Two commands for a fresh machine: `make run` (replay real data, open the UI) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATA := .data
# The project's instance; a DAGSTER_HOME from the environment wins (the benchmark's fresh folders).
export DAGSTER_HOME ?= $(CURDIR)/$(DATA)/dagster_home
# Replay window (inclusive). History from 2024-10-22 feeds the 2025-26 features.
START ?= 2024-10-22
END ?= 2025-11-23
# Extra replay options, e.g. REPLAY_ARGS=--downstream (python -m nba_assets.cli.replay --help).
REPLAY_ARGS ?=
MANIFEST := dbt_project/target/manifest.json
# The project's own bytecode, refreshed before every command (see $(VENV)/.bytecode).
COMPILE := $(BIN)/python -m compileall -q nba_assets resources benchmarks tests > /dev/null
# The BigQuery emulator (tests of the production path) runs on Python 3.13 in its own venv.
EMULATORS := .emulators
# The first of these that runs (a pyenv shim may exist and not run); PYTHON313=... overrides.
PYTHON313 ?= $(firstword $(foreach p,$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null),$(shell $(p) -c 'import sys; print("$(p)" if sys.version_info[:2] == (3, 13) else "")' 2>/dev/null)))
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: run replay import test test-fast ui install clean benchmark ml-benchmark recover staging staging-stop staging-day

run: replay ui
# `make run` opens the UI on the replayed window: its replay also draws the backtest report's figures
# (not part of the daily run, `make replay`: nba_assets/defs/grading/backtest_plots.py).
run: REPLAY_ARGS += --figures

replay: $(VENV)/.bytecode $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	@$(COMPILE)
	$(BIN)/python -m nba_assets.cli.replay --start $(START) --end $(END) $(REPLAY_ARGS)

# Validates a folder of your own files (SRC=folder) into the replay archive (NBA_REPLAY_ARCHIVE,
# default data/replay) and prints every file's report; see docs/data.md.
import: $(VENV)/.bytecode
	@$(COMPILE)
	@test -n "$(SRC)" || (echo "usage: make import SRC=folder" >&2; exit 2)
	$(BIN)/python -m nba_assets.cli.import_data "$(SRC)"

# Closes runs whose process died and frees their pool slots (see docs/runbook.md); RUN=<id> closes
# that run by hand.
recover: $(VENV)/.bytecode $(DAGSTER_HOME)/dagster.yaml
	@$(COMPILE)
	$(BIN)/python -m nba_assets.cli.recover $(if $(RUN),--run $(RUN))

# The production layout on this machine (docs/staging.md): PostgreSQL from the machine's binaries,
# the code server (`dagster api grpc`), `dagster-daemon` and the webserver, each its own process,
# under $(DATA)/staging. Prints the UI's address; `make staging-stop` stops it all (also after a crash:
# the PIDs are in $(DATA)/staging/run/).
staging: $(VENV)/.bytecode $(MANIFEST)
	@$(COMPILE)
	$(BIN)/python -m nba_assets.cli.staging start --root $(DATA)/staging

staging-stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m nba_assets.cli.staging stop --root $(DATA)/staging; fi

ui: $(VENV)/.bytecode $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	@$(COMPILE)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

test: $(VENV)/.bytecode $(MANIFEST) $(EMULATORS)/.installed
	@$(COMPILE)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest

# The quick tier: every test not marked slow (tests/conftest.py), under 90 s; `make test` is the
# whole suite and what CI runs.
test-fast: $(VENV)/.bytecode $(MANIFEST)
	@$(COMPILE)
	$(BIN)/ruff check
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -m "not slow" -q

install: $(VENV)/.bytecode

# Reinstall only when the lock file or the project metadata changed.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# Bytecode, compiled ahead: with PYTHONDONTWRITEBYTECODE set (common in containers and CI) Python
# never writes .pyc files, and every process recompiled dagster, dbt and scikit-learn from source:
# the code location took 3.6 s to load instead of 1.9 s, a one-date replay 16.5 s instead of 10.5 s.
# The installed packages once per install (also venvs installed before uv compiled them); the
# project's own modules before every command (compileall skips what is up to date, ~0.1 s).
$(VENV)/.bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $@

# The BigQuery emulator's venv (local-bigquery on Python 3.13, tests/emulators/requirements.lock).
# Without Python 3.13 it says why in $(EMULATORS)/UNAVAILABLE and the emulator tests skip with
# that reason (the stamp is not written, so a later run tries again).
$(EMULATORS)/.installed: tests/emulators/requirements.lock $(VENV)/.installed
	@mkdir -p $(EMULATORS)
	@rm -f $(EMULATORS)/UNAVAILABLE
	@if [ -z "$(PYTHON313)" ]; then \
		echo "Python 3.13 not found (python3.13 on PATH or ~/.pyenv/versions/3.13*; set PYTHON313=...): the BigQuery emulator tests are skipped" | tee $(EMULATORS)/UNAVAILABLE; \
	else \
		$(BIN)/uv venv --quiet --allow-existing --python $(PYTHON313) $(EMULATORS)/bigquery && \
		$(BIN)/uv pip install --quiet --python $(EMULATORS)/bigquery/bin/python --no-deps -r tests/emulators/requirements.lock && \
		touch $@; \
	fi

# The dbt manifest is prepared once, not parsed at every code-location load. Parsed with the
# DuckDB path `make replay` uses: dbt's partial-parse state (target/partial_parse.msgpack) is only
# reused by calls with the same profile, so the replay's dbt calls skip re-parsing.
# Parsed into a scratch folder of this make's own (two makes at once after a model changed, e.g.
# `make test` and `make replay`, each parse) and renamed into place: an interrupted parse leaves no
# truncated manifest.json that would look up to date (dbt itself falls back to a full parse when
# its partial-parse file is damaged).
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	@set -e; scratch=.parse.$$$$; rm -rf dbt_project/target/$$scratch; mkdir -p dbt_project/target/$$scratch; \
	cp dbt_project/target/partial_parse.msgpack dbt_project/target/$$scratch/ 2>/dev/null || true; \
	echo "dbt parse -> $@"; \
	(cd dbt_project && NBA_DUCKDB_PATH="$${NBA_DUCKDB_PATH:-$(CURDIR)/$(DATA)/warehouse.duckdb}" \
		../$(BIN)/dbt parse --quiet --profiles-dir . --target duckdb --target-path target/$$scratch); \
	mv dbt_project/target/$$scratch/partial_parse.msgpack dbt_project/target/partial_parse.msgpack; \
	mv dbt_project/target/$$scratch/manifest.json $@; \
	rm -rf dbt_project/target/$$scratch

# The project's settings (dagster.yaml) plus the pooled storage in DAGSTER_HOME
# (resources/instance/local_storage.yaml), composed by nba_assets/lib/instance_config.py.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml resources/instance/local_storage.yaml $(VENV)/.installed
	$(BIN)/python -m nba_assets.lib.instance_config $(DAGSTER_HOME)

clean:
	rm -rf $(DATA) dbt_project/target dbt_project/logs $(EMULATORS)

# Wall time and peak memory of load, one date, 30 dates (one run vs 30 runs), a season; see README.
benchmark: $(VENV)/.bytecode $(MANIFEST)
	@$(COMPILE)
	$(BIN)/python benchmarks/run.py

# Walk-forward backtest of every system against the real lines (numbers, not assertions).
ml-benchmark: $(VENV)/.bytecode $(MANIFEST)
	@$(COMPILE)
	$(BIN)/python benchmarks/ml_backtest.py

# Three simulated days of the schedules through the daemon of a staging layout of its own (PostgreSQL,
# code server, daemon, webserver in .data/staging-day), the live sources over HTTP against the APIs'
# stand-ins; started and stopped here (docs/staging-day.md). DATE: the first date; FAULTS=1 injects a
# 429 storm, a 5xx and one late box score.
DATE ?= 2025-11-12
DAYS ?= 3
staging-day: $(VENV)/.bytecode $(MANIFEST)
	@$(COMPILE)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m nba_assets.cli.staging_day --date $(DATE) --days $(DAYS) $(if $(FAULTS),--faults)
