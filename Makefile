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
	@$(FLASK) kesu admin-login
	$(FLASK) kesu demo --once
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - app:app

# The suite runs on SQLite, then again on PostgreSQL when KESU_TEST_DATABASE_URL names one.
test: setup
	env -u KESU_TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$KESU_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL =="; \
		$(BIN)/python -m pytest; \
	fi

setup: $(STAMP) translations db

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

clean:
	rm -rf $(VENV) .pytest_cache
