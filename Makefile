# Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# lint compiles the dbt project against a throwaway warehouse, never the real one
LINT_WAREHOUSE := $(CURDIR)/var/lint/lint.duckdb
TEST_WORKERS ?= 2

.PHONY: install browser demo test lint unit faults bench bench-large docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# the dashboard and UI tests drive Debian's chromium through Playwright (it cannot download browsers)
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

demo: install
	MOPS_ACTOR=$${MOPS_ACTOR:-demo-operator} $(BIN)/mops demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mops generate --check
	mkdir -p $(dir $(LINT_WAREHOUSE))
	cd dbt_project && MOPS_WAREHOUSE_PATH=$(LINT_WAREHOUSE) DBT_PROFILES_DIR=. DBT_SEND_ANONYMOUS_USAGE_STATS=false \
		../$(BIN)/sqlfluff lint models --processes 2

# two workers at least (one per core here); each worker keeps its own dbt target folder (tests/conftest.py)
test: lint browser
	$(BIN)/pytest --numprocesses $(TEST_WORKERS) --dist loadfile

unit: install
	$(BIN)/pytest tests/unit

# kill -9 / SIGTERM of real `mops` processes; also part of `make test`
faults: install
	$(BIN)/pytest -m faults

docs: install
	$(BIN)/mops docs

clean:
	rm -rf $(VENV) var warehouse landing dbt_project/target dbt_project/logs

bench: install
	$(BIN)/python bench/data_layer.py
	$(BIN)/python bench/ingest.py --scales 1 10
	$(BIN)/python bench/workflow.py
	$(BIN)/python bench/monitoring_overhead.py
	$(BIN)/python bench/monitoring_detectors.py
	$(BIN)/python bench/markov.py
	$(BIN)/python bench/agent_run_ledger.py
	$(BIN)/python bench/history.py --scales 1 10

# history at scale: the exports are generated once and cached under var/bench/history/; beyond ~30x the
# demo generator needs more memory than a shared machine has, so the large history tiles the 10x exports
# (bench/history_tiles.py); BENCH_LARGE_TILE_BASE= (empty) generates it directly instead
BENCH_LARGE_SCALE ?= 100
BENCH_LARGE_TILE_BASE ?= 10
bench-large: install
	$(BIN)/python bench/history.py --scales $(BENCH_LARGE_SCALE) --out bench/results/history-large.json \
		$(if $(BENCH_LARGE_TILE_BASE),--tile-base $(BENCH_LARGE_TILE_BASE))
