# The two commands that matter: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install migrate bench clean client client-test

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

## Serve the app on http://127.0.0.1:8000 with a worker and (without a provider) the
## simulated model. Ctrl-C stops everything.
run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python -m extractor.stack

## Lint, then the whole suite under coverage.py, then its report (settings in
## pyproject.toml). PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set. With
## COVERAGE_FAIL_UNDER=85 (CI) a total under 85 % fails; without, it is only printed.
# An absolute data file: the suite's worker and simulator subprocesses write theirs
# beside it, whatever directory they start in.
# The suite runs in TEST_PROCESSES processes (pytest-xdist; 0: in this one), each with
# its own test database, data folder, queue and cache keys (extractor/testenv.py).
TEST_PROCESSES ?= 2
test: export COVERAGE_FILE := $(CURDIR)/.coverage
test: install lint
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -n $(TEST_PROCESSES); status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests collected"; exit 0; fi; \
	$(BIN)/python -m coverage combine --quiet; \
	if ! $(BIN)/python -m coverage report --fail-under=$${COVERAGE_FAIL_UNDER:-0}; then \
		[ $$status -ne 0 ] || status=2; \
	fi; \
	exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## The TypeScript client (clients/typescript): regenerate its types from the code's
## OpenAPI document (commit openapi.json and src/schema.ts with the change that made them).
CLIENT := clients/typescript
$(CLIENT)/node_modules/.installed: $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

client: install $(CLIENT)/node_modules/.installed
	$(BIN)/python manage.py spectacular --format openapi-json --validate --fail-on-warn \
		--file $(CLIENT)/openapi.json
	cd $(CLIENT) && node scripts/generate.mjs openapi.json src/schema.ts

## The client against a server this starts (see scripts/client-test.sh): its types
## match the served document, `tsc --noEmit` (strict) passes, the workflow test passes.
client-test: install
	scripts/client-test.sh

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.*
