# Two commands for a newcomer: `make run` and `make test`. Both start with `make setup`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench migrate clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt scripts/system-packages
	@scripts/system-packages
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: setup
	$(BIN)/python -m dispatcher run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	@scripts/system-packages test
	$(BIN)/python -m pytest

$(VENV)/.bench-installed: $(STAMP) requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	@touch $@

bench: setup $(VENV)/.bench-installed
	$(BIN)/python -m bench

migrate: setup
	$(BIN)/python -m dispatcher migrate

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
