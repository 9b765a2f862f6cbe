"""Run the test suites of widely used FastAPI extensions against ferroapi, scored against FastAPI itself.

    python scripts/ecosystem.py [--project NAME]... [--quick] [--list-failures] [--timeout S]
    python scripts/ecosystem.py --record-reference [--project NAME]...
    python scripts/ecosystem.py --against fastapi [--project NAME]...

Each project in PROJECTS is a pinned PyPI sdist that ships its tests (CI reaches PyPI, not the projects'
repositories). Steps, each cached under .ecosystem/ (gitignored; FERRO_ECOSYSTEM_CACHE moves it):
  1. a small tools virtualenv with the common build backends, so `pip download --no-binary :all:` can
     read an sdist's metadata without building an isolated environment per package;
  2. download the sdist and extract it;
  3. one CPython 3.11 virtualenv per project: the package at its pin and what its tests need, then
     FastAPI 0.165.0 and the starlette/pydantic that ferroapi is developed against forced on top, then
     ferroapi itself through a .pth file holding this repository's python/ directory (no rebuild), and
     the `FERROAPI_FASTAPI_ALIAS` start-up hook. The real fastapi stays installed: the extensions depend
     on it, and it is the reference;
  4. the suite runs from a fresh copy of the sdist's tree, with the sdist's own pytest configuration, in
     one pytest process per project (its own process group, bounded wall clock, per-test timeout from
     pytest-timeout), results read from junit xml (a run killed at the wall clock keeps what a small
     progress plugin recorded; a crashed run is split by path and re-run). `FERROAPI_FASTAPI_ALIAS=1`
     makes `import fastapi` resolve to ferroapi from interpreter start-up on (before pytest loads
     plugins that import fastapi themselves); unset, it is FastAPI. `--ferroapi-src HEAD` measures the
     last commit (python/ from git, the extension built in the work tree) while others edit the tree.

Test ids are pytest's node ids; parameter parts that change between runs (random tokens, UUIDs,
addresses) are masked and numbered in collection order. `--list-failures` lists every reference-passing
test that does not pass, then the failures grouped by error line. Logs: .ecosystem/logs/.

The reference is recorded once, against FastAPI, with `--record-reference`: every project is run twice,
a test whose outcome differs between the two runs is flaky under FastAPI itself and is left out (listed
in the file), and `scripts/ecosystem/reference/<project>.json` (test id -> outcome) is written; commit
it. A normal run scores ferroapi on the tests that pass in the reference: the table shows how many of
those pass on ferroapi. The exit status is 0 whenever the table was produced (a measurement, not a gate).
"""

from __future__ import annotations

import argparse
import hashlib
import io
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
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("FERRO_ECOSYSTEM_CACHE") or ROOT / ".ecosystem").resolve()
REFERENCE = ROOT / "scripts" / "ecosystem" / "reference"
ALIAS_PTH = ROOT / "ferroapi_fastapi_alias.pth"
FERROAPI_SRC = ROOT / "python"

FASTAPI_PIN = "0.165.0"
# Forced into every project's virtualenv after its own requirements: the versions ferroapi's own
# virtualenv has (pyproject.toml), plus ferroapi's remaining runtime dependencies.
FORCED = [
    f"fastapi=={FASTAPI_PIN}",
    "starlette==1.10.0",
    "pydantic==2.14.4",
    "anyio>=4.6,<5",
    "typing-extensions>=4.12",
    "swagger-ui-bundle-v2>=5.31,<6",
]
# In every project's virtualenv.
RUNNER = ["pytest>=8", "pytest-timeout>=2.4"]
# What the tools virtualenv holds: build backends, so sdist metadata can be read with --no-build-isolation.
BACKENDS = [
    "setuptools",
    "wheel",
    "hatchling",
    "hatch-vcs",
    "hatch-fancy-pypi-readme",
    "setuptools-scm",
    "poetry-core",
    "flit-core",
    "pdm-backend",
    "uv-build",
]


@dataclass(frozen=True)
class Project:
    """One extension's suite. Paths are relative to the sdist's root directory."""

    version: str
    covers: str  # the parts of FastAPI the suite exercises (shown in the table)
    install: list[str]  # pip requirements besides the package itself: what its tests need
    tests: list[str]  # test paths to run
    quick: list[str]  # the subset run by --quick
    args: list[str] = field(default_factory=list)  # extra pytest arguments (--deselect, --ignore, -p)
    addopts: str | None = None  # replaces the project's own addopts when set (coverage, random order...)
    env: dict[str, str] = field(default_factory=dict)
    wall: int = 900  # wall-clock bound of one pytest run, seconds


# Looked at and left out: the sdists of fastapi-injectable, strawberry-graphql, logfire, dependency-injector,
# fastapi-restful, fastapi-utils, fastapi-crudrouter, fastapi-versionizer, fastapi-cache2, langserve,
# fastapi-debug-toolbar, fastapi-lifespan-manager, asgi-correlation-id, slowapi, fastapi-filter,
# prometheus-fastapi-instrumentator, fastapi-sso, fastapi-login, ariadne, sqladmin, apitally and
# fastapi-injector ship no tests; fastapi-amis-admin 0.7.3 (latest) fails at import on FastAPI 0.165.0
# (`fastapi._compat.sequence_annotation_to_type` is gone).
PROJECTS: dict[str, Project] = {
    "cadwyn": Project(
        version="9.0.0",
        covers="routers, route rebuilding, OpenAPI, dependencies (API versioning)",
        install=[
            "python-multipart>=0.0.6",
            "svcs~=24.1.0",
            "httpx>=0.26.0",
            "httpx2>=2",
            "pytest-fixture-classes>=1.0.3",
            "dirty-equals>=0.6.0",
            "uvicorn",
            "inline-snapshot>=0.20.7",
            "pydantic-settings>=2.8.1",
            "sqlalchemy>=2.0",
            "sqlmodel>=0.0.24",
            "fastapi-pagination>=0.15.15",
            "typer>=0.7.0",
            "jinja2>=3.1.2",
        ],
        tests=["tests"],
        quick=["tests/test_router_generation.py"],
        addopts="",
        wall=1800,  # 4,400 tests
    ),
    "fastapi-jsonrpc": Project(
        version="4.1.0",
        covers="solve_dependencies, Dependant, ModelField, request_response, OpenAPI, security",
        install=[
            "uvicorn",
            "sentry-sdk>=2.12",
            "opentelemetry-sdk>=1.30",
            "opentelemetry-instrumentation-fastapi",
            "requests",
            "httpx>=0.27.0,<0.29.0",
            "httpx2>=2",
        ],
        tests=["tests"],
        quick=["tests/test_dependencies.py", "tests/test_openapi.py", "tests/test_http_auth.py"],
    ),
    "fastapi-pagination": Project(
        version="0.16.1",
        covers="dependency-injected pagination, route patching (request_response), OpenAPI",
        install=[
            "pytest-asyncio>=0.25.3",
            "Faker>=35.2",
            "httpx>=0.28.1",
            "asgi-lifespan>=2.1.0",
            "requests>=2.32.2",
            "uvicorn>=0.34.0",
            "Jinja2>=3.1.5",
            "dirty-equals>=0.9.0",
            "sqlalchemy>=2",
            "sqlakeyset",
            "aiosqlite>=0.19.0,!=0.22.0,!=0.22.1",
            "asyncpg",
            "pymongo",
            "scylla-driver",
        ],
        tests=["tests"],
        quick=["tests/test_api.py", "tests/test_openapi.py"],
        args=["--ignore=tests/ext"],
    ),
    "fastapi-users": Project(
        version="15.0.5",
        covers="security (OAuth2, cookies, bearer), routers, dependencies, OpenAPI",
        install=[
            "pytest-asyncio",
            "pytest-mock",
            "httpx",
            "httpx2>=2",
            "httpx-oauth>=0.13",
            "asgi-lifespan",
            "redis",
        ],
        tests=["tests"],
        quick=["tests/test_openapi.py", "tests/test_router_register.py"],
    ),
    "opentelemetry-instrumentation-fastapi": Project(
        version="0.66b2",
        covers="instrumentation: middleware stack, route contexts, version gating, websockets",
        install=[
            "opentelemetry-test-utils==0.66b2",
            "opentelemetry-sdk",
            "requests",
            "httpx",
            "httpx2>=2",
        ],
        tests=["tests"],
        quick=["tests/test_fastapi_instrumentation_custom_headers.py"],
    ),
    "sentry-sdk": Project(
        version="2.75.0",
        covers="APM patching (dependant.call, handle), middleware, transactions per route",
        install=[
            "pytest-asyncio",
            "pytest-localserver",
            "werkzeug",
            "jsonschema",
            "httpx",
            "httpx2>=2",
            "python-multipart",
            "jinja2",
            "requests",
        ],
        tests=["tests/integrations/fastapi"],
        quick=[
            "tests/integrations/fastapi/test_fastapi.py::test_transaction_style",
            "tests/integrations/fastapi/test_fastapi.py::test_request_body_data_collection",
            "tests/integrations/fastapi/test_fastapi.py::test_response_status_code_ok_in_transaction_context",
        ],
        addopts="",  # coverage and -s
    ),
    "fastapi-azure-auth": Project(
        version="5.3.0",
        covers="security schemes (SecurityBase subclasses), OpenAPI security, websockets",
        install=[
            "pytest-asyncio>=0.24.0",
            "pytest-mock>=3.14.0",
            "requests-mock>=1.12.0",
            "pytest-socket>=0.7.0",
            "pytest-dotenv>=0.5.2",
            "uvicorn>=0.32.0",
            "pytest-freezer>=0.4.8",
            "trio>=0.27.0",
            "pytest-httpx2>=1.0.0",
            "openapi-spec-validator>=0.7.1",
            "pydantic-settings>=2.5.0",
            "asgi-lifespan>=2.1.0",
            "httpx",
        ],
        tests=["tests"],
        quick=["tests/test_openapi_scheme.py", "tests/single_tenant"],
    ),
    "fastapi-mcp": Project(
        version="0.4.0",
        covers="OpenAPI generation (get_openapi), in-process ASGI calls, SSE/HTTP transports",
        install=[
            "mcp>=1.12,<2",  # fastapi-mcp 0.4.0 predates the mcp 2 SDK (its Server signature changed)
            "pytest-asyncio>=0.26.0",
            "pyjwt>=2.10.1",
            "cryptography>=44.0.2",
            "httpx2>=2",
            "coverage",  # imported by its conftest
        ],
        tests=["tests"],
        quick=["tests/test_openapi_conversion.py", "tests/test_mcp_execute_api_tool.py"],
        addopts="",
    ),
    "fastapi-problem": Project(
        version="0.12.1",
        covers="exception handlers (HTTPException, RequestValidationError), error responses, OpenAPI",
        install=["pytest-asyncio>=1.3.0", "pytest-httpx>=0.36.0", "httpx", "httpx2>=2", "fastapi"],
        tests=["tests"],
        quick=["tests/test_handler.py"],
        addopts="",  # --random-order
    ),
    "fastapi-offline": Project(
        version="1.7.7",
        covers="docs pages, openapi_url, sub-applications and mounts",
        install=["httpx", "httpx2>=2"],
        tests=["tests"],
        quick=["tests"],
    ),
}


# ---- processes ---------------------------------------------------------------------------------


def run(
    cmd: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run a command in its own process group; kill the whole group on timeout. Returns the exit code.

    Output goes to `log` when given (appended, both streams), else to this process's own.
    """
    with open(log or os.devnull, "ab") as sink:
        out = sink if log else None
        err = subprocess.STDOUT if log else None
        with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True) as proc:
            try:
                return proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                print(
                    f"  ! timed out after {timeout:.0f}s: {' '.join(map(str, cmd[:6]))} ...", file=sys.stderr
                )
                return -1


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would leak our own virtualenv into a child."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.pop("FERROAPI_FASTAPI_ALIAS", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def base_python() -> str:
    """The CPython 3.11 that the compiled extension in python/ferroapi/ was built for."""
    base = getattr(sys, "_base_executable", sys.executable)
    if sys.version_info[:2] != (3, 11):
        found = shutil.which("python3.11")
        if not found:
            sys.exit("CPython 3.11 is needed (the extension in python/ferroapi/ is built for it)")
        return found
    return base


# ---- 1-2: tools, sdists -------------------------------------------------------------------------


class SetupError(Exception):
    """A project's sdist or virtualenv could not be made: that project is reported, the others run."""


def tools_python() -> Path:
    tools = CACHE / "tools"
    stamp = tools / ".ready"
    python = tools / "bin" / "python"
    if stamp.exists():
        return python
    shutil.rmtree(tools, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    print("creating the tools virtualenv (build backends for reading sdist metadata) ...", flush=True)
    if run([base_python(), "-m", "venv", str(tools)], timeout=300) != 0:
        raise SetupError("could not create the tools virtualenv")
    cmd = [str(python), "-m", "pip", "install", "--quiet", "--only-binary", ":all:", *BACKENDS]
    if run(cmd, timeout=900, env=clean_env()) != 0:
        raise SetupError("could not install the build backends into the tools virtualenv")
    stamp.touch()
    return python


def sdist_dir(name: str, project: Project) -> Path:
    """The extracted sdist (downloaded once)."""
    src = CACHE / "src" / f"{name}-{project.version}"
    if (src / ".ready").exists():
        return src
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    canonical = name.replace("-", "_").lower()
    found = [p for p in downloads.glob("*.tar.gz") if norm_sdist(p.name) == (canonical, project.version)]
    if not found:
        python = tools_python()
        with tempfile.TemporaryDirectory(dir=downloads) as tmp:
            cmd = [str(python), "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
            cmd += ["--no-build-isolation", "--dest", tmp, f"{name}=={project.version}"]
            # uv-build's backend finds its binary on PATH.
            env = clean_env(PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
            if run(cmd, timeout=900, env=env) != 0:
                raise SetupError(f"could not download the {name}=={project.version} sdist")
            (downloaded,) = Path(tmp).glob("*.tar.gz")
            target = downloads / downloaded.name
            downloaded.replace(target)
            found = [target]
    staging = CACHE / "src" / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(found[0]) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(staging, filter="data")
        else:  # pragma: no cover - Python without PEP 706 backports
            tar.extractall(staging)
    (top,) = staging.iterdir()
    shutil.rmtree(src, ignore_errors=True)
    top.replace(src)
    shutil.rmtree(staging)
    (src / ".ready").touch()
    return src


def norm_sdist(filename: str) -> tuple[str, str]:
    stem = filename.removesuffix(".tar.gz")
    name, _, version = stem.rpartition("-")
    return name.replace("-", "_").replace(".", "_").lower(), version


# ---- 3: the project's virtualenv ------------------------------------------------------------------


def venv_key(name: str, project: Project) -> str:
    spec = [name, project.version, *project.install, *RUNNER, *FORCED, str(FERROAPI_SRC)]
    spec.append(ALIAS_PTH.read_text())
    return hashlib.sha256("\n".join(spec).encode()).hexdigest()[:16]


def project_venv(name: str, project: Project) -> Path:
    """The project's virtualenv, (re)built when its requirements changed. Returns its python."""
    home = CACHE / "venvs" / name
    python = home / "bin" / "python"
    stamp = home / ".ready"
    key = venv_key(name, project)
    if stamp.exists() and stamp.read_text().strip() == key:
        return python
    shutil.rmtree(home, ignore_errors=True)
    home.parent.mkdir(parents=True, exist_ok=True)
    log = CACHE / "logs" / f"install-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    print(f"  creating the {name} virtualenv (log: {log.relative_to(ROOT) if ROOT in log.parents else log})")
    env = clean_env()
    if run([base_python(), "-m", "venv", str(home)], timeout=300, log=log) != 0:
        raise SetupError(f"could not create {home}")
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    steps = [
        # The package and what its tests need, as its own requirements resolve.
        [*pip, f"{name}=={project.version}", *project.install, *RUNNER],
        # Then the framework versions measured here, forced (a package pinning `fastapi<...` gets them
        # anyway: pip reports the conflict and installs them).
        [*pip, *FORCED],
    ]
    for cmd in steps:
        if run(cmd, timeout=1800, log=log, env=env) != 0:
            raise SetupError(f"pip install failed for {name}: see {log}")
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # Sorted before ferroapi_fastapi_alias.pth, whose hook imports ferroapi from this path.
    (site / "00_ferroapi_src.pth").write_text(f"{FERROAPI_SRC}\n")
    shutil.copy2(ALIAS_PTH, site / ALIAS_PTH.name)
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, env=env)
    (home / "freeze.txt").write_text(freeze.stdout)
    stamp.write_text(key + "\n")
    return python


PROBE = "import fastapi, json; print(json.dumps([fastapi.__version__, fastapi.__file__]))"


def framework_env(framework: str, args: argparse.Namespace) -> dict[str, str]:
    """What selects the framework in a project's processes (inherited by the servers tests start)."""
    if framework != "ferroapi":
        return {}
    env = {"FERROAPI_FASTAPI_ALIAS": "1"}
    if args.ferroapi_src != FERROAPI_SRC:  # before the venv's .pth entry for this repository's python/
        env["PYTHONPATH"] = str(args.ferroapi_src)
    return env


def check_framework(python: Path, framework: str, args: argparse.Namespace) -> str:
    """Which `fastapi` the project's interpreter imports, checked before running (empty when right)."""
    env = clean_env(**framework_env(framework, args))
    proc = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return f"`import fastapi` fails: {lines[-1] if lines else proc.returncode}"
    version, file = json.loads(proc.stdout)
    expected_dir = str(args.ferroapi_src) if framework == "ferroapi" else "site-packages"
    if version != FASTAPI_PIN or expected_dir not in file:
        return f"`import fastapi` gives {version} from {file}, not {framework}"
    return ""


# ---- 4: running a suite and reading junit ----------------------------------------------------------


@dataclass
class Case:
    id: str  # path::[Class::]name, stable across runs and frameworks
    outcome: str  # passed | failed | error | skipped
    message: str = ""  # first line of the failure or error

    @property
    def file(self) -> str:
        return self.id.split("::", 1)[0]


@dataclass
class Run:
    cases: dict[str, Case]
    note: str = ""  # why there are no (or too few) results: crash, timeout, broken environment
    seconds: float = 0.0


def first_line(tag: ET.Element) -> str:
    """The error's first meaningful line: the `E   ` line of the traceback when there is one."""
    message = (tag.get("message") or "").strip()
    for line in (tag.text or "").splitlines():
        if line.startswith("E   ") and line[4:].strip():
            text = line[4:].strip()
            return text[:300]
    return message.splitlines()[0][:300] if message else ""


def case_id(tc: ET.Element, root: Path) -> str:
    """pytest's node id (file::Class::name) rebuilt from junit's attributes, relative to `root`."""
    file = (tc.get("file") or "").replace(os.sep, "/")
    name, classname = tc.get("name", ""), tc.get("classname", "")
    if not file:
        if not classname:  # a collection error: name is the module's dotted path or its file path
            return name if name.endswith(".py") else name.replace(".", "/") + ".py"
        file = classname.replace(".", "/") + ".py"
    if not classname:  # a collection error: the file is the id
        return file
    module = file.removesuffix(".py").replace("/", ".")
    if classname == module:
        return f"{file}::{name}"
    if classname.startswith(module + "."):
        return f"{file}::{classname[len(module) + 1 :].replace('.', '::')}::{name}"
    # A test inherited from a class in another file: junit's file is where it is defined, the
    # classname's module is where it was collected, as in pytest's node id.
    parts = classname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = "/".join(parts[:cut]) + ".py"
        if (root / candidate).is_file():
            return "::".join([candidate, *parts[cut:], name])
    return f"{file}::{classname}::{name}"


# Parts of a parametrized test's id that change from run to run: memory addresses, UUIDs, and random
# tokens (secrets generated at import): a [\w-] run holding an alphanumeric piece of 8+ characters with
# at least two capitals, two small letters and a digit (a word like "ValueError" or "codes10" has not).
ADDRESS_OR_UUID = re.compile(
    r"0x[0-9a-fA-F]{6,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
WORDISH = re.compile(r"[\w-]{8,}", re.ASCII)
PIECE = re.compile(r"[A-Za-z0-9]{8,}")


def looks_random(piece: str) -> bool:
    upper = sum(c.isupper() for c in piece)
    lower = sum(c.islower() for c in piece)
    return upper >= 2 and lower >= 2 and any(c.isdigit() for c in piece)


def mask_unstable(params: str) -> str:
    params = ADDRESS_OR_UUID.sub("*", params)
    return WORDISH.sub(lambda m: "*" if any(map(looks_random, PIECE.findall(m[0]))) else m[0], params)


def stable_id(test_id: str, seen: Counter[str]) -> str:
    """The id with its unstable parameter parts masked, numbered in collection order (`#n`)."""
    head, bracket, params = test_id.partition("[")
    if not bracket:
        return test_id
    masked = mask_unstable(params)
    if masked == params:
        return test_id
    key = f"{head}[{masked}"
    seen[key] += 1
    return f"{key}#{seen[key]}"


def parse_junit(junit: Path) -> dict[str, Case] | None:
    """Outcomes by node id; the junit file lies in the root the ids are relative to."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return None
    cases: dict[str, Case] = {}
    seen: Counter[str] = Counter()
    for tc in root.iter("testcase"):
        cid = stable_id(case_id(tc, junit.parent), seen)
        outcome, message = "passed", ""
        for tag, label in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            child = tc.find(tag)
            if child is not None:
                outcome, message = label, first_line(child)
                break
        previous = cases.get(cid)
        if previous is not None and previous.outcome != "passed":
            continue  # a teardown error reported as a second entry keeps the first failure
        cases[cid] = Case(cid, outcome, message)
    return cases


def has_pytest_config(root: Path) -> bool:
    """Whether pytest finds its configuration in `root` itself (the files it looks for, in its order)."""
    if (root / "pytest.ini").exists() or (root / ".pytest.ini").exists():
        return True
    sections = {"pyproject.toml": "[tool.pytest", "tox.ini": "[pytest]", "setup.cfg": "[tool:pytest]"}
    for name, marker in sections.items():
        path = root / name
        if path.exists() and marker in path.read_text(errors="replace"):
            return True
    return False


# A pytest plugin written into the work tree: each test's outcome as a JSON line as soon as it is known,
# so a run killed at the wall clock still has results (junit is written only at the end of a session).
PROGRESS = ".ecosystem-progress.jsonl"
PROGRESS_PLUGIN = """\
\"\"\"Written by ferroapi's scripts/ecosystem.py: test outcomes as JSON lines, as they are known.\"\"\"
import json

PATH = @PATH@  # absolute: tests may change the working directory


def _write(nodeid, outcome, report):
    text = getattr(report, "longreprtext", "") or ""
    lines = [line[4:].strip() for line in text.splitlines() if line.startswith("E   ")]
    with open(PATH, "a", encoding="utf-8") as out:
        out.write(json.dumps([nodeid, outcome, (lines or [""])[0][:300]]) + "\\n")


def pytest_runtest_logreport(report):
    if report.when == "call":
        outcome = "passed" if report.passed else "skipped" if report.skipped else "failed"
    elif report.failed:
        outcome = "error"
    elif report.skipped and report.when == "setup":
        outcome = "skipped"
    else:
        return
    _write(report.nodeid, outcome, report)


def pytest_collectreport(report):
    if report.failed:
        _write(report.nodeid, "error", report)
"""
PROGRESS_MODULE = "_ecosystem_progress"


def parse_progress(path: Path) -> dict[str, Case]:
    """The plugin's lines: the worst outcome per test (a teardown error after a pass counts)."""
    cases: dict[str, Case] = {}
    seen: Counter[str] = Counter()
    ids: dict[str, str] = {}  # node id -> stable id: numbering counts each test once
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return cases
    for line in lines:
        try:
            nodeid, outcome, message = json.loads(line)
        except ValueError:
            continue  # the line being written when the process was killed
        if nodeid not in ids:
            ids[nodeid] = stable_id(nodeid, seen)
        cid = ids[nodeid]
        previous = cases.get(cid)
        if previous is None or previous.outcome == "passed":
            cases[cid] = Case(cid, outcome, message)
    return cases


def pytest_cmd(
    python: Path, project: Project, paths: list[str], junit: Path, args: argparse.Namespace
) -> list[str]:
    # --tb=line by default: formatting full tracebacks cost 13x the run time of a suite where most tests
    # fail (cadwyn); the error's line is in junit either way.
    cmd = [
        str(python),
        "-m",
        "pytest",
        "-q",
        "--no-header",
        "-rN",
        f"--tb={args.tb}",
        "-p",
        "no:cacheprovider",
    ]
    cmd += [f"--rootdir={junit.parent}"]
    cmd += [f"--junitxml={junit}", "-o", "junit_family=xunit1", "-o", "junit_logging=no"]
    cmd += [f"--timeout={args.timeout}", "--continue-on-collection-errors"]
    cmd += ["-p", PROGRESS_MODULE]
    if project.addopts is not None:
        cmd += ["-o", f"addopts={project.addopts}"]
    return [*cmd, *project.args, *paths]


def run_suite(name: str, project: Project, framework: str, args: argparse.Namespace) -> Run:
    started = time.monotonic()
    try:
        src = sdist_dir(name, project)
        python = project_venv(name, project)
    except SetupError as exc:
        return Run({}, str(exc), time.monotonic() - started)
    problem = check_framework(python, framework, args)
    if problem:
        return Run({}, problem, time.monotonic() - started)
    work = CACHE / "work" / f"{name}-{framework}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work, symlinks=True)
    plugin = PROGRESS_PLUGIN.replace("@PATH@", repr(str(work / PROGRESS)))
    (work / f"{PROGRESS_MODULE}.py").write_text(plugin)
    if not has_pytest_config(work):
        # Else pytest would take the configuration of an enclosing directory (this repository's).
        (work / "pytest.ini").write_text("[pytest]\n")
    paths = project.quick if args.quick else project.tests
    log = CACHE / "logs" / f"pytest-{name}-{framework}.log"
    log.unlink(missing_ok=True)
    env = clean_env(
        VIRTUAL_ENV=str(python.parent.parent),
        PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **project.env,
        **framework_env(framework, args),
    )
    if args.wall:
        project = replace(project, wall=args.wall)
    deadline = time.monotonic() + project.wall
    cases, note = run_resilient(python, project, paths, work, env, log, deadline, args)
    if args.verbose:
        print(log.read_text(errors="replace"))
    return Run(cases, note, time.monotonic() - started)


def run_resilient(
    python: Path,
    project: Project,
    paths: list[str],
    work: Path,
    env: dict[str, str],
    log: Path,
    deadline: float,
    args: argparse.Namespace,
) -> tuple[dict[str, Case], str]:
    """One pytest run for `paths`; when it crashes without a report (a segfault, a timeout method that
    kills the process, an error at session start), the paths are split into their entries and each
    part runs on its own, so one crash costs only its part. All runs share the wall-clock deadline."""
    junit = work / ".ecosystem-junit.xml"
    junit.unlink(missing_ok=True)
    (work / PROGRESS).unlink(missing_ok=True)
    remaining = deadline - time.monotonic()
    if remaining < 5:
        return {}, f"wall clock ({project.wall}s) used up before {' '.join(paths)} ran"
    with open(log, "a") as out:
        out.write(f"\n==== pytest {' '.join(paths)}\n")
    cmd = pytest_cmd(python, project, paths, junit, args)
    code = run(cmd, timeout=remaining, cwd=work, log=log, env=env)
    cases = parse_junit(junit)
    if cases is not None:
        return cases, ""
    if code == -1:  # killed: junit is written at the end, the plugin's lines are what there is
        partial = parse_progress(work / PROGRESS)
        note = f"the wall clock ({project.wall}s) ran out during {' '.join(paths)}"
        return partial, f"{note}: {len(partial)} results kept, the tests not reached count as failing"
    parts = split_paths(work, paths, project.args)
    if parts == paths:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        note = f"pytest wrote no report (exit {code}): {' | '.join(tail)[:300]}"
        return {p: Case(p, "error", note) for p in paths}, note
    merged: dict[str, Case] = {}
    notes: list[str] = []
    for part in parts:
        part_cases, part_note = run_resilient(python, project, [part], work, env, log, deadline, args)
        merged.update(part_cases)
        if part_note:
            notes.append(part_note)
    return merged, "; ".join(dict.fromkeys(notes))[:500]


def split_paths(work: Path, paths: list[str], pytest_args: list[str]) -> list[str]:
    """Each directory replaced by its test files and subdirectories (minus --ignore'd ones)."""
    ignored = {a.split("=", 1)[1].rstrip("/") for a in pytest_args if a.startswith("--ignore=")}
    parts: list[str] = []
    for path in paths:
        if not (work / path).is_dir():
            parts.append(path)
            continue
        for child in sorted((work / path).iterdir()):
            rel = child.relative_to(work).as_posix()
            test_file = child.suffix == ".py" and (
                child.name.startswith("test_") or child.stem.endswith("_test")
            )
            if rel in ignored or child.name.startswith((".", "__")):
                continue
            if test_file or (child.is_dir() and any(child.rglob("test_*.py"))):
                parts.append(rel)
    return parts


# ---- reference and scoring ---------------------------------------------------------------------


def reference_path(name: str) -> Path:
    return REFERENCE / f"{name}.json"


def record_reference(name: str, project: Project, args: argparse.Namespace) -> dict[str, object]:
    first = run_suite(name, project, "fastapi", args)
    if first.note and not first.cases:
        sys.exit(f"{name}: no reference results: {first.note}")
    second = run_suite(name, project, "fastapi", args)
    ids = sorted(set(first.cases) | set(second.cases))
    flaky = [
        i
        for i in ids
        if i not in first.cases or i not in second.cases or first.cases[i].outcome != second.cases[i].outcome
    ]
    outcomes = {i: first.cases[i].outcome for i in ids if i not in flaky}
    data: dict[str, object] = {
        "project": name,
        "version": project.version,
        "fastapi": FASTAPI_PIN,
        "tests": project.tests,
        "args": project.args,
        "passed": sum(o == "passed" for o in outcomes.values()),
        "flaky": flaky,
        "outcomes": outcomes,
    }
    REFERENCE.mkdir(parents=True, exist_ok=True)
    reference_path(name).write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    return data


def load_reference(name: str) -> dict[str, object] | None:
    path = reference_path(name)
    if not path.exists():
        return None
    data: dict[str, object] = json.loads(path.read_text())
    return data


def in_paths(test_id: str, paths: list[str]) -> bool:
    """Whether a test is selected by pytest arguments: directories, files or node-id prefixes."""
    file = test_id.split("::", 1)[0]
    for p in paths:
        if "::" in p:
            if test_id == p or test_id.startswith((p + "::", p + "[")):
                return True
        elif file == p or file.startswith(p.rstrip("/") + "/"):
            return True
    return False


@dataclass
class Score:
    name: str
    version: str
    reference: int = 0  # tests passing under FastAPI (not flaky), among those run
    passed: int = 0  # of those, passing on ferroapi
    flaky: int = 0
    seconds: float = 0.0
    note: str = ""
    failures: list[Case] = field(default_factory=list)


def score(name: str, project: Project, result: Run, reference: dict[str, object], quick: bool) -> Score:
    outcomes: dict[str, str] = dict(reference["outcomes"])  # type: ignore[call-overload]
    wanted = [i for i, o in outcomes.items() if o == "passed" and (not quick or in_paths(i, project.quick))]
    flaky: list[str] = list(reference.get("flaky", []))  # type: ignore[call-overload]
    s = Score(name, project.version, reference=len(wanted), seconds=result.seconds, note=result.note)
    s.flaky = sum(1 for i in flaky if not quick or in_paths(i, project.quick))
    # A file that failed to import is one error case named after the file: its tests take its message.
    file_errors = {c.id: c for c in result.cases.values() if "::" not in c.id}
    for test_id in wanted:
        case = result.cases.get(test_id)
        if case is not None and case.outcome == "passed":
            s.passed += 1
            continue
        if case is None:
            err = next((e for path, e in file_errors.items() if in_paths(test_id, [path])), None)
            if err is not None:
                case = Case(test_id, "error", f"(collection) {err.message}")
            else:
                case = Case(test_id, "missing", result.note or "not run (not collected on ferroapi)")
        s.failures.append(case)
    return s


ROW = "{:<40} {:>8} {:>9} {:>8} {:>7} {:>6} {:>6}"


def print_table(scores: list[Score], framework: str, quick: bool) -> None:
    title = f"Extension test suites on {framework} (reference: FastAPI {FASTAPI_PIN})"
    print(f"\n{title}{' [quick subset]' if quick else ''}")
    print(ROW.format("project", "version", "reference", framework[:8], "pass%", "flaky", "secs"))
    total = Score("TOTAL", "")
    for s in scores:
        total.reference += s.reference
        total.passed += s.passed
        total.flaky += s.flaky
        total.seconds += s.seconds
        print(row(s))
        if s.note:
            print(f"    ! {s.note}")
    print("-" * 90)
    print(row(total))


def row(s: Score) -> str:
    pct = f"{100 * s.passed / s.reference:.1f}" if s.reference else "-"
    return ROW.format(s.name, s.version, s.reference, s.passed, pct, s.flaky, f"{s.seconds:.0f}")


def print_failures(scores: list[Score]) -> None:
    for s in scores:
        if not s.failures:
            continue
        print(f"\n## {s.name} {s.version}: {len(s.failures)} reference-passing tests do not pass")
        for case in s.failures:
            print(f"  {case.outcome[:7].upper():7} {case.id}  {case.message[:200]}")
    print_failure_groups(scores)


VOLATILE = re.compile(r"0x[0-9a-fA-F]+|'[0-9a-f]{32}'|\d+")


def print_failure_groups(scores: list[Score]) -> None:
    """The failures grouped by project and error line (numbers masked), largest first, two examples each."""
    groups: dict[tuple[str, str], list[Case]] = {}
    for s in scores:
        for case in s.failures:
            groups.setdefault((s.name, VOLATILE.sub("N", case.message)[:160]), []).append(case)
    if not groups:
        return
    print("\n## failures by project and error")
    for (name, message), cases in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        print(f"  {len(cases):5} {name}: {message}")
        for case in cases[:2]:
            print(f"          e.g. {case.id[:150]}")


# ---- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--project", action="append", choices=sorted(PROJECTS), help="only this one (repeatable)")
    p.add_argument("--quick", action="store_true", help="each project's quick subset (a bounded CI form)")
    p.add_argument("--list-failures", action="store_true", help="list the reference-passing tests that fail")
    p.add_argument("--record-reference", action="store_true", help="run twice against FastAPI, write JSON")
    p.add_argument("--against", choices=["ferroapi", "fastapi"], default="ferroapi")
    p.add_argument("--timeout", type=int, default=60, help="per-test timeout in seconds (default 60)")
    p.add_argument("--wall", type=int, help="wall-clock bound of each project's run, seconds (overrides)")
    p.add_argument("--tb", default="line", help="pytest's traceback style in the logs (default: line)")
    p.add_argument("--verbose", action="store_true", help="print pytest's output")
    p.add_argument(
        "--ferroapi-src",
        default=str(FERROAPI_SRC),
        help="the directory holding the ferroapi package to test (default: this repository's python/), or"
        " HEAD: the committed python/ tree (git archive) with the built extension copied in, to measure"
        " the last commit while the work tree is being edited",
    )
    p.add_argument("--json", type=Path, help="also write the scores (and failing ids) as JSON here")
    return p.parse_args(argv)


def head_snapshot() -> Path:
    """python/ as committed at HEAD, plus the compiled extension from the work tree (not in git)."""
    commit = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True).strip()
    target = CACHE / "ferroapi-head"
    stamp = target / ".commit"
    if not (stamp.exists() and stamp.read_text().strip() == commit):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", commit, "python"], cwd=ROOT, capture_output=True, check=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(target, filter="data")
            else:  # pragma: no cover - Python without PEP 706 backports
                tar.extractall(target)
        for built in (FERROAPI_SRC / "ferroapi").glob("_ferroapi*.so"):
            shutil.copy2(built, target / "python" / "ferroapi" / built.name)
        stamp.write_text(commit + "\n")
    print(f"ferroapi from HEAD {commit[:10]} (extension built in the work tree)")
    return target / "python"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.ferroapi_src = head_snapshot() if args.ferroapi_src == "HEAD" else Path(args.ferroapi_src).resolve()
    started = time.monotonic()
    names = args.project or list(PROJECTS)
    if args.record_reference:
        if args.quick:
            sys.exit("--record-reference runs the full suites; drop --quick")
        for name in names:
            print(f"recording the reference for {name} (two runs against FastAPI) ...", flush=True)
            data = record_reference(name, PROJECTS[name], args)
            print(f"  {data['passed']} passing, {len(data['flaky'])} flaky (excluded)")  # type: ignore[arg-type]
        print(f"({time.monotonic() - started:.0f}s)")
        return 0
    scores: list[Score] = []
    for name in names:
        project = PROJECTS[name]
        reference = load_reference(name)
        print(f"running {name} {project.version} on {args.against} ...", flush=True)
        result = run_suite(name, project, args.against, args)
        if reference is None or reference.get("version") != project.version:
            # Nothing to score against: the run's own passes (record the reference to get a score).
            passed = sum(c.outcome == "passed" for c in result.cases.values())
            note = f"no reference for {project.version} (--record-reference --project {name}); {result.note}"
            scores.append(Score(name, project.version, len(result.cases), passed, 0, result.seconds, note))
            continue
        scored = score(name, project, result, reference, args.quick)
        if (reference.get("tests"), reference.get("args")) != (project.tests, project.args):
            scored.note = f"reference recorded for other tests/args: re-record it. {scored.note}"
        scores.append(scored)
    print_table(scores, args.against, args.quick)
    if args.list_failures:
        print_failures(scores)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=1))
    print(f"({time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
