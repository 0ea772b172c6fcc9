# jkwatch: the two commands that matter are `make run` and `make test`; both set everything up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: help install run test test-fast lint format demo bench browser clean FORCE

help:
	@echo "make run    - install, upgrade the database, start scheduler + dashboard (http://localhost:8501)"
	@echo "make test   - install test dependencies and run the whole suite (SQLite; PostgreSQL when reachable)"
	@echo "make demo   - offline demo on synthetic data"
	@echo "make bench  - benchmarks (not part of make test)"
	@echo "make lint   - ruff"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The tagger modules setup.py compiles (ingest/tagging/native.py: COMPILED) and their
# compile-time types: editing one reinstalls, which recompiles. So does a missing build record
# (a fresh checkout, `git clean -X`).
NATIVE_SOURCES  := ingest/tagging/text.py ingest/tagging/results.py ingest/tagging/matcher.py ingest/tagging/scoring.py ingest/tagging/tagger.py
NATIVE_TYPES    := ingest/tagging/matcher.pxd ingest/tagging/scoring.pxd ingest/tagging/tagger.pxd
NATIVE_MANIFEST := ingest/tagging/native-build.json

$(STAMP): pyproject.toml setup.py ingest/tagging/native.py $(NATIVE_SOURCES) $(NATIVE_TYPES) $(if $(wildcard $(NATIVE_MANIFEST)),,FORCE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@$(BIN)/python -W ignore -c "from ingest.tagging import native; print(native.build_status())"
	@touch $(STAMP)

FORCE:

install: $(STAMP)

run: install
	$(BIN)/jkwatch db upgrade
	$(BIN)/jkwatch run

# Headless Chromium for the real-browser dashboard test (Debian package; needs root or sudo).
browser:
	@bash scripts/ensure-chromium.sh || echo "note: Chromium unavailable; browser tests will skip outside CI"

test: install browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -x -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .

demo: install
	$(BIN)/jkwatch demo

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
