"""An unmodified FastAPI app, with an extension that patches FastAPI's internals, served by `ferroapi run`.

The app below is written for FastAPI only (`from fastapi import ...`, no ferroapi name anywhere) and uses
fastapi-pagination, whose `add_pagination()` appends a sub-dependency to each route's
`dependant.dependencies`, rebuilds the body field with `fastapi.dependencies.utils` internals and
reassigns `route.app = request_response(route.get_route_handler())`, also inside included routers.

One fresh virtualenv holds the real `fastapi==0.165.0`, the extension, uvicorn and ferroapi installed
from a release wheel (so its start-up hook, the wheel's .pth file, is what puts the alias in place in
uvicorn's process). The same file is served twice, side by side on free ports of 127.0.0.1:
- `uvicorn main:app` on real FastAPI;
- `ferroapi run main.py` on ferroapi (the alias is on by default there);
and the same requests, in the same order, must get identical responses: status, headers (all but
`date`), body, and the OpenAPI document. `/docs` and `/redoc` are left out: ferroapi serves them offline
by design (README, "Differences from FastAPI").

Needs PyPI and a release build: marked slow (and wheel), so `make test` leaves it out;
`make unchanged-app` runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from _servers import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
FASTAPI_PIN = "fastapi==0.165.0"
EXTENSION_PIN = "fastapi-pagination==0.16.1"
BUILD_TIMEOUT = 1200  # a cold release build of the crate on two cores
INSTALL_TIMEOUT = 900
STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 10
# pytest-timeout: the module fixture builds the wheel and installs it with FastAPI from PyPI.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.wheel,
    pytest.mark.timeout(BUILD_TIMEOUT + INSTALL_TIMEOUT + 2 * STARTUP_TIMEOUT),
]

APP = textwrap.dedent(
    '''
    """A FastAPI tutorial-style app: a users router with a database dependency, paginated."""

    from collections.abc import Iterator
    from typing import Annotated

    from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, status
    from fastapi_pagination import LimitOffsetPage, Page, add_pagination, paginate
    from fastapi_pagination.customization import CustomizedPage, UseParamsFields
    from pydantic import BaseModel, EmailStr, Field


    class UserIn(BaseModel):
        name: str = Field(min_length=1, max_length=50)
        email: EmailStr
        age: int = Field(ge=0, le=150)


    class UserOut(UserIn):
        id: int


    DB: list[UserOut] = [
        UserOut(id=i, name=f"user {i}", email=f"user{i}@example.com", age=20 + i % 40) for i in range(1, 101)
    ]


    def get_db() -> Iterator[list[UserOut]]:
        yield DB


    Db = Annotated[list[UserOut], Depends(get_db)]
    BigPage = CustomizedPage[Page[UserOut], UseParamsFields(size=Query(25, ge=1, le=500))]

    app = FastAPI(title="Users service", version="1.2.3")
    router = APIRouter(prefix="/users", tags=["users"])


    @router.get("/")
    def list_users(db: Db, min_age: int | None = None) -> Page[UserOut]:
        return paginate([u for u in db if min_age is None or u.age >= min_age])


    @router.get("/limit-offset")
    async def list_users_limit_offset(db: Db, q: str | None = None) -> LimitOffsetPage[UserOut]:
        return paginate([u for u in db if q is None or q in u.name])


    @router.get("/big", response_model=BigPage)
    def list_users_big_pages(db: Db):
        return paginate(db)


    @router.get("/{user_id}")
    def read_user(user_id: int, db: Db) -> UserOut:
        for user in db:
            if user.id == user_id:
                return user
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="User not found")


    @router.post("/", status_code=status.HTTP_201_CREATED)
    def create_user(user: UserIn, db: Db) -> UserOut:
        created = UserOut(id=len(db) + 1, **user.model_dump())
        db.append(created)
        return created


    @app.get("/")
    def root() -> dict[str, str]:
        return {"message": "Hello World"}


    app.include_router(router)
    add_pagination(app)
    '''
)

# (method, path, JSON body or None): sent in this order to both servers.
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/", None),
    ("GET", "/users/", None),
    ("GET", "/users/?page=3&size=7", None),
    ("GET", "/users/?page=2&size=5&min_age=50", None),
    ("GET", "/users/?page=0", None),
    ("GET", "/users/?size=1000", None),
    ("GET", "/users/?size=abc&page=-1", None),
    ("GET", "/users/limit-offset?limit=3&offset=10", None),
    ("GET", "/users/limit-offset?q=user%201&limit=4", None),
    ("GET", "/users/limit-offset?limit=-1", None),
    ("GET", "/users/big?size=300", None),
    ("GET", "/users/big?size=501", None),
    ("GET", "/users/7", None),
    ("GET", "/users/1000", None),
    ("GET", "/users/abc", None),
    ("POST", "/users/", {"name": "Ada", "email": "ada@example.com", "age": 36}),
    ("POST", "/users/", {"name": "", "email": "not an email", "age": -1}),
    ("POST", "/users/", "not an object"),
    ("GET", "/users/101", None),
    ("GET", "/users/?page=11&size=10", None),
    ("DELETE", "/users/7", None),
    ("GET", "/nowhere", None),
    ("GET", "/openapi.json", None),
]
RAW_BAD_JSON = ("POST", "/users/", b'{"name": "x",')


def check(
    cmd: list[str], timeout: float, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def maturin() -> str:
    found = shutil.which("maturin", path=str(Path(sys.executable).parent)) or shutil.which("maturin")
    if found is None:
        pytest.fail("maturin is not installed in this environment (make setup installs it)")
    return found


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(self, deadline: float) -> None:
        """Poll until the server answers (or exits, or the deadline passes)."""
        while True:
            try:
                httpx.get(f"{self.url}/", timeout=2)
                return
            except httpx.TransportError as exc:
                if self.proc.poll() is not None:
                    pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"{self.name} did not answer within {STARTUP_TIMEOUT}s ({exc}):\n{self.output()}"
                    )
                time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.proc, STOP_TIMEOUT)


def start(name: str, cmd: list[str], port: int, cwd: Path, env: dict[str, str]) -> Server:
    log = cwd / f"{name}.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    return Server(name, proc, port, log)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    tmp = tmp_path_factory.mktemp("unchanged-app")
    dist = tmp / "dist"
    check([maturin(), "build", "--release", "--quiet", "--out", str(dist)], BUILD_TIMEOUT, cwd=ROOT)
    (wheel,) = dist.glob("ferroapi-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.pop("FERROAPI_FASTAPI_ALIAS", None)  # the reference server must get the real FastAPI
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    requirements = [str(wheel), FASTAPI_PIN, EXTENSION_PIN, "uvicorn", "email-validator"]
    check([str(python), "-m", "pip", "install", "-q", *requirements], INSTALL_TIMEOUT, env=env)

    app_dir = tmp / "app"  # outside the source tree: only what the virtualenv installed can be imported
    app_dir.mkdir()
    (app_dir / "main.py").write_text(APP)
    fastapi_port, ferroapi_port = free_port(), free_port()
    host = ["--host", "127.0.0.1"]
    reference = start(
        "fastapi",
        [str(python), "-m", "uvicorn", "main:app", *host, "--port", str(fastapi_port)],
        fastapi_port,
        app_dir,
        env,
    )
    ferro = start(
        "ferroapi",
        [str(env_dir / "bin" / "ferroapi"), "run", "main.py", *host, "--port", str(ferroapi_port)],
        ferroapi_port,
        app_dir,
        env,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        reference.wait_ready(deadline)
        ferro.wait_ready(deadline)
        yield reference, ferro
    finally:
        ferro.stop()
        reference.stop()


def native_libraries(pid: int) -> str:
    """The shared objects a process has mapped (Linux): which framework really serves."""
    maps = Path(f"/proc/{pid}/maps")
    return maps.read_text() if maps.exists() else ""


def test_each_server_runs_the_framework_it_claims(servers: tuple[Server, Server]) -> None:
    reference, ferro = servers
    if not Path("/proc/self/maps").exists():
        pytest.skip("needs /proc to see which native modules a process loaded")
    assert "_ferroapi" in native_libraries(ferro.proc.pid), ferro.output()
    assert "_ferroapi" not in native_libraries(reference.proc.pid)


def exchange(client: httpx.Client, method: str, path: str, body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        response = client.request(method, path, content=body, headers={"content-type": "application/json"})
    elif body is None:
        response = client.request(method, path)
    else:
        response = client.request(method, path, json=body)
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    try:
        content: Any = response.json()
    except json.JSONDecodeError:
        content = response.text
    return {"status": response.status_code, "headers": headers, "body": content}


def test_every_response_is_identical(servers: tuple[Server, Server]) -> None:
    reference, ferro = servers
    with (
        httpx.Client(base_url=reference.url, timeout=10) as a,
        httpx.Client(base_url=ferro.url, timeout=10) as b,
    ):
        for method, path, body in [*REQUESTS, RAW_BAD_JSON]:
            expected = exchange(a, method, path, body)
            got = exchange(b, method, path, body)
            assert got == expected, f"{method} {path}"
    # The pagination dependency really ran (not a query parameter): a page with FastAPI's shape.
    page = httpx.get(f"{ferro.url}/users/?page=3&size=7", timeout=10).json()
    assert (page["page"], page["size"], len(page["items"]), page["items"][0]["id"]) == (3, 7, 7, 15)


def test_openapi_document_is_identical(servers: tuple[Server, Server]) -> None:
    reference, ferro = servers
    expected = httpx.get(f"{reference.url}/openapi.json", timeout=10).json()
    got = httpx.get(f"{ferro.url}/openapi.json", timeout=10).json()
    assert got == expected
    assert expected["info"]["title"] == "Users service"
    assert {"page", "size"} <= {p["name"] for p in expected["paths"]["/users/"]["get"]["parameters"]}
