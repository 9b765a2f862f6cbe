# ferroapi — `make help` lists the targets. The README's two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
RUST_SOURCES := $(shell find rust -name '*.rs') Cargo.toml Cargo.lock
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.9,<2"
	@touch $@

$(STAMPS)/develop: $(STAMPS)/venv $(RUST_SOURCES)
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin develop -q --release -E test,lint
	@# An editable install leaves out the wheel's start-up hook (FERROAPI_FASTAPI_ALIAS): put it in place.
	cp ferroapi_fastapi_alias.pth "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
	@touch $@

.PHONY: setup
setup: $(STAMPS)/develop ## create .venv, install dependencies, build the extension (release)

.PHONY: run
run: setup ## serve examples/app.py on 127.0.0.1:8000
	$(VENV)/bin/ferroapi run examples/app.py --host $(HOST) --port $(PORT)

.PHONY: test
test: setup lint test-rust test-python ## set up, lint, run every test (Rust core + Python)

.PHONY: test-rust
test-rust: ## cargo tests of the pure Rust core (property tests bounded)
	cargo test --quiet

.PHONY: test-python
test-python: setup ## pytest (excludes the slow marker)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

.PHONY: lint
lint: setup ## cargo fmt, clippy -D warnings, ruff, mypy --strict, stubtest of the native module
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --features python -- -D warnings
	$(VENV)/bin/ruff check python tests benches examples scripts
	$(VENV)/bin/ruff format --check python tests benches examples scripts
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest ferroapi._ferroapi

.PHONY: fmt
fmt: setup ## format Rust and Python
	cargo fmt
	$(VENV)/bin/ruff format python tests benches examples scripts
	$(VENV)/bin/ruff check --fix python tests benches examples scripts

.PHONY: fuzz
fuzz: setup ## long property runs: router vs its oracle (1M cases), decoder/SSE/JSONL (100k), Python side vs starlette/json.loads/FastAPI
	FERRO_PROPTEST_CASES=1000000 cargo test --release --quiet router::
	FERRO_PROPTEST_CASES=100000 cargo test --release --quiet -- --skip router::
	$(PY) -m pytest -m slow tests/native

.PHONY: bench
bench: setup ## micro and app benchmarks: ferroapi vs the Python/FastAPI equivalent, ratios in one run
	$(PY) benches/run.py

.PHONY: wheel
wheel: $(STAMPS)/venv ## build a release wheel into dist/
	$(VENV)/bin/maturin build --release --out dist

.PHONY: conformance
conformance: setup ## run FastAPI 0.165.0's own test suite against ferroapi (imports aliased; FERRO_CONFORMANCE_CACHE=dir to isolate a run)
	$(PY) scripts/conformance.py $(CONFORMANCE_ARGS)

.PHONY: ecosystem
ecosystem: setup ## the test suites of FastAPI extensions (pinned sdists) on ferroapi, scored against FastAPI
	$(PY) scripts/ecosystem.py $(ECOSYSTEM_ARGS)

.PHONY: ecosystem-quick
ecosystem-quick: setup ## a bounded subset of `make ecosystem` (a few test files per extension)
	$(PY) scripts/ecosystem.py --quick $(ECOSYSTEM_ARGS)

.PHONY: unchanged-app
unchanged-app: setup ## an unmodified FastAPI app + extension under ferroapi run vs FastAPI, fresh venv (PyPI)
	$(PY) -m pytest -m slow tests/e2e/test_unchanged_fastapi_app.py $(PYTEST_ARGS)

.PHONY: clean
clean: ## remove build products and the virtualenv
	rm -rf $(VENV) $(STAMPS) target dist .conformance
