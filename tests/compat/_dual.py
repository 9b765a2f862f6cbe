"""One app body, two frameworks: build it with FastAPI and with ferroapi, send the same requests, diff.

A compatibility test receives `fw` (parametrized over "fastapi" and "ferroapi") and writes its app
once in terms of it:

    def test_items(fw):
        def app(fw):
            app = fw.App()

            @app.get("/items/{item_id}")
            async def read(item_id: int, q: str | None = None) -> dict:
                return {"item_id": item_id, "q": q}

            return app

        fw.compare(app, [Req("GET", "/items/3", params={"q": "x"}), Req("GET", "/items/x")])

`fw.compare` builds the app under FastAPI (the reference) and under `fw`, and asserts equal status,
selected headers and body, with a readable diff. Under the "fastapi" parameter it compares FastAPI
with itself: that run checks that the requests and expectations of the test hold against FastAPI.
It returns `fw`'s responses, so a test can also assert absolute values.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import json
import pprint
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

FRAMEWORKS = ("fastapi", "ferroapi")

# Headers whose values are part of the contract; others (date, server...) may legitimately differ.
COMPARED_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "content-disposition",
    "allow",
    "location",
    "www-authenticate",
    "set-cookie",
    "cache-control",
    "transfer-encoding",
)


@dataclass(frozen=True)
class Req:
    """One request, as keyword arguments of httpx's `Client.request`."""

    method: str
    url: str
    params: Any = None
    headers: dict[str, str] | None = None
    cookies: dict[str, str] | None = None
    json: Any = None
    content: bytes | str | None = None
    data: Any = None
    files: Any = None

    def send(self, client: Any) -> Any:
        kwargs = {k: v for k, v in vars(self).items() if k not in ("method", "url") and v is not None}
        if self.cookies is not None:  # per-request cookies are deprecated in httpx: set them on the client
            client.cookies.clear()
            client.cookies.update(kwargs.pop("cookies"))
        return client.request(self.method, self.url, **kwargs)


RequestLike = Req | tuple[str, str] | str


def as_req(r: RequestLike) -> Req:
    if isinstance(r, Req):
        return r
    if isinstance(r, str):
        return Req("GET", r)
    return Req(*r)


@dataclass
class Snapshot:
    """What is compared of one response."""

    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON when the response says JSON and parses, else the raw bytes

    @classmethod
    def of(cls, response: Any, header_names: Iterable[str]) -> Snapshot:
        headers = {}
        for name in header_names:
            values = response.headers.get_list(name)
            if values:
                headers[name] = ", ".join(values)
        body: Any = response.content
        if "json" in response.headers.get("content-type", ""):
            with contextlib.suppress(ValueError):  # a JSON content-type with a non-JSON body: keep bytes
                body = json.loads(body)
        return cls(response.status_code, headers, body)


@dataclass
class Framework:
    name: str
    mod: ModuleType
    App: Any  # FastAPI or FerroAPI
    _modules: dict[str, ModuleType] = field(default_factory=dict, repr=False)

    def import_(self, submodule: str) -> ModuleType:
        """`fw.import_("responses")` is `fastapi.responses` or `ferroapi.responses`."""
        if submodule not in self._modules:
            self._modules[submodule] = importlib.import_module(f"{self.name}.{submodule}")
        return self._modules[submodule]

    def client(self, app: Any, **kwargs: Any) -> Any:
        """This framework's TestClient (a context manager: entering it runs the lifespan)."""
        return self.import_("testclient").TestClient(app, **kwargs)

    def run(
        self,
        app_factory: Callable[[Framework], Any],
        requests: Sequence[RequestLike],
        *,
        headers: Iterable[str] = COMPARED_HEADERS,
        raise_server_exceptions: bool = False,
    ) -> list[Snapshot]:
        app = app_factory(self)
        with self.client(app, raise_server_exceptions=raise_server_exceptions) as client:
            return [Snapshot.of(as_req(r).send(client), headers) for r in requests]

    def compare(
        self,
        app_factory: Callable[[Framework], Any],
        requests: Sequence[RequestLike],
        *,
        headers: Iterable[str] = COMPARED_HEADERS,
        raise_server_exceptions: bool = False,
    ) -> list[Snapshot]:
        """Assert this framework answers `requests` exactly as FastAPI does; return this side's answers."""
        headers = tuple(headers)
        raise_exc = raise_server_exceptions
        expected = load("fastapi").run(
            app_factory, requests, headers=headers, raise_server_exceptions=raise_exc
        )
        got = self.run(app_factory, requests, headers=headers, raise_server_exceptions=raise_exc)
        assert_same(requests, expected, got, self.name)
        return got


def load(name: str) -> Framework:
    mod = importlib.import_module(name)
    app_class = mod.FastAPI if name == "fastapi" else mod.FerroAPI
    return Framework(name, mod, app_class)


def compare(
    app_factory: Callable[[Framework], Any],
    requests: Sequence[RequestLike],
    **options: Any,
) -> list[Snapshot]:
    """Module-level form: ferroapi against FastAPI."""
    return load("ferroapi").compare(app_factory, requests, **options)


def assert_same(
    requests: Sequence[RequestLike], expected: list[Snapshot], got: list[Snapshot], name: str
) -> None:
    problems = []
    for req, want, have in zip(requests, expected, got, strict=True):
        if want != have:
            r = as_req(req)
            problems.append(f"{r.method} {r.url}\n{diff(want, have, name)}")
    if problems:
        raise AssertionError(
            f"{name} differs from fastapi on {len(problems)} request(s):\n\n" + "\n\n".join(problems)
        )


def diff(want: Snapshot, have: Snapshot, name: str) -> str:
    def lines(s: Snapshot) -> list[str]:
        return pprint.pformat(vars(s), width=100, sort_dicts=True).splitlines()

    return "\n".join(difflib.unified_diff(lines(want), lines(have), "fastapi", name, lineterm=""))
