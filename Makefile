# Two commands a newcomer needs: `make run` and `make test` (README.md).
SHELL := /bin/bash
# Debian's Python 3.11 where the machine has it with its venv module (python3.11-venv): built with PGO and LTO,
# as the python:3.11-slim image of the Dockerfile is. The pyenv build first on this machine's PATH has neither
# and takes about a sixth more CPU per API request (bench/README.md, "Eleventh pass"). Elsewhere: python3.
PYTHON ?= $(if $(wildcard /usr/lib/python3.11/ensurepip/__init__.py),/usr/bin/python3.11,python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test contract venv messages system-run system-test system-contract system-bench bench faults lint screenshots clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }  # a half-made one is made again
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

venv: $(STAMP)

## Patient texts in Spanish: the committed .po compiled to the .mo Django reads (gettext's msgfmt).
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
%.mo: %.po
	msgfmt --check-format -o $@ $<

messages: $(MESSAGES)

system-run:
	scripts/ensure-system-packages.sh redis-server:redis-server redis-cli:redis-tools msgfmt:gettext

system-test:
	scripts/ensure-system-packages.sh redis-server:redis-server redis-cli:redis-tools msgfmt:gettext \
		/usr/lib/postgresql/15/bin/initdb:postgresql-15 /usr/bin/chromium:chromium \
		fc-list:fontconfig

system-contract:
	scripts/ensure-system-packages.sh node:nodejs npm:npm

## Migrate the embedded SQLite database, load demo data, start web + worker + beat (Ctrl-C stops all).
run: venv system-run
	$(MAKE) messages
	scripts/run-local.sh

## The whole suite against throwaway PostgreSQL 15 and Redis on loopback.
test: venv system-test
	$(MAKE) messages
	scripts/with-test-services.sh $(PY) -m pytest $(PYTEST_ARGS)

## ruff, mypy (django-stubs, djangorestframework-stubs), import-linter contracts, vulture; all run, any failure fails.
lint: venv
	@status=0; \
	for step in "ruff check ." "mypy" "lint-imports" "vulture"; do \
		echo "== $$step"; $(VENV)/bin/$$step || status=1; \
	done; exit $$status

## Refresh the committed dashboard screenshots in docs/screenshots/ (make test writes to .artifacts/).
screenshots: venv system-test
	$(MAKE) messages
	SCREENSHOT_DIR=docs/screenshots scripts/with-test-services.sh $(PY) -m pytest tests/dashboard -m browser -q

## Generated clients of the served OpenAPI schema (README "API contract"): schema dumped and validated,
## redocly lint, TypeScript types (openapi-typescript) + a typed app flow under strict tsc, and the patient
## and surgeon flows through a generated Python client (openapi-python-client) against a live server.
contract: venv system-test system-contract
	$(MAKE) messages
	cd contract && npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p contract/build
	DJANGO_SETTINGS_MODULE=backend.settings $(PY) manage.py spectacular --format openapi-json \
		--file contract/build/openapi.json --validate --fail-on-warn
	cd contract && npm run --silent lint && npm run --silent generate && npm run --silent typecheck
	scripts/with-test-services.sh $(PY) -m pytest tests/clients tests/recovery/api/test_schema.py -q $(PYTEST_ARGS)

## Benchmarks (not tests): see bench/README.md. fcm-django (a comparison only) goes into .bench-deps,
## outside the project's environment; wrk (Debian) loads the API.
BENCH_DEPS := .bench-deps
$(BENCH_DEPS)/.installed: $(STAMP)
	$(PY) -m pip install --quiet --no-deps --target $(BENCH_DEPS) fcm-django==3.2.0 swapper==1.5.0
	touch $@

system-bench: system-test
	scripts/ensure-system-packages.sh wrk:wrk

bench: venv system-bench $(BENCH_DEPS)/.installed
	$(MAKE) messages
	scripts/with-test-services.sh $(PY) bench/fanout.py $(BENCH_ARGS)

## Fault injection against a stack of its own: sent / delivered / pending / lost per fault (bench/faults.py).
faults: venv system-test
	$(PY) bench/faults.py

clean:
	rm -rf $(VENV) $(BENCH_DEPS) db.sqlite3 media staticfiles .run .pytest_cache .mypy_cache .ruff_cache .artifacts \
		contract/node_modules contract/build
