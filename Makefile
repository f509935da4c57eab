# The two commands: `make run` and `make test`. Both set up .venv and the database first; both are idempotent.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
FLASK := $(BIN)/flask --app app
MO := kesu/translations/en/LC_MESSAGES/messages.mo kesu/translations_admin/zh_Hans_CN/LC_MESSAGES/admin.mo
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup db translations bench clean

run: setup
	@$(FLASK) kesu admin-login --url http://$(HOST):$(PORT)
	$(FLASK) kesu demo --once
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) app:app

# The suite runs on SQLite and, when KESU_TEST_DATABASE_URL names a server, on PostgreSQL at the same time (one
# core each); the PostgreSQL run's output follows the SQLite run's. Either failing fails the target.
PG_LOG := $(VENV)/pytest-postgresql.log
# The accessibility check's axe-core, from the npm registry when npm exists (the browser test is skipped without it).
AXE_CORE := axe-core@4.14.1
AXE_STAMP := $(VENV)/node/.$(AXE_CORE)
test: setup $(AXE_STAMP)
	@if [ -n "$$KESU_TEST_DATABASE_URL" ]; then \
		$(BIN)/python -m pytest --basetemp=$(VENV)/tmp-postgresql > $(PG_LOG) 2>&1 & pg=$$!; \
	fi; \
	env -u KESU_TEST_DATABASE_URL $(BIN)/python -m pytest --basetemp=$(VENV)/tmp-sqlite; sqlite=$$?; \
	if [ -n "$$pg" ]; then \
		wait $$pg; postgres=$$?; echo "== the same suite on PostgreSQL =="; cat $(PG_LOG); \
	else postgres=0; fi; \
	exit $$(( sqlite || postgres ))

setup: $(STAMP) translations db

$(AXE_STAMP): $(STAMP)
	@if command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix $(VENV)/node $(AXE_CORE); \
	then touch $@; else echo "axe-core could not be installed with npm; the accessibility check will be skipped"; fi

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

translations: $(MO)

kesu/translations/%.mo: kesu/translations/%.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

kesu/translations_admin/%.mo: kesu/translations_admin/%.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

db: $(STAMP) translations
	$(FLASK) kesu init

bench: setup
	$(BIN)/python bench/panel.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/export.py

clean:
	rm -rf $(VENV) .pytest_cache
