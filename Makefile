# The two commands: `make run` (serve the seeded demo) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export TOWNSQUARE_DATABASE_URL ?= sqlite+aiosqlite:///townsquare.db

.PHONY: run test lint check install dev schema clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

run: install
	$(BIN)/townsquare migrate
	$(BIN)/townsquare seed --scenario crisis-response --seed 42
	$(BIN)/townsquare apikey create --org demo --role owner --name make-run
	@echo "GraphiQL: http://$(HOST):$(PORT)/graphql  (send the key above as 'Authorization: Bearer <key>')"
	$(BIN)/townsquare serve --host $(HOST) --port $(PORT)

test: dev
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict domain
	$(BIN)/mypy api simulator
	$(BIN)/lint-imports

check: lint test

schema: dev
	$(BIN)/townsquare export-schema --path schema.graphql

clean:
	rm -rf $(VENV) townsquare.db townsquare.db-wal townsquare.db-shm .pytest_cache .mypy_cache .ruff_cache
