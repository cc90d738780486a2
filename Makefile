# The README's commands.  `make serve` and `make test` work on a fresh clone:
# they create .venv and install the project from its own files.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := $(wildcard core/pyproject.toml plugins/*/pyproject.toml) requirements-dev.txt

.PHONY: serve test bench lint install clean

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Serve the whole system on http://127.0.0.1:8000 (SQLite in var/, demo data on first run).
## The demo's histogram store and open targets' data products are readable without credentials
## (DEMO_GRANTS, anonymous_read); writes still need a token (`sciplane tokens create observer`).
DEMO_GRANTS ?= ["dqm.read"]
serve: $(STAMP)
	$(BIN)/sciplane migrate
	$(BIN)/sciplane demo --if-empty
	SCIPLANE__AUTH__GRANTS__ANONYMOUS='$(DEMO_GRANTS)' SCIPLANE__PLUGINS__DATAPRODUCTS__ANONYMOUS_READ=true \
		$(BIN)/sciplane serve

## Run the test suite (SQLite; set SCIPLANE_TEST_DATABASE_URL for PostgreSQL).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Run the benchmarks against gunicorn and PostgreSQL (prints ratios to targets).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var
