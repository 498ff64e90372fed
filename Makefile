# canbao — make run: set up and run the main job; make test: every test tier.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system-packages run test lint unit rules e2e integration scenarios bench policy-check clean

# The virtual environment, and the system packages of the test tiers (PostgreSQL server, Java).
setup: $(VENV)/.installed system-packages

# Debian's postgresql-15 and Java 17 where missing (apt-get as root; otherwise it says what to install).
system-packages:
	@bash scripts/install-system.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The main job: the service (REST API) on the default SQLite database; on first start it loads
# the demo population and prints the demo users' passwords once.
run: setup
	$(BIN)/canbao serve

# Every tier in one pytest run, after lint, type checks and the policy data check.
test: setup lint policy-check
	$(BIN)/pytest --durations=15

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy

policy-check: setup
	$(BIN)/canbao policy check

unit: setup
	$(BIN)/pytest tests/unit

rules: setup
	$(BIN)/pytest tests/rules

e2e: setup
	$(BIN)/pytest tests/e2e

# The integration suite, each test on SQLite and on a private PostgreSQL server.
integration: setup
	$(BIN)/pytest tests/integration

# The example decision cases of ../shared/scenarios through the command line (CI runs it
# after `make test`; the repository's own suite does not need ../shared).
scenarios: setup
	$(PYTHON) ../shared/tools/check_scenarios.py ../shared/scenarios .

# Decisions per second, written with the machine's size to docs/benchmarks.md.
bench: setup
	$(BIN)/canbao bench decide --write

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
