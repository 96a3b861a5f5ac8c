# Two commands matter: `make run` and `make test`. Both build the virtualenv from pinned versions.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DATA_DIR ?=
STORE_DIR ?= var/store
HOST ?= 127.0.0.1
PORT ?= 8000
# make test runs on this many pytest-xdist workers: one more than the machines' 2 cores, as many
# tests wait on a child (a server, Chromium, Spark's JVM, a killed load); measured from a clean
# clone: 17 min 53 s on 2 workers, 16 min 23 s to 18 min 30 s on 3, then 13 min 24 s on 3 with
# the Spark files on one worker (README, layout table)
TEST_WORKERS ?= 3

.PHONY: setup run test lint bench load clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Front-end assets (GraphiQL, Swagger UI, NHS.UK frontend, axe-core) from npm, served by the app
# itself: no page loads anything from another host. Without npm the pages say what is missing.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: GraphiQL, /docs and the dashboards' styles need 'npm ci' (Node 20)"; fi

setup: $(BIN)/.installed node_modules/.package-lock.json

# Loads the embedded sample (or DATA_DIR=../shared/data for the national files), then serves.
run: setup
	$(BIN)/nhskg --store $(STORE_DIR) load-all $(if $(DATA_DIR),--data-dir $(DATA_DIR),)
	$(BIN)/nhskg --store $(STORE_DIR) serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check $(wildcard service tests bench)
	$(BIN)/ruff format --check $(wildcard service tests bench)
	$(BIN)/mypy service

test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
