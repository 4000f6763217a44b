# Two commands do all set-up on a fresh machine:
#   make run    install, crawl the live Hub if reachable (else the offline simulated demo), open the app
#   make test   install (incl. Debian chromium for the browser test), lint, and run the whole test
#               suite on every core with the package's coverage
PYTHON ?= python3
PORT   ?= 8501
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install browser cypher-lint lint bench demo clean

run: install
	$(BIN)/lineage start --port $(PORT)

# Tests (and every module's doctests) on all cores; coverage of the lineage package: files not
# fully covered, and the total; the 15 slowest tests.
test: install browser cypher-lint lint
	$(BIN)/python -m pytest -n auto --cov=lineage --cov-report=term:skip-covered --durations=15

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# (setuptools warns, in a large box, that any folder named like the package in the working
	# directory may shadow it: true of every editable install, and not an error; not shown.)
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[all,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Debian's chromium drives the end-to-end browser test (playwright never downloads a browser).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y --no-install-recommends chromium; \
	  else sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium; fi; }

# Neo4j's Cypher parser (npm @neo4j-cypher/language-support, pinned in package-lock.json) checks
# the Cypher that exports and the Neo4j push generate; tests say to run this when it is missing.
cypher-lint:
	@test -d tools/cypher-lint/node_modules/@neo4j-cypher/language-support || \
	  npm ci --prefix tools/cypher-lint --no-audit --no-fund --loglevel=error

# ruff (lint rules and formatting) and mypy --strict on the package (settings in pyproject.toml).
lint: install
	$(BIN)/ruff check lineage tests bench app.py
	$(BIN)/ruff format --check lineage tests bench app.py
	$(BIN)/mypy

demo: install
	$(BIN)/lineage demo

bench: install
	$(BIN)/python bench/run_all.py $(if $(MODELS),--models $(MODELS))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* build *.egg-info test-artifacts
