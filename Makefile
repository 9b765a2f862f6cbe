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
# `make soak`: seconds of load (the report goes to benches/results/soak-latest.txt).
SOAK_SECONDS ?= 600
# CPython versions of `make wheel` and `make test-pythons` (pyenv's, else pythonX.Y on PATH: scripts/find-python).
WHEEL_PYTHONS ?= 3.10 3.11 3.12 3.13
TEST_PYTHONS ?= 3.10 3.12 3.13
E2E_SECONDS ?= 5
# maturin finds zig (`python -m ziglang`) and installs into the venv through these.
MATURIN_ENV = VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# pip >= 25.1 installs PEP 735 dependency groups (--group).
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	$(PY) -m pip install -q "maturin>=1.9,<2"
	@touch $@

# What serving needs: the package, its dependencies and the `standard` extra (uvicorn...). Nothing else.
$(STAMPS)/develop: $(STAMPS)/venv $(RUST_SOURCES)
	@echo "Building the Rust extension (release build; the first one takes a few minutes)"
	$(MATURIN_ENV) $(VENV)/bin/maturin develop --release -E standard
	@# An editable install leaves out the wheel's start-up hook (FERROAPI_FASTAPI_ALIAS): put it in place.
	cp ferroapi_fastapi_alias.pth "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
	@touch $@

# The development-only dependency groups of pyproject.toml (never published with the package).
$(STAMPS)/group-%: $(STAMPS)/venv pyproject.toml
	$(PY) -m pip install -q --group $*
	@touch $@

.PHONY: setup
setup: $(STAMPS)/develop ## create .venv, install what serving needs, build the extension (release)

.PHONY: setup-dev
setup-dev: setup $(STAMPS)/group-dev ## setup + the development tools (dependency groups test, lint, docs)

.PHONY: run
run: setup ## serve examples/app.py on 127.0.0.1:8000
	$(VENV)/bin/ferroapi run examples/app.py --host $(HOST) --port $(PORT)

.PHONY: test
test: setup-dev lint test-rust test-python ## set up, lint, run every test (Rust core + Python)

.PHONY: test-rust
test-rust: ## cargo tests of the pure Rust core (property tests bounded)
	cargo test --quiet

.PHONY: test-python
test-python: setup-dev ## pytest (excludes the slow marker)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

.PHONY: lint
lint: lint-rust lint-python ## lint-rust, then lint-python

.PHONY: lint-rust
lint-rust: ## cargo fmt --check, clippy -D warnings (all targets; the python feature)
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --features python -- -D warnings

.PHONY: lint-python
lint-python: setup-dev ## ruff, mypy (the package --strict, tests/ as pyproject.toml says), stubtest of the native module
	$(VENV)/bin/ruff check python tests benches examples scripts docs/hooks
	$(VENV)/bin/ruff format --check python tests benches examples scripts docs/hooks
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest ferroapi._ferroapi

.PHONY: fmt
fmt: setup-dev ## format Rust and Python
	cargo fmt
	$(VENV)/bin/ruff format python tests benches examples scripts
	$(VENV)/bin/ruff check --fix python tests benches examples scripts

.PHONY: fuzz
fuzz: setup-dev ## long property runs: router vs its oracle (1M cases), decoder/SSE/JSONL (100k), Python side vs starlette/json.loads/FastAPI
	FERRO_PROPTEST_CASES=1000000 cargo test --release --quiet router::
	FERRO_PROPTEST_CASES=100000 cargo test --release --quiet -- --skip router::
	$(PY) -m pytest -m slow tests/native

# cargo-fuzz (libFuzzer) targets in fuzz/ (its own crate and workspace; nightly toolchain).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= router json sse

.PHONY: fuzz-native
fuzz-native: ## libFuzzer targets: router vs its ordered oracle, JSON decoder vs serde_json, SSE framing (FUZZ_SECONDS=60 each)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	@rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  nice -n 19 cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) \
	    $$(test -f dict/$$t.dict && echo -dict=dict/$$t.dict) || exit 1; done

.PHONY: bench
bench: setup-dev ## micro and app benchmarks: ferroapi vs the Python/FastAPI equivalent, ratios in one run
	$(PY) benches/run.py

.PHONY: bench-instr
bench-instr: setup-dev ## instructions per request (callgrind) of ferroapi, FastAPI, Starlette and raw ASGI on the same scenarios
	@mkdir -p benches/results
	$(PY) benches/instructions.py frameworks --json benches/results/instructions.json

.PHONY: bench-memory
bench-memory: setup-dev ## bytes allocated/retained per request (in process) and RSS per open SSE stream and websocket (uvicorn), ferroapi vs FastAPI
	@mkdir -p benches/results
	$(PY) benches/memory.py --json benches/results/memory.json

.PHONY: bench-startup
bench-startup: setup-dev ## import time of ferroapi vs fastapi and the build of a 1,000-route app: time, memory, callgrind instructions
	@mkdir -p benches/results
	$(PY) benches/startup.py --json benches/results/startup.json

.PHONY: bench-e2e
bench-e2e: setup-dev ## end to end: ferroapi, FastAPI, Starlette, raw ASGI under uvicorn and granian, wrk on 127.0.0.1 (E2E_SECONDS per row)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
	@mkdir -p benches/results
	$(PY) benches/e2e.py --seconds $(E2E_SECONDS) --json benches/results/e2e.json

.PHONY: bench-fanout
bench-fanout: setup-dev ## broadcast fan-out: events/s delivered to 10 and 100 SSE subscribers across 2 uvicorn workers through redis-server
	@command -v redis-server >/dev/null || apt-get install -y -qq redis-server >/dev/null
	@mkdir -p benches/results
	$(PY) benches/fanout.py --json benches/results/fanout.json

.PHONY: bench-record
bench-record: setup-dev ## `make bench` recorded in benches/results/latest.txt (the docs' performance page is generated from it)
	@mkdir -p benches/results
	{ echo "# recorded $$(date -u +%Y-%m-%d) at commit $$(git rev-parse --short HEAD)"; \
	  echo "# $$($(PY) -c 'import platform; print(platform.python_implementation(), platform.python_version())'), $$(nproc) cores: $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"; \
	  $(PY) benches/run.py; } > benches/results/latest.txt.tmp
	mv benches/results/latest.txt.tmp benches/results/latest.txt
	$(PY) docs/hooks/bench_report.py

.PHONY: docs
docs: $(STAMPS)/group-docs ## the documentation site into site/ (MkDocs + Material + mkdocstrings; offline)
	$(VENV)/bin/mkdocs build --strict

.PHONY: docs-serve
docs-serve: $(STAMPS)/group-docs ## serve the documentation on HOST:PORT (127.0.0.1:8000), rebuilt on changes
	$(VENV)/bin/mkdocs serve --dev-addr $(HOST):$(PORT)

.PHONY: wheel
wheel: $(STAMPS)/group-release ## manylinux2014 wheels for CPython 3.10-3.13 (WHEEL_PYTHONS; zig linker) + the sdist, into dist/
	rm -rf dist
	$(MATURIN_ENV) CARGO_TARGET_DIR=target/wheels nice $(VENV)/bin/maturin build --release --zig \
	  --compatibility manylinux2014 --out dist $(foreach v,$(WHEEL_PYTHONS),-i $$(scripts/find-python $(v)))
	$(MATURIN_ENV) $(VENV)/bin/maturin sdist --out dist
	for wheel in dist/*.whl; do $(VENV)/bin/auditwheel show "$$wheel" | tr '\n' ' ' | grep -q '"manylinux_2_17_x86_64"' \
	  || { echo "$$wheel is not manylinux2014" >&2; exit 1; }; done
	$(VENV)/bin/twine check --strict dist/*
	@ls -l dist

.PHONY: test-wheels
test-wheels: wheel $(STAMPS)/group-dev ## `make wheel`, then each wheel in a clean venv of its Python serves HTTP, SSE, a websocket; the sdist builds
	FERROAPI_WHEEL_DIR=$(abspath dist) FERROAPI_WHEEL_PYTHONS="$(WHEEL_PYTHONS)" $(PY) -m pytest -m wheel tests/test_wheel.py $(PYTEST_ARGS)

# One venv per version under .venvs/ (gitignored), the extension built for it (its own cargo target dir).
.venvs/%/.ready: pyproject.toml $(RUST_SOURCES)
	@mkdir -p .venvs
	test -x .venvs/$*/bin/python || $$(scripts/find-python $*) -m venv .venvs/$*
	.venvs/$*/bin/python -m pip install -q --upgrade "pip>=25.1" "maturin>=1.9,<2"
	VIRTUAL_ENV=$(abspath .venvs/$*) PATH=$(abspath .venvs/$*)/bin:$$PATH CARGO_TARGET_DIR=target/py$* \
	  nice .venvs/$*/bin/maturin develop --release -E standard
	.venvs/$*/bin/python -m pip install -q --group test
	cp ferroapi_fastapi_alias.pth "$$(.venvs/$*/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
	@touch $@

.PHONY: test-pythons
test-pythons: $(foreach v,$(TEST_PYTHONS),.venvs/$(v)/.ready) ## the Python test suite under CPython 3.10, 3.12, 3.13 (TEST_PYTHONS; venvs in .venvs/)
	@set -e; for v in $(TEST_PYTHONS); do echo "== CPython $$v"; \
	  .venvs/$$v/bin/python -m pytest -m "not slow and not wheel" $(PYTEST_ARGS); done

.PHONY: conformance
conformance: setup-dev ## run FastAPI 0.165.0's own test suite against ferroapi (imports aliased; FERRO_CONFORMANCE_CACHE=dir to isolate a run)
	$(PY) scripts/conformance.py $(CONFORMANCE_ARGS)

.PHONY: conformance-telemetry
conformance-telemetry: .venvs/3.11/.ready ## FastAPI's telemetry tests with logfire as well, in their own venv (.venvs/3.11): logfire's pydantic plugin stays out of .venv
	.venvs/3.11/bin/python -m pip install -q "logfire>=4" "pytest-timeout>=2"
	FERRO_CONFORMANCE_CACHE=$(abspath .venvs/3.11/conformance) .venvs/3.11/bin/python scripts/conformance.py --topic telemetry --list-failures

.PHONY: ecosystem
ecosystem: setup-dev ## the test suites of FastAPI extensions (pinned sdists) on ferroapi, scored against FastAPI
	$(PY) scripts/ecosystem.py $(ECOSYSTEM_ARGS)

.PHONY: ecosystem-quick
ecosystem-quick: setup-dev ## a bounded subset of `make ecosystem` (a few test files per extension)
	$(PY) scripts/ecosystem.py --quick $(ECOSYSTEM_ARGS)

.PHONY: unchanged-app
unchanged-app: setup-dev ## an unmodified FastAPI app + extension under ferroapi run vs FastAPI, fresh venv (PyPI)
	$(PY) -m pytest -m slow tests/e2e/test_unchanged_fastapi_app.py $(PYTEST_ARGS)

.PHONY: soak
soak: setup-dev ## uvicorn under mixed load for SOAK_SECONDS (600); fails on a 5xx, a hang, a leak (RSS/fds/tasks)
	$(PY) benches/soak/soak.py --seconds $(SOAK_SECONDS) --results benches/results/soak-latest.txt $(SOAK_ARGS)

.PHONY: clean
clean: ## remove build products and the virtualenv
	rm -rf $(VENV) .venvs $(STAMPS) target dist site .conformance
