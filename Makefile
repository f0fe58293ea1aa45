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
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: run replay test ui install clean benchmark ml-benchmark

run: replay ui

replay: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m nba_assets.replay --start $(START) --end $(END)

ui: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

test: $(VENV)/.installed $(MANIFEST)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest

install: $(VENV)/.installed

# Reinstall only when the lock file or the project metadata changed. Bytecode is compiled at
# install: with PYTHONDONTWRITEBYTECODE set (common in containers and CI) every process would
# otherwise recompile dagster and dbt from source, ~2 s per process and per dbt call.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# The dbt manifest is prepared once, not parsed at every code-location load. Parsed with the
# DuckDB path `make replay` uses: dbt's partial-parse state (target/partial_parse.msgpack) is only
# reused by calls with the same profile, so the replay's dbt calls skip re-parsing.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && NBA_DUCKDB_PATH="$${NBA_DUCKDB_PATH:-$(CURDIR)/$(DATA)/warehouse.duckdb}" \
		../$(BIN)/dbt parse --quiet --profiles-dir . --target duckdb
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

clean:
	rm -rf $(DATA) dbt_project/target dbt_project/logs

# Wall time and peak memory of load, one date, 30 dates (one run vs 30 runs), a season; see README.
benchmark: $(VENV)/.installed $(MANIFEST)
	$(BIN)/python benchmarks/run.py

# Walk-forward backtest of every system against the real lines (numbers, not assertions).
ml-benchmark: $(VENV)/.installed $(MANIFEST)
	$(BIN)/python benchmarks/ml_backtest.py
