"""Run FastAPI's own test suite (pinned sdist), unmodified, against ferroapi and print a topic table.

    python scripts/conformance.py [--topic T]... [-k EXPR] [--max-files N] [--list-failures]
                                  [--against fastapi] [--no-install] [--timeout S]

Steps, each idempotent and cached under .conformance/ (gitignored):
  1. `pip download fastapi==<PIN> --no-deps --no-binary :all:` (the sdist holds tests/ and docs_src/);
  2. extract tests/ and docs_src/ (many tutorial tests import docs_src);
  3. copy them, unmodified, into .conformance/work/; against ferroapi, pytest runs with
     `ferroapi.install_as_fastapi()` in force (`-p ferroapi.pytest_plugin`, and FERROAPI_FASTAPI_ALIAS=1
     for the interpreter), so the suite's `import fastapi` gets ferroapi exactly as an unchanged app
     served by `ferroapi run` does;
  4. install the suite's light test-only dependencies into this interpreter (heavy ones are skipped:
     their tests count as errors);
  5. learn how many tests each file holds by collecting the unmodified suite against FastAPI once
     (cached): a file that fails to import under ferroapi counts that many errors, not one;
  6. run pytest once per topic (a crash or hang of one topic cannot sink the others; a topic whose run
     produced no report is re-run directory by directory, then file by file), per-test timeout from
     pytest-timeout, results read from junit xml, table printed.

`--against fastapi` runs the unmodified suite against FastAPI itself: the ceiling this harness can
reach with the dependencies installed here. The exit status is 0 whenever the table was produced:
this measures progress, it is not a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

PIN = "0.165.0"
ROOT = Path(__file__).resolve().parents[1]
# FERRO_CONFORMANCE_CACHE moves the download and the rewritten suite elsewhere, so two runs at once
# (two engineers, or CI beside a developer) do not rebuild each other's work tree mid-run.
CACHE = Path(os.environ.get("FERRO_CONFORMANCE_CACHE") or ROOT / ".conformance").resolve()
SDIST = CACHE / f"fastapi-{PIN}.tar.gz"
SRC = CACHE / f"src-{PIN}"
COUNTS = CACHE / f"counts-{PIN}.json"
CEILING = CACHE / f"ceiling-{PIN}.json"
PY = sys.executable

# Test-only dependencies worth installing: (module to probe, pip requirement). The OpenTelemetry SDK,
# its OTLP exporter and the integrations FastAPI's telemetry tests exercise (the contrib FastAPI
# instrumentor, Sentry) are installed; deliberately left out (their tests count as errors): logfire
# (logfire-sdk registers a pydantic plugin and pytest plugins that every process of this interpreter
# then loads: validation gets slower everywhere, benches included; 10 telemetry tests need it, all
# passing when it is installed by hand), strawberry-graphql, typer/fastapi-cli,
# coverage/codspeed/xdist (tooling, not behaviour).
TEST_DEPS = [
    ("pytest_timeout", "pytest-timeout>=2.4"),
    ("httpx2", "httpx2>=2"),  # starlette's TestClient warns (an error here) when it falls back to httpx
    ("inline_snapshot", "inline-snapshot>=0.21.1"),
    ("dirty_equals", "dirty-equals>=0.9"),
    ("trio", "trio>=0.26"),
    ("jwt", "pyjwt>=2.9"),
    ("pwdlib", "pwdlib[argon2]>=0.2.1"),
    ("pydantic_settings", "pydantic-settings>=2.1"),
    ("sqlmodel", "sqlmodel>=0.0.31"),
    ("orjson", "orjson>=3.10"),
    ("ujson", "ujson>=5.10"),
    ("yaml", "pyyaml>=5.3.1"),
    ("email_validator", "email-validator>=2"),
    ("flask", "flask>=3"),
    ("a2wsgi", "a2wsgi>=1.9,<=2"),
    ("opentelemetry.sdk", "opentelemetry-sdk>=1.44"),
    ("opentelemetry.exporter.otlp.proto.http", "opentelemetry-exporter-otlp-proto-http>=1.44"),
    ("opentelemetry.instrumentation.fastapi", "opentelemetry-instrumentation-fastapi>=0.65b0"),
    ("sentry_sdk", "sentry-sdk>=2"),
]

# Not framework behaviour: FastAPI's repository tooling and benchmark harnesses.
EXCLUDE = re.compile(r"^tests/(benchmarks|memory_benchmarks)/|^tests/test_(translate|prepare_release)\.py$")

# Display order of the table.
TOPICS = [
    "routing",
    "params",
    "body",
    "validation errors",
    "responses",
    "dependencies",
    "security",
    "streaming",
    "structure",  # include_router, lifespan/events, mounts, sub-apps, middleware, websockets
    "openapi",
    "telemetry",  # FastAPI's native OpenTelemetry (tests/test_telemetry, the tutorial's examples)
    "other",
]

# First match wins (priority order, not display order); matched against the path below tests/.
TOPIC_RULES: list[tuple[str, re.Pattern[str]]] = [
    (topic, re.compile(pattern))
    for topic, pattern in [
        ("telemetry", r"telemetry"),  # FastAPI's OpenTelemetry integration: its own feature area
        ("routing", r"redirect_slashes|extra_routes|route_scope|custom_route_class|urlconvertors"),
        ("streaming", r"sse|server_sent|stream|jsonl|json_lines"),
        ("security", r"security|oauth|authentication|jwt|api_key|bearer|digest|openid|http_basic"),
        ("dependencies", r"depend"),
        (
            "structure",
            r"websocket|ws_|router|include|lifespan|events|mount|sub_applications|bigger_applications"
            r"|behind_a_proxy|root_path|static_files|middleware|wsgi|cors|frontend|background_tasks",
        ),
        (
            "openapi",
            r"openapi|schema|swagger|redoc|docs|webhook|callback|generate_unique_id|operation_id"
            r"|metadata|path_operation_(advanced_)?configurations|generate_clients|examples",
        ),
        ("validation errors", r"error|valid|exception|invalid|strict|allow_inf_nan"),
        ("responses", r"response|serializ|encoder|jsonable|status_code|orjson|datetime_custom"),
        (
            "body",
            r"body|form|file|upload|multipart|extra_data_types|nested_models|model|union|dataclass"
            r"|tuples|arbitrary_types|computed_fields|additional_properties|json_type|json_base64",
        ),
        ("params", r"query|path|header|cookie|param|alias"),
        ("routing", r"rout|extra_routes|method|put_no_body|callable_endpoint|application|first_steps"),
    ]
]


def topic_of(rel: str) -> str:
    """Topic of a test file, from its path relative to the work tree (`tests/...`)."""
    name = rel.removeprefix("tests/")
    for topic, pattern in TOPIC_RULES:
        if pattern.search(name):
            return topic
    return "other"


# ---- 1-2: fetch and extract -------------------------------------------------------------------


def run(
    cmd: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run a command in its own process group; kill the whole group on timeout. Returns the exit code.

    Output goes to `log` when given (both streams), else to this process's own.
    """
    with open(log or os.devnull, "wb") as sink:
        out = sink if log else None
        err = subprocess.STDOUT if log else None
        with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True) as proc:
            try:
                return proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                print(f"  ! timed out after {timeout:.0f}s: {' '.join(cmd[:6])} ...", file=sys.stderr)
                return -1


def fetch_sdist() -> None:
    if SDIST.exists():
        return
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        cmd = [PY, "-m", "pip", "download", f"fastapi=={PIN}", "--no-deps", "--no-binary", ":all:"]
        if run([*cmd, "--quiet", "--dest", tmp], timeout=600) != 0:
            sys.exit(f"could not download the fastapi {PIN} sdist")
        (downloaded,) = Path(tmp).glob("fastapi-*.tar.gz")
        downloaded.replace(SDIST)


def extract_sdist() -> None:
    if (SRC / "tests").is_dir():
        return
    staging = CACHE / "src.partial"
    shutil.rmtree(staging, ignore_errors=True)
    prefix = f"fastapi-{PIN}/"
    with tarfile.open(SDIST) as tar:
        members = []
        for member in tar.getmembers():
            rel = member.name.removeprefix(prefix)
            if rel.startswith(("tests/", "docs_src/")) and (member.isfile() or member.isdir()):
                member.name = rel
                members.append(member)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(staging, members=members, filter="data")
        else:  # pragma: no cover - Python without PEP 706 backports
            tar.extractall(staging, members=members)
    shutil.rmtree(SRC, ignore_errors=True)
    staging.replace(SRC)


# ---- 3: the work tree ----------------------------------------------------------------------------

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

PYTEST_INI = """\
[pytest]
# Mirrors FastAPI's own settings (warnings are errors, docs_src is not collected).
addopts = --ignore=docs_src
filterwarnings =
    error
junit_family = xunit1
markers =
    xdist_group: grouping used by FastAPI's CI with pytest-xdist
"""

# How the suite meets ferroapi: the alias, installed before anything imports `fastapi`.
ALIAS_PLUGIN = ["-p", "ferroapi.pytest_plugin"]
ALIAS_ENV = {"FERROAPI_FASTAPI_ALIAS": "1"}


def build_work_tree() -> Path:
    """A fresh, unmodified copy of the suite (the copy is cheap: ~1,100 small files)."""
    work = CACHE / "work"
    shutil.rmtree(work, ignore_errors=True)
    for path in sorted(SRC.rglob("*")):
        target = work / path.relative_to(SRC)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            shutil.copy2(path, target)
    (work / "pytest.ini").write_text(PYTEST_INI)
    # Two tutorial tests serve docs/en/docs/img/favicon.png, which the sdist does not ship: any PNG does.
    favicon = work / "docs/en/docs/img/favicon.png"
    favicon.parent.mkdir(parents=True, exist_ok=True)
    favicon.write_bytes(TINY_PNG)
    return work


def test_files(work: Path) -> list[str]:
    files = (p.relative_to(work).as_posix() for p in (work / "tests").rglob("test_*.py"))
    return sorted(f for f in files if not EXCLUDE.search(f))


# ---- 4: dependencies ----------------------------------------------------------------------------


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def install_test_deps() -> None:
    missing = [req for module, req in TEST_DEPS if not _installed(module)]
    if not missing:
        return
    print(f"installing test-only dependencies: {', '.join(missing)}")
    if run([PY, "-m", "pip", "install", "--quiet", *missing], timeout=900) != 0:
        print("  ! some test dependencies failed to install; their tests will error", file=sys.stderr)


# ---- 5-6: running pytest and reading junit ------------------------------------------------------


@dataclass
class Case:
    file: str
    nodeid: str
    outcome: str  # passed | failed | errors | skipped
    message: str = ""


@dataclass
class Totals:
    collected: int = 0
    counts: Counter[str] = field(default_factory=Counter)


def pytest_cmd(files: Iterable[str], junit: Path, args: argparse.Namespace) -> list[str]:
    cmd = [PY, "-m", "pytest", "-q", "--no-header", "-rN", "--tb=no", f"--junitxml={junit}"]
    cmd += ["--continue-on-collection-errors", f"--timeout={args.timeout}", "--inline-snapshot=disable"]
    cmd += ["-p", "no:cacheprovider", "-p", "no:randomly"]
    if args.k:
        cmd += ["-k", args.k]
    if args.against == "ferroapi":
        cmd += ALIAS_PLUGIN
    return [*cmd, *files]


def parse_junit(junit: Path) -> list[Case] | None:
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return None
    cases = []
    for tc in root.iter("testcase"):
        file = tc.get("file") or ""
        name, classname = tc.get("name", ""), tc.get("classname", "")
        if not file:  # a collection error: classname is empty, name is the module's dotted path
            file = name.replace(".", "/") + ".py" if not name.endswith(".py") else name
        nodeid = f"{file}::{name}" if classname else file
        outcome, message = "passed", ""
        for tag, label in (("failure", "failed"), ("error", "errors"), ("skipped", "skipped")):
            child = tc.find(tag)
            if child is not None:
                outcome, message = label, (child.get("message") or "").strip()
                break
        cases.append(Case(file, nodeid, outcome, message))
    return cases


CONFTEST_FAILED = re.compile(r"ImportError while loading conftest '([^']+)'")


@dataclass
class Outcome:
    cases: list[Case] | None  # None: pytest wrote no report
    conftest_error: str = ""


def run_pytest(work: Path, files: list[str], args: argparse.Namespace, wall: float) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        junit, log = Path(tmp) / "junit.xml", Path(tmp) / "pytest.log"
        inherited = {k: v for k, v in os.environ.items() if k not in ALIAS_ENV}
        env = {
            **inherited,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(work), os.environ.get("PYTHONPATH")])),
            **(ALIAS_ENV if args.against == "ferroapi" else {}),
        }
        run(pytest_cmd(files, junit, args), cwd=work, timeout=wall, log=log, env=env)
        output = log.read_text(errors="replace")
        if args.verbose:
            print(output)
        bad_conftest = CONFTEST_FAILED.search(output)
        return Outcome(parse_junit(junit), bad_conftest.group(0) if bad_conftest else "")


def crashed(files: Iterable[str], note: str) -> list[Case]:
    return [Case(f, f, "errors", note) for f in files]


def run_resilient(work: Path, files: list[str], args: argparse.Namespace) -> list[Case]:
    """One run for all files; on a crash (no report) split by directory, then by file."""
    wall = args.timeout * 4 + 60 + 3 * len(files)
    outcome = run_pytest(work, files, args, wall)
    if outcome.cases is not None:
        return outcome.cases
    if outcome.conftest_error:  # every file below that conftest fails the same way
        return crashed(files, outcome.conftest_error)
    if len(files) == 1:
        return crashed(files, "pytest produced no report (crash or hang)")
    by_dir: dict[str, list[str]] = defaultdict(list)
    for f in files:
        by_dir[str(Path(f).parent)].append(f)
    groups = list(by_dir.values()) if len(by_dir) > 1 else [[f] for f in files]
    return [case for group in groups for case in run_resilient(work, group, args)]


def conftest_groups(work: Path, files: list[str]) -> list[list[str]]:
    """Files grouped by the nearest directory below tests/ holding a conftest.py.

    A conftest that fails to import (a skipped dependency) aborts the whole pytest session, so each
    such directory runs in a session of its own and cannot take the rest of a topic down with it.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for f in files:
        key = ""
        for parent in Path(f).parents:
            if parent.parent != Path(".") and (work / parent / "conftest.py").exists():
                key = parent.as_posix()
                break
        groups[key].append(f)
    return [groups[k] for k in sorted(groups)]


def collect(work: Path, files: list[str]) -> Counter[str]:
    cmd = [PY, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "--inline-snapshot=disable"]
    cmd += ["--continue-on-collection-errors", *files]
    env = {**os.environ, "PYTHONPATH": str(work)}
    try:
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return Counter()
    return Counter(line.split("::", 1)[0] for line in proc.stdout.splitlines() if "::" in line)


def expected_counts() -> dict[str, int]:
    """Tests per file when collected against FastAPI itself (cached; -k is not applied)."""
    if COUNTS.exists():
        return dict(json.loads(COUNTS.read_text()))
    work = build_work_tree()
    print("counting tests per file (collecting the unmodified suite against FastAPI, once)...")
    counts: Counter[str] = Counter()
    for group in conftest_groups(work, test_files(work)):
        counts.update(collect(work, group))
    if counts:
        COUNTS.write_text(json.dumps(dict(sorted(counts.items())), indent=0))
    return dict(counts)


# ---- reporting ------------------------------------------------------------------------------------


def tally(cases: list[Case], counts: dict[str, int], use_counts: bool) -> Totals:
    totals = Totals()
    for case in cases:
        collection_error = case.nodeid == case.file and case.outcome == "errors"
        weight = max(1, counts.get(case.file, 1)) if (collection_error and use_counts) else 1
        totals.collected += weight
        totals.counts[case.outcome] += weight
    return totals


ROW = "{:<18} {:>9} {:>7} {:>7} {:>7} {:>8} {:>7} {:>8}"


def print_table(results: dict[str, Totals], framework: str, ceiling: dict[str, int]) -> None:
    """`fastapi` column: tests the same files pass under FastAPI itself (from an `--against fastapi`
    run of the whole suite, when one was made: run it once to fill the column)."""
    print(f"\nFastAPI {PIN} test suite against {framework}")
    print(ROW.format("topic", "collected", "passed", "failed", "errors", "skipped", "pass%", "fastapi"))
    total = Totals()
    for topic in TOPICS:
        if topic not in results:
            continue
        t = results[topic]
        total.collected += t.collected
        total.counts.update(t.counts)
        print(row(topic, t, ceiling.get(topic)))
    print("-" * 77)
    print(row("TOTAL", total, sum(ceiling.get(t, 0) for t in results) if ceiling else None))


def row(name: str, t: Totals, ceiling: int | None) -> str:
    c = t.counts
    pct = f"{100 * c['passed'] / t.collected:.1f}" if t.collected else "-"
    best = "" if ceiling is None else str(ceiling)
    return ROW.format(name, t.collected, c["passed"], c["failed"], c["errors"], c["skipped"], pct, best)


def ceiling_for(args: argparse.Namespace, results: dict[str, Totals]) -> dict[str, int]:
    """Passes under FastAPI per topic: recorded by a full `--against fastapi` run, shown otherwise."""
    full_run = not (args.k or args.max_files or args.topic)
    if args.against == "fastapi":
        if full_run:
            CEILING.write_text(json.dumps({t: r.counts["passed"] for t, r in results.items()}, indent=2))
        return {}
    if not full_run or not CEILING.exists():
        return {}
    return {str(k): int(v) for k, v in json.loads(CEILING.read_text()).items()}


def print_failures(by_topic: dict[str, list[Case]]) -> None:
    for topic in TOPICS:
        bad = [c for c in by_topic.get(topic, []) if c.outcome in ("failed", "errors")]
        if not bad:
            continue
        print(f"\n## {topic}: {len(bad)} not passing")
        for case in bad:
            first = case.message.splitlines()[0][:160] if case.message else ""
            print(f"  {case.outcome[:5].upper():5} {case.nodeid}  {first}")


# ---- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topic", action="append", choices=TOPICS, help="only this topic (repeatable)")
    p.add_argument("-k", help="pytest -k expression, passed through")
    p.add_argument("--max-files", type=int, help="at most N test files per topic (a bounded CI form)")
    p.add_argument("--list-failures", action="store_true", help="list every failing/erroring test id")
    p.add_argument("--against", choices=["ferroapi", "fastapi"], default="ferroapi")
    p.add_argument("--no-install", action="store_true", help="do not pip-install test dependencies")
    p.add_argument("--timeout", type=int, default=20, help="per-test timeout in seconds (default 20)")
    p.add_argument("--verbose", action="store_true", help="show pytest's own output")
    p.add_argument("--json", type=Path, help="also write the per-topic results as JSON here")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    fetch_sdist()
    extract_sdist()
    if not args.no_install:
        install_test_deps()
    if find_spec("pytest_timeout") is None:
        sys.exit("pytest-timeout is required (pip install pytest-timeout)")
    counts = expected_counts()
    work = build_work_tree()
    grouped: dict[str, list[str]] = defaultdict(list)
    for f in test_files(work):
        grouped[topic_of(f)].append(f)
    results: dict[str, Totals] = {}
    by_topic: dict[str, list[Case]] = {}
    for topic in TOPICS:
        files = grouped.get(topic, [])[: args.max_files]
        if not files or (args.topic and topic not in args.topic):
            continue
        print(f"running {topic}: {len(files)} files ...", flush=True)
        by_topic[topic] = [c for g in conftest_groups(work, files) for c in run_resilient(work, g, args)]
        results[topic] = tally(by_topic[topic], counts, use_counts=not args.k)
    print_table(results, args.against, ceiling_for(args, results))
    if args.list_failures:
        print_failures(by_topic)
    if args.json:
        data = {t: {"collected": r.collected, **r.counts} for t, r in results.items()}
        args.json.write_text(json.dumps(data, indent=2))
    print(f"({time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
