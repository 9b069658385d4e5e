# Two commands on a fresh clone: `make run` (the site with the sample report) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# One test process a core (pytest-xdist); PYTEST_ARGS= runs them in this process.
PYTEST_ARGS ?= -n auto
# Local serving only: plain HTTP on loopback, so cookies must not demand HTTPS.
RUN_ENV := DEBUG=0 ALLOWED_HOSTS=$(HOST),localhost SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
	SECRET_KEY="$$(cat var/secret_key)"

.PHONY: run test lint messages clean

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.runtime

var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: $(VENV)/.runtime var/secret_key
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(RUN_ENV) $(BIN)/python manage.py load_sample
	@$(RUN_ENV) $(BIN)/python manage.py ensure_admin --site http://$(HOST):$(PORT)
	@echo "Public site: http://$(HOST):$(PORT)/   (Ctrl-C or SIGTERM to make stops the server)"
	@# exec: gunicorn takes the shell's place, so the SIGTERM make passes to its child on a
	@# `kill <make's pid>` reaches gunicorn, which shuts down (issue 14.12).
	$(RUN_ENV) BIND=$(HOST):$(PORT) exec $(BIN)/gunicorn -c config/gunicorn.conf.py

# The suite on the default database (SQLite), then the tests marked postgresql on a throwaway
# PostgreSQL when one answers (tests/postgresql.sh; TEST_POSTGRES_URL picks another server).
test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	tests/postgresql.sh $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

messages: $(VENV)/.dev
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=bench --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages -l en -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
