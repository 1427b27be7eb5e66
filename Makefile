# SongLens: `make demo` sets everything up and runs the demo; `make test` runs the tests.
VENV ?= .venv
export VENV

.PHONY: setup demo test test-fast lint bench clean

setup:
	@./scripts/setup.sh

demo: setup
	$(VENV)/bin/songlens demo

# The whole suite, slow tests included (this is what CI runs via .ci/run).
test: setup
	$(VENV)/bin/python -m pytest -q

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/python benchmarks/run.py

clean:
	rm -rf $(VENV) songlens-demo .pytest_cache
