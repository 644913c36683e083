# slawatch: every target installs what it needs (venv, Python packages, Kafka jars).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install kafka-jars browser run test test-faults bench lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'pip==26.3'
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Fetches the Kafka broker's jars from Maven Central once; cached under ~/.cache/slawatch.
kafka-jars: install
	$(BIN)/slawatch kafka fetch

# The main job on the embedded defaults: local Kafka broker + embedded ClickHouse.
run: install kafka-jars
	$(BIN)/slawatch run

# Unit, component and integration tests (real broker, embedded ClickHouse).
test: install kafka-jars browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Debian's Chromium for the status-page browser tests (CI runs as root on a clean machine);
# Playwright drives it by path, so `playwright install` is never needed.
browser:
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# Every fault-injection test, the slow ones included.
test-faults: install kafka-jars
	$(BIN)/pytest -m faults --run-slow-faults $(PYTEST_ARGS)

bench: install kafka-jars
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .slawatch .pytest_cache .mypy_cache .ruff_cache artifacts
