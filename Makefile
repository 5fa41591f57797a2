# ssj — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared services/registry services/draw services/inspection services/disclosure services/notify cli
STAMP := $(VENV)/.installed

.PHONY: install run test lint fmt bench chaos services-up services-down clean

install: $(STAMP) deploy/kafka/lib/.fetched
	deploy/local/ensure-chromium.sh

COMPILED := services/draw/setup.py services/draw/src/draw/_fastkeys.c services/registry/setup.py services/registry/src/registry/_checks.c

$(STAMP): $(foreach p,$(PACKAGES),$(p)/pyproject.toml) requirements-dev.txt $(COMPILED)
	deploy/local/ensure-build-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt $(foreach p,$(PACKAGES),-e $(p)) -r requirements-dev.txt
	touch $(STAMP)

deploy/kafka/lib/.fetched: deploy/kafka/pom.xml
	deploy/local/kafka.sh fetch
	touch $@

## make run: the whole system on the embedded default (SQLite + embedded log), demo data, URLs printed
run: $(STAMP)
	$(BIN)/ssj dev up

## make test: lint + the whole suite on real PostgreSQL and Kafka (started here if not running)
test: install
	deploy/local/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/src services/*/src cli/src

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	deploy/local/with-services.sh $(BIN)/python bench/run.py

## make chaos: outage-and-crash run (10,000 inspections) and scale-out (1 vs 2 workers); minutes, not seconds
chaos: install
	deploy/local/with-services.sh $(BIN)/python tests/chaos/chaos.py
	deploy/local/with-services.sh $(BIN)/python tests/chaos/chaos.py --scale --inspections 3000

services-up: install
	deploy/local/postgres.sh start
	deploy/local/kafka.sh start

services-down:
	deploy/local/kafka.sh stop
	deploy/local/postgres.sh stop

clean: services-down
	rm -rf var $(VENV)
