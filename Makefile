# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
# With DATABASE_URL / CELERY_BROKER_URL set (see .env.example) both use PostgreSQL and Redis.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails and set-password links point at the server `make run` starts.
ALIGNMENT_BASE_URL ?= http://$(HOST):$(PORT)
export ALIGNMENT_BASE_URL

.PHONY: install run test lint format migrate seed bench

$(VENV)/installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/installed .env

.env:
	cp .env.example .env

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Web (the whole site under uvicorn, so the live stream /api/events/ is on the same origin), Celery
# worker and beat together; Ctrl-C stops all three.
run: seed
	@# Web, worker and beat print a lot while they start: say where to go once they are up.
	@trap 'kill $$worker $$beat $$banner 2>/dev/null; wait $$worker $$beat' INT TERM EXIT; \
	$(VENV)/bin/celery -A alignment worker --loglevel=INFO --concurrency=2 & worker=$$!; \
	$(VENV)/bin/celery -A alignment beat --loglevel=INFO & beat=$$!; \
	( sleep 8; \
	  echo; \
	  echo "  Alignment is running on http://$(HOST):$(PORT)/"; \
	  echo "  Log in as marketer, marketer2, rep, rep2 or manager, password: $${DEMO_PASSWORD:-demo}"; \
	  echo "  API docs: http://$(HOST):$(PORT)/api/docs/   Ctrl-C stops web, worker and beat."; \
	  echo ) & banner=$$!; \
	$(VENV)/bin/uvicorn alignment.asgi:application --host $(HOST) --port $(PORT) --timeout-graceful-shutdown 2 --reload --reload-dir alignment --reload-dir leads --reload-dir feedback --reload-dir scoring --reload-dir planning --reload-dir dashboard --reload-dir demo --reload-dir templates

test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The pages and list APIs at 20,000 leads and at BENCH_LEADS, in a throwaway PostgreSQL database
# beside DATABASE_URL's (bench/pages.py); capture beside a bare DRF view, bulk capture and the import
# beside COPY (bench/capture.py, bench/bulk.py: a few minutes), the same 1,000 rows taken apart step
# by step (bench/bulk_anatomy.py: what bounds them); generate_leads beside COPY
# (bench/generate.py); the lead score's training, rescore, explanation and inbox (bench/scoring.py:
# a few minutes at 100,000 leads); campaign planning's evidence, voice of sales, plan and meeting
# page beside a GROUP BY at 20,000 leads and at BENCH_LEADS (bench/planning.py). Together about 25
# minutes on a small machine.
BENCH_LEADS ?= 200000
# Each script prints its own table as it goes; the last one gathers every figure beside its baseline.
BENCH_SUMMARY := var/bench-summary.jsonl
bench: install
	@mkdir -p var && rm -f $(BENCH_SUMMARY)
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/pages.py --small 20000 --large $(BENCH_LEADS)
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/capture.py --seconds 10 --rounds 1
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/bulk.py --requests 10 --rows 20000
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/bulk_anatomy.py --leads 100000
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/generate.py --sizes $(BENCH_LEADS)
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/live.py --streams 500 --samples 100 --leads $(BENCH_LEADS)
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/scoring.py --leads 100000 --runs 5
	BENCH_SUMMARY=$(BENCH_SUMMARY) $(PY) bench/planning.py --sizes 20000 $(BENCH_LEADS)
	@echo; $(PY) bench/summary.py $(BENCH_SUMMARY)
