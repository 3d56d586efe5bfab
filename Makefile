# Two commands that work on a fresh machine with Python >= 3.10 and pip:
#   make run    set everything up (first time only) and open the app
#   make test   set everything up (first time only) and run lint + the whole test suite
# (`make setup` only sets up.) The `fwlearn` command lands in .venv/bin: run it as
# .venv/bin/fwlearn, or `source .venv/bin/activate` to have it on PATH.
# The venv is updated when pyproject.toml or the constraints file changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fwlearn-installed
CONSTRAINTS := fwlearn/constraints.txt
# CPU builds for tests; learners with their own CUDA builds install fwlearn[torch] etc. instead.
EXTRAS := torch,tensorflow-cpu,data,serve,export,dev

.PHONY: setup run test test-fast check-course browser check lint format bench clean

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/fwlearn

# The tests that import no framework spread over the cores; the real runs (frameworks, slow)
# go one at a time: they already use both cores, and their limits are timed.
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -m "not frameworks and not soak and not slow" -n auto
	$(BIN)/python -m pytest -q -m "(frameworks or slow) and not soak and not course"

# The whole course on every installed Keras backend (~40 s a lesson on 2 cores), and every
# program under plain python. `make test` runs a sample of both and checks that every lesson's
# full-check stamp matches its files: after
# changing a lesson, run `fwlearn check --lesson ID --record` (or `make check-course RECORD=1`).
check-course: $(STAMP)
	$(BIN)/fwlearn check --jobs 2 $(if $(RECORD),--record)
	$(BIN)/python -m pytest -q -m course

# The loop to run while editing: lint, types, the unit tests and the Pilot tests on a fake engine
# (no framework, no worker process), in parallel. The engine's own tests and the SVG snapshots
# are in `make test`. Two pytest workers a core: a Pilot test spends about a third of its wall
# time waiting on the app's timers (cpu and wall per test, serial run, 2 cores: 100 s of CPU
# in 145 s), so a second worker a core fills that time. On 2 cores the tier went from 93 s with
# -n auto to 70 s with -n 4 (`time pytest -m ... -n N`, 2026-12-02); -n 6 gained nothing.
# Bytecode caching stays on for it: where the environment turns it off (these machines set
# PYTHONDONTWRITEBYTECODE=1), every worker compiled every module and test file again, 3.8 s of
# CPU a worker instead of 1.9 s (`time pytest --collect-only -m ...`).
FAST_WORKERS := $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) )))
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q \
		-m "not frameworks and not soak and not slow and not engine and not snapshot" -n $(FAST_WORKERS)

# tests/web drives a real headless browser: Debian's chromium, installed with apt where this can
# (root and apt-get); elsewhere the test is skipped and pytest's summary says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& echo "installing chromium for the browser test (apt)" \
		&& { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
			|| { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; }; } \
		|| echo "note: chromium not installed (needs root and apt): the browser test will be skipped"

check: format test

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# PYTHONWARNINGS: setuptools notes on every editable install of a non-src layout that folders
# named like the package may shadow it; here fwlearn/ is the package itself, so it only adds
# ten lines of noise to the first `make run`.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" \
		$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	touch $(STAMP)
	@echo "fwlearn is installed in $(VENV): run $(BIN)/fwlearn, or 'source $(BIN)/activate' first"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
