# One entry point for people and CI. `make demo` and `make test` work on a bare machine with python3.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help install demo test test-fast lint fix bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,llm,bench]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)  ## create .venv and install scholarbot with dev extras

demo: $(STAMP)  ## ingest the bundled sample into vectorstore/demo and answer the example question
	$(VENV)/bin/scholarbot demo

test: $(STAMP)  ## run every test, the Chroma-server integration tests included
	$(PY) -m pytest

test-fast: $(STAMP)  ## skip the integration tests
	$(PY) -m pytest -m "not integration"

lint: $(STAMP)  ## ruff and mypy
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy src

fix: $(STAMP)  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts
	$(VENV)/bin/ruff format src tests benchmarks scripts

bench: $(STAMP)  ## run the benchmarks on ../shared (minutes)
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/answers.py

clean:  ## remove the virtualenv and local stores
	rm -rf $(VENV) vectorstore/demo
