# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The tests run against real PostgreSQL and Redis (see README).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracing
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The whole app on one machine with no servers: SQLite, a filesystem broker, a real
# Celery worker and beat beside the web server.
# The demo calls at any hour (opening and closing at the same time), so it can be
# tried in the evening; the service's own calling hours are 08:00-20:00.
DEMO_HOURS = CALLING_HOURS_OPEN=$${CALLING_HOURS_OPEN:-08:00} CALLING_HOURS_CLOSE=$${CALLING_HOURS_CLOSE:-08:00}

run: install
	mkdir -p var/celery-broker/out var/celery-broker/processed var/celery-broker/control
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(DEMO_HOURS) CACHE_DIR=$(CURDIR)/var/cache SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py seed_demo
	DEBUG=true $(DEMO_HOURS) TWO_FACTOR_REQUIRED_FOR=none SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py run_embedded --host $(HOST) --port $(PORT)

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --create-db $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Each benchmark makes and fills its own PostgreSQL database (tracing_bench*); pass
# BENCH_ARGS=--scale=0.1 for a quick run (and LOAD_ARGS='--cases 10000 --seconds 5'
# for the pages under load, which need wrk). The capacity backtest needs no database.
# The benches with a yardstick record their ratios in BENCH_SUMMARY (emptied first),
# printed at the end as one table (bench/summary.py).
BENCH_SUMMARY ?= $(CURDIR)/var/bench/summary.jsonl
bench: install
	mkdir -p $(dir $(BENCH_SUMMARY)) && rm -f $(BENCH_SUMMARY)
	env -u DATABASE_URL $(BIN)/python bench/assignment.py --summary $(BENCH_SUMMARY) $(BENCH_ARGS)
	env -u DATABASE_URL $(BIN)/python bench/intake.py --summary $(BENCH_SUMMARY) $(BENCH_ARGS)
	env -u DATABASE_URL $(BIN)/python bench/matching.py $(BENCH_ARGS)
	env -u DATABASE_URL $(BIN)/python bench/pages.py
	env -u DATABASE_URL $(BIN)/python bench/load.py --summary $(BENCH_SUMMARY) $(LOAD_ARGS)
	env -u DATABASE_URL $(BIN)/python bench/scale.py $(BENCH_ARGS)
	env -u DATABASE_URL $(BIN)/python bench/purge.py $(BENCH_ARGS)
	$(BIN)/python bench/capacity.py
	env -u DATABASE_URL $(BIN)/python bench/season.py
	$(BIN)/python bench/summary.py $(BENCH_SUMMARY)

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
