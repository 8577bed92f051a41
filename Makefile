# PKSAI — see README.md. Everything installs into .venv; data lives in var/.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
PKSAI := $(VENV)/bin/pksai
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint format bench messages clean lock db-roles

$(VENV)/.installed: pyproject.toml requirements/dev.lock
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements/dev.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	@# Bytecode now, even where PYTHONDONTWRITEBYTECODE is set: seconds off every start.
	$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" pksai
	@touch $@

install: $(VENV)/.installed ## create .venv and install the locked dependencies

var/secret_key: | $(VENV)/.installed
	@mkdir -p var
	@$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

# Keys of the encrypted fields and of the keyed NIK hash (decision 0024): local use only;
# production sets PKSAI_FIELD_KEYS / PKSAI_NIK_HASH_KEY or provides the files.
var/field_keys var/nik_hash_key: | $(VENV)/.installed
	@mkdir -p var
	@$(PY) -c "import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('='))" > $@
	@chmod 600 $@

KEYS := var/secret_key var/field_keys var/nik_hash_key

run: install $(KEYS) ## install, migrate, load areas + demo data, serve on http://$(HOST):$(PORT)
	$(PKSAI) migrate --no-input
	$(PKSAI) load-areas --if-empty
	DEBUG=1 $(PKSAI) demo --if-empty  # the demo refuses to run with DEBUG off
	$(PKSAI) collectstatic --no-input --verbosity 0
	$(PKSAI) serve $(HOST):$(PORT)

db-roles: install $(KEYS) ## PostgreSQL: create/correct the owner (DATABASE_OWNER) and application (DATABASE_URL) roles as DATABASE_ADMIN_URL; DB_ROLES_ARGS=--owner-createdb for test runs
	$(PKSAI) db-roles $(DB_ROLES_ARGS)

test: install $(KEYS) ## the whole suite (DATABASE_URL selects the database; SQLite by default; with DATABASE_OWNER it runs as the application role)
	@scripts/ensure-chromium
	@scripts/ensure-haproxy
	$(VENV)/bin/pytest -n auto --create-db

test-fast: install $(KEYS) ## the suite without the browser tests
	@scripts/ensure-haproxy
	$(VENV)/bin/pytest -n auto --create-db -m "not browser"

lint: install ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install $(KEYS) ## benchmarks in benchmarks/
	$(PY) -m benchmarks

messages: install ## extract and compile the translation catalogues
	cd pksai && ../$(PKSAI) makemessages -l id -l en --no-obsolete --no-location
	cd pksai && ../$(PKSAI) compilemessages

clean:
	rm -rf $(VENV) build *.egg-info

lock: ## re-pin requirements/*.lock after changing dependencies in pyproject.toml
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --generate-hashes -q -o requirements/base.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.12 --generate-hashes -q -o requirements/dev.lock
