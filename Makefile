# The two commands of the README: `make run` (serve the bundled facts) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8743

.PHONY: run test check bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/policyeval serve --policies policies --facts facts --host $(HOST) --port $(PORT)

test: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/policyeval check --policies policies --facts facts
	$(BIN)/pytest -q

bench: $(BIN)/.installed
	$(BIN)/python bench/engine_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
