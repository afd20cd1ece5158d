# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REPRISE := $(VENV)/bin/reprise
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_TEST_DB ?= reprise_test
PG_URL ?= postgresql://postgres@$(PG_HOST):$(PG_PORT)/$(PG_TEST_DB)
PORT ?= 5000
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard server/translations/*/LC_MESSAGES/messages.po mobile/locale/*/LC_MESSAGES/*.po))

.PHONY: run test test-sqlite test-postgres lint system-deps translations messages mobile bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,mobile]"
	touch $@

%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@

translations: $(CATALOGUES)

## Re-extract the server's messages and merge them into the catalogues (then translate)
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F server/translations/babel.cfg -k lazy_gettext \
		-o server/translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i server/translations/messages.pot -d server/translations \
		--no-fuzzy-matching --ignore-obsolete

## The server with demo data on SQLite, on http://127.0.0.1:5000, and its scheduler
run: $(VENV)/.installed translations
	$(REPRISE) db upgrade
	$(REPRISE) demo-data
	@# The scheduler (daily sweep, reminders, digest, outbox) runs beside the web server.
	$(REPRISE) scheduler & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
		$(REPRISE) serve --bind 127.0.0.1:$(PORT)

## Everything: lint, the suite on SQLite, then on PostgreSQL
test: system-deps $(VENV)/.installed translations lint test-sqlite test-postgres

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(wildcard server shared mobile tests bench synthetic)
	$(VENV)/bin/lint-imports

test-sqlite: $(VENV)/.installed translations
	env -u DATABASE_URL $(PY) -m pytest -q

test-postgres: $(VENV)/.installed translations
	@if $(PY) .ci/pg_ready.py "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(PY) -m pytest -q; \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL does not answer on $(PG_HOST):$(PG_PORT): CI must test it" >&2; exit 1; \
	else \
		echo "PostgreSQL does not answer on $(PG_HOST):$(PG_PORT): skipped its pass"; \
	fi

system-deps:
	bash .ci/system-deps

mobile: $(VENV)/.installed translations
	$(PY) -m mobile --server http://127.0.0.1:5000

## Benchmarks (PostgreSQL on 127.0.0.1; the 100,000-patient cohort is generated once)
bench: $(VENV)/.installed translations
	$(PY) bench/ingest_bench.py
	$(PY) bench/mobile_bench.py
	$(PY) bench/sweep_bench.py --patients 100000
	$(PY) bench/web_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis artifacts
