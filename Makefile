# Two commands for a newcomer: `make run` and `make test`. Nothing but python3 and make is needed; the
# Python packages come from PyPI at the versions and hashes in requirements.lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgres ci install install-checker migrate lint format check bench clean lock upgrade api-fuzz css

# Installs exactly what requirements.lock pins, each file checked against its hash, then PeerPlan itself
# (no dependencies of its own to resolve, built with the locked setuptools).
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

# The Nu HTML Checker the browser tests run on every page they visit (npm's vnu-jar, exactly as
# package-lock.json pins it; run by Java). --ignore-scripts: its postinstall would fetch a Java runtime.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

install-checker: node_modules/.installed

# The lock file: every runtime and test dependency (and the build backend) at an exact version with its
# hashes, resolved from pyproject.toml by pip-tools from PyPI. `make lock` after changing pyproject.toml's
# dependencies (keeps every other pin); `make upgrade` to move everything to the newest releases the
# bounds in pyproject.toml allow (then run the suite and commit both files).
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --extra test --generate-hashes --allow-unsafe --strip-extras \
	--all-build-deps --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml
$(VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools

lock: $(VENV)/bin/pip-compile
	$(PIP_COMPILE)

upgrade: $(VENV)/bin/pip-compile
	$(PIP_COMPILE) --upgrade
	$(MAKE) install

migrate: install
	DEBUG=true $(PY) manage.py migrate --noinput

# A living app for a newcomer: the demo organisation (local accounts only; seed_demo skips what exists).
run: migrate
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# The suite in TEST_PROCESSES processes (pytest-xdist), each with its own test database and cache. Tests are
# handed out one by one in pytest-django's order, so each process runs every test on the migrated database
# before any test that flushes it (live server, transactional); a test file to a process (loadfile) would
# break that order where a file has both kinds. TEST_PROCESSES=0 runs it in this one process, as `pytest` does.
TEST_PROCESSES ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_PROCESSES) --dist load
test: install install-checker
	$(PYTEST) $(PYTEST_ARGS)

# The whole suite on a throwaway PostgreSQL server on 127.0.0.1:$(PG_PORT) (as root: it installs
# PostgreSQL if missing, runs the server as the postgres user, and stops it afterwards).
PG_PORT ?= 5439
test-postgres: install install-checker
	bash -c 'set -e; export PG_PORT=$(PG_PORT); source .ci/postgres.sh; trap pg_stop EXIT; pg_start; \
	  echo "DATABASE_URL=$$DATABASE_URL"; $(PYTEST) $(PYTEST_ARGS)'

# Schemathesis against the live API with many more examples per operation than the normal suite's 25
# (tests/test_api_fuzz.py): `make api-fuzz API_FUZZ_EXAMPLES=1000 API_FUZZ_SEED=20261126` for another run.
API_FUZZ_EXAMPLES ?= 200
api-fuzz: install
	API_FUZZ_EXAMPLES=$(API_FUZZ_EXAMPLES) $(PY) -m pytest tests/test_api_fuzz.py $(PYTEST_ARGS)

# What CI runs: checks, then the suite on SQLite and on PostgreSQL.
ci:
	bash .ci/run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	DEBUG=true $(PY) manage.py check
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# The one stylesheet pages load, static/css/site.css: Bootstrap without the rules no template, script or form
# uses, then static/css/tokens.css, peerplan.css and tracking.css. Run it after changing any of them or a
# template's classes (tests/test_site_css.py fails until it is run).
css: install
	DEBUG=true $(PY) manage.py build_site_css

clean:
	rm -rf $(VENV) staticfiles test-output .pytest_cache node_modules

# The benchmark (bench/README.md): seeds 1,000 organisations into bench/results/, starts gunicorn on
# 127.0.0.1:8110 and measures each page against Django's floor. `make bench BENCH_ARGS=--quick` for a short run.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)
