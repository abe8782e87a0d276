# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
IDP := $(VENV)/bin/idp
export IDP_INSTANCE_PATH ?= $(CURDIR)/instance
# PostgreSQL pass of the suite: used when set, or when a server answers on 127.0.0.1:5432
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
DEV_ENV := IDP_ENV=development IDP_KEYS_AUTO_GENERATE=true IDP_MAIL_BACKEND=file

.PHONY: run serve install test test-sqlite test-postgres interop-deps db demo-seed bench lint translations clean

$(VENV)/.installed: setup.cfg setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,postgres,redis,serve]'
	$(PY) -c "from idp.i18n import compile_catalogs; compile_catalogs()"
	touch $@

install: $(VENV)/.installed

## make run: set everything up (venv, install, database, dev keys, demo data) and start the
## IdP with three demo school Stuudiums. Ctrl-C stops them all.
run: install
	$(DEV_ENV) $(IDP) db upgrade
	$(DEV_ENV) $(IDP) demo run

## make serve: the IdP in production on PostgreSQL and Redis, all from the environment
## (IDP_DATABASE_URL, REDIS_URL, IDP_ISSUER, IDP_SECRET_KEY, IDP_KEYS_PASSPHRASE; README
## "Running in production"): migrations first, then `idp serve --with-worker` (granian, one
## worker per CPU, plus the delivery worker). SIGTERM or Ctrl-C stops gracefully.
serve: install
	@test -n "$$IDP_DATABASE_URL" || { echo "set IDP_DATABASE_URL (PostgreSQL), e.g. postgresql://idp:...@127.0.0.1/idp" >&2; exit 2; }
	@test -n "$${IDP_REDIS_URL:-$$REDIS_URL}" || { echo "set REDIS_URL, e.g. redis://127.0.0.1:6379/0" >&2; exit 2; }
	IDP_REDIS_URL="$${IDP_REDIS_URL:-$$REDIS_URL}" $(IDP) db upgrade
	IDP_REDIS_URL="$${IDP_REDIS_URL:-$$REDIS_URL}" exec $(IDP) serve --with-worker

db: install
	$(DEV_ENV) $(IDP) db upgrade

demo-seed: db
	$(DEV_ENV) $(IDP) demo seed

## make test: lint, then the whole suite on SQLite, then on PostgreSQL when one is reachable.
test: install interop-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$IDP_TEST_DATABASE_URL" ] || $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	else \
		echo "PostgreSQL is not reachable on 127.0.0.1:5432: skipping the PostgreSQL pass"; \
	fi

test-sqlite:
	@echo "=== test suite on SQLite ==="
	env -u IDP_TEST_DATABASE_URL $(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-postgres:
	@echo "=== test suite on PostgreSQL ==="
	IDP_TEST_DATABASE_URL="$${IDP_TEST_DATABASE_URL:-$(PG_TEST_URL)}" $(PY) -m pytest -n 2 $(PYTEST_ARGS)

interop-deps: tests/interop/node_modules/.installed

tests/interop/node_modules/.installed: tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --silent
	touch $@

## make bench: our IdP (production, 2 workers, PostgreSQL, Redis) vs panva's oidc-provider on
## loopback, same run (~25 min; BENCH_ARGS=--quick for a few seconds per workload). Reports the
## targets of issue 9 and writes bench/results/<time>/ (JSON, text, PNG chart).
BENCH_ARGS ?=
bench: $(VENV)/.bench-installed bench/peer/node_modules/.installed
	$(PY) -m bench $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[bench,serve,postgres,redis]'
	touch $@

bench/peer/node_modules/.installed: bench/peer/package.json bench/peer/package-lock.json
	cd bench/peer && npm ci --no-audit --no-fund --silent
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

## make lint: ruff (ruff.toml) on everything, mypy --strict on keys/ and schools_client/
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check idp keys schools_client tests bench
	$(VENV)/bin/mypy keys schools_client

translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o /tmp/idp-messages.pot .
	$(VENV)/bin/pybabel update -i /tmp/idp-messages.pot -d idp/translations -l et

clean:
	rm -rf $(VENV) instance tests/interop/node_modules .pytest_cache
