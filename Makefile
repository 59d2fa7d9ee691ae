# sipol-migrate: every target sets itself up from nothing (a virtual environment in .venv).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
# The real Kemendagri lists live outside the repo; tests and benchmarks find them here.
WILAYAH_DIR ?= $(abspath ../shared/data/wilayah)
OUT    ?= out/demo

export PREFECT_HOME ?= $(abspath .prefect)
export PREFECT_SERVER_ANALYTICS_ENABLED = false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS = 90
export SIPOL_WILAYAH_DIR = $(WILAYAH_DIR)

.PHONY: demo test bench bench-4m bench-deps install services system-deps clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 2>&1 | { grep -v 'is ignored' || true; }
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]' 2>&1 | { grep -v 'is ignored' || true; }
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@bash scripts/install-system-deps.sh --runtime
	@rm -rf $(OUT) out/demo-legacy.sqlite out/demo-target.sqlite out/demo-truth.jsonl
	@mkdir -p out
	@$(BIN)/sipol-migrate synth --target sqlite:///out/demo-legacy.sqlite \
	    --truth out/demo-truth.jsonl --members 20000 --seed 2017 --party-map-out out/demo-parties.yaml --regions-out out/regions-2022.csv
	@$(BIN)/sipol-migrate run --source sqlite:///out/demo-legacy.sqlite \
	    --target sqlite:///out/demo-target.sqlite --party-map out/demo-parties.yaml \
	    --regions out/regions-2022.csv --out $(OUT) --log-level WARNING

services:
	@bash scripts/ensure-services.sh

system-deps:
	@bash scripts/install-system-deps.sh

test: $(STAMP) services system-deps
	$(BIN)/pytest -n 2 --dist loadgroup

# Benchmarks: pgloader, the mysql client headers and mysqlclient (extra [fast]) only here.
bench-deps: $(STAMP) services
	@bash scripts/install-bench-deps.sh
	@$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,fast]' 2>&1 | { grep -v 'is ignored' || true; }

bench: bench-deps
	$(BIN)/python scripts/bench.py

bench-4m: bench-deps
	$(BIN)/python scripts/bench.py --members 4000000

clean:
	rm -rf $(VENV) out .prefect .pytest_cache
