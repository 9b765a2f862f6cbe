"""One app body built with FastAPI and with ferroapi: `app.openapi()` must be JSON-equal.

The documents are compared whole, default `info.title` ("FastAPI" for both) included.
"""

import datetime
import importlib
import warnings
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from types import SimpleNamespace
from typing import Annotated, Any, Literal
from uuid import UUID

import pytest
from pydantic import BaseModel, Field, computed_field

try:
    from ferroapi import FerroAPI  # noqa: F401
except ImportError:  # pragma: no cover - until the application class lands
    pytest.skip("ferroapi.FerroAPI is not importable yet", allow_module_level=True)


def framework(name: str) -> SimpleNamespace:
    root = importlib.import_module(name)
    return SimpleNamespace(
        app_class=root.FastAPI if name == "fastapi" else root.FerroAPI,
        root=root,
        security=importlib.import_module(f"{name}.security"),
        responses=importlib.import_module(f"{name}.responses"),
        sse=importlib.import_module(f"{name}.sse"),
        testclient=importlib.import_module(f"{name}.testclient"),
    )


class Item(BaseModel):
    name: str
    price: float = Field(default=1.0, description="The price", gt=0)
    tags: list[str] = []


class Filters(BaseModel):
    limit: int = 10
    order: str | None = None


def corpus_params(fw: SimpleNamespace) -> Any:
    r = fw.root
    app = fw.app_class()

    @app.get("/items/{item_id}")
    def read(
        item_id: int,
        q: str | None = None,
        x_token: Annotated[str | None, r.Header()] = None,
        c: Annotated[str | None, r.Cookie()] = None,
        many: Annotated[list[str], r.Query(alias="m", description="many", deprecated=True)] = [],  # noqa: B006
    ) -> Item: ...

    @app.get("/grouped")
    def grouped(f: Annotated[Filters, r.Query()]) -> None: ...

    @app.get("/grouped-optional")
    def grouped_optional(f: Annotated[Filters | None, r.Query()] = None) -> None: ...

    return app


def corpus_bodies(fw: SimpleNamespace) -> Any:
    r = fw.root
    app = fw.app_class()

    @app.post("/items", status_code=201, response_model=Item, tags=["items"])
    def create(item: Item) -> Any: ...

    @app.put("/items/{i}")
    def update(i: Annotated[int, r.Path(ge=1)], item: Item, importance: Annotated[int, r.Body()]) -> None: ...

    @app.post("/embed")
    def embed(item: Annotated[Item, r.Body(embed=True, media_type="application/vnd.x+json")]) -> None: ...

    @app.post("/form")
    def form(a: Annotated[str, r.Form()], f: r.UploadFile, b: Annotated[bytes, r.File()]) -> None: ...  # type: ignore[name-defined]

    return app


def corpus_responses(fw: SimpleNamespace) -> Any:
    app = fw.app_class()

    @app.get("/html", response_class=fw.responses.HTMLResponse, deprecated=True)
    def html() -> str: ...

    @app.delete("/d", status_code=204)
    def delete() -> None: ...

    @app.get(
        "/extra",
        responses={404: {"description": "no"}, 418: {"model": Item}, "default": {"description": "d"}},
        openapi_extra={"x-extra": {"a": 1}},
        summary="Extra",
        description="Long",
        response_description="Done",
        operation_id="extra_op",
    )
    def extra() -> list[Item]: ...

    @app.get("/hidden", include_in_schema=False)
    def hidden() -> None: ...

    return app


def corpus_routers(fw: SimpleNamespace) -> Any:
    r = fw.root

    def common(skip: int = 0, limit: Annotated[int, r.Query(le=100)] = 10) -> int:
        return skip

    def nested(c: int = r.Depends(common), z: str = "z") -> int:
        return c

    app = fw.app_class(
        title="T",
        version="2",
        servers=[{"url": "/x"}],
        openapi_tags=[{"name": "r", "description": "R"}],
        summary="s",
        description="d",
    )
    callbacks = r.APIRouter()

    @callbacks.post("{$callback_url}/events")
    def event_callback(body: Item) -> None: ...

    router = r.APIRouter(prefix="/r", tags=["r"], dependencies=[r.Depends(nested)], responses={500: {}})

    @router.get("/list", callbacks=callbacks.routes)
    def listing(d: int = r.Depends(common)) -> list[Item]: ...

    app.include_router(router, prefix="/v1")

    @app.webhooks.post("new-item")
    def new_item(body: Item) -> None: ...

    return app


def corpus_streams(fw: SimpleNamespace) -> Any:
    app = fw.app_class()

    @app.get("/jsonl")
    async def jsonl() -> AsyncIterable[Item]:
        yield Item(name="x")

    @app.get("/sse", response_class=fw.sse.EventSourceResponse)
    async def sse() -> AsyncIterable[Item]:
        yield Item(name="x")

    return app


def corpus_security(fw: SimpleNamespace) -> Any:
    r, s = fw.root, fw.security
    app = fw.app_class()
    oauth = s.OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Me", "items": "Items"})

    def user(scopes: s.SecurityScopes, token: str = r.Depends(oauth)) -> str:  # type: ignore[name-defined]
        return token

    @app.post("/token")
    def token(form: Annotated[s.OAuth2PasswordRequestForm, r.Depends()]) -> dict[str, str]: ...  # type: ignore[name-defined]

    @app.get("/me")
    def me(u: str = r.Security(user, scopes=["me"])) -> str: ...

    @app.get("/keys", dependencies=[r.Depends(s.APIKeyHeader(name="X-Key")), r.Depends(s.HTTPBasic())])
    def keys(b: Any = r.Depends(s.HTTPBearer(bearerFormat="JWT", description="jwt"))) -> None: ...

    @app.get("/code")
    def code(
        t: str = r.Depends(s.OAuth2AuthorizationCodeBearer(authorizationUrl="a", tokenUrl="t")),
        o: str = r.Depends(s.OpenIdConnect(openIdConnectUrl="/oidc", scheme_name="OIDC")),
        k: str = r.Depends(s.APIKeyCookie(name="session")),
        q: str = r.Depends(s.APIKeyQuery(name="key", auto_error=False)),
        d: Any = r.Depends(s.HTTPDigest()),
    ) -> None: ...

    @app.post("/strict")
    def strict(form: Annotated[s.OAuth2PasswordRequestFormStrict, r.Depends()]) -> None: ...  # type: ignore[name-defined]

    return app


class Color(str, Enum):
    red = "red"
    blue = "blue"


class Tree(BaseModel):
    value: int
    children: list["Tree"] = []


@dataclass
class Point:
    x: int
    y: int = 0


class Priced(BaseModel):
    price: float
    quantity: int = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> float:
        return self.price * self.quantity


class Signup(BaseModel):
    username: str
    age: int | None = None
    model_config = {"extra": "forbid"}


def corpus_models(fw: SimpleNamespace) -> Any:
    r = fw.root
    app = fw.app_class()

    @app.get("/colors/{color}")
    def color(color: Color, tone: Literal["light", "dark"] = "light") -> dict[str, Color]: ...

    @app.post("/tree")
    def tree(tree: Tree) -> Tree: ...

    @app.post("/point", response_model=Point)
    def point(p: Point) -> Any: ...

    @app.post("/priced")
    def priced(p: Priced) -> Priced: ...

    @app.get("/union", response_model=Item | Tree | None)
    def union() -> Any: ...

    @app.get("/raw", response_class=fw.responses.PlainTextResponse, response_model=None)
    def raw() -> r.Response: ...  # type: ignore[name-defined]

    @app.get("/uuids/{u}")
    def uuids(u: UUID, when: datetime.date | None = None, ratio: Decimal = Decimal("0.5")) -> list[UUID]: ...

    return app


def corpus_forms(fw: SimpleNamespace) -> Any:
    r = fw.root
    app = fw.app_class()

    @app.post("/signup")
    def signup(data: Annotated[Signup, r.Form()]) -> None: ...

    @app.post("/files")
    def files(
        many: Annotated[list[r.UploadFile], r.File(description="several")],  # type: ignore[name-defined]
        maybe: Annotated[r.UploadFile | None, r.File()] = None,  # type: ignore[name-defined]
        note: Annotated[str, r.Form(min_length=2)] = "nn",
    ) -> None: ...

    @app.post("/bodies")
    def bodies(
        item: Item,
        tree: Tree,
        flag: Annotated[bool, r.Body(embed=False)] = True,
    ) -> None: ...

    @app.post("/raw-bytes")
    def raw_bytes(data: Annotated[bytes, r.Body(media_type="application/octet-stream")]) -> None: ...

    return app


def corpus_examples(fw: SimpleNamespace) -> Any:
    r = fw.root
    app = fw.app_class()

    class Example(BaseModel):
        a: int = Field(examples=[1, 2])
        model_config = {"json_schema_extra": {"examples": [{"a": 3}]}}

    @app.post("/ex")
    def ex(
        body: Annotated[Example, r.Body(openapi_examples={"one": {"summary": "One", "value": {"a": 1}}})],
        q: Annotated[str | None, r.Query(examples=["x"], openapi_examples={"q": {"value": "y"}})] = None,
        hidden: Annotated[str | None, r.Query(include_in_schema=False)] = None,
        h: Annotated[str | None, r.Header(include_in_schema=False)] = None,
        legacy: Annotated[int, r.Query(deprecated=True, title="Legacy", gt=0)] = 1,
    ) -> None: ...

    @app.get(
        "/documented",
        responses={
            200: {"content": {"image/png": {}}, "description": "Image or JSON"},
            "4XX": {"model": Item, "description": "client"},
            302: {"headers": {"Location": {"schema": {"type": "string"}}}},
        },
    )
    def documented() -> Item: ...

    return app


def corpus_unique_ids(fw: SimpleNamespace) -> Any:
    r = fw.root

    def custom_id(route: Any) -> str:
        return f"{route.tags[0] if route.tags else 'x'}-{route.name}"

    app = fw.app_class(generate_unique_id_function=custom_id, deprecated=None)
    router = r.APIRouter(tags=["things"], deprecated=True, include_in_schema=True)

    @router.get("/a")
    def thing_a() -> None: ...

    @router.get("/b", include_in_schema=False)
    def thing_b() -> None: ...

    app.include_router(router, prefix="/things")
    app.include_router(router, prefix="/hidden", include_in_schema=False)

    @app.api_route("/multi", methods=["GET", "POST"], response_description="Many")
    def multi() -> None: ...

    @app.get("/dup")
    def dup_a() -> None: ...

    # Not documented: mounts, plain starlette routes, websockets.
    sub = fw.app_class()
    sub.get("/inner")(dup_a)
    app.mount("/sub", sub)
    app.add_route("/plain", fw.responses.PlainTextResponse)

    @app.websocket("/ws")
    async def ws(websocket: r.WebSocket) -> None: ...  # type: ignore[name-defined]

    return app


CORPUS: dict[str, Callable[[SimpleNamespace], Any]] = {
    "params": corpus_params,
    "bodies": corpus_bodies,
    "responses": corpus_responses,
    "routers": corpus_routers,
    "streams": corpus_streams,
    "security": corpus_security,
    "models": corpus_models,
    "forms": corpus_forms,
    "examples": corpus_examples,
    "unique_ids": corpus_unique_ids,
}


@pytest.mark.parametrize("separate", [True, False])
@pytest.mark.parametrize("name", list(CORPUS))
def test_openapi_document_equal(name: str, separate: bool) -> None:
    documents, warned = [], []
    for fw_name in ("fastapi", "ferroapi"):
        app = CORPUS[name](framework(fw_name))
        app.separate_input_output_schemas = separate
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            documents.append(app.openapi())
        warned.append([str(w.message) for w in caught])
    assert documents[1] == documents[0]
    assert warned[1] == warned[0]  # e.g. duplicate operation ids


@pytest.mark.parametrize("root_path_in_servers", [True, False])
@pytest.mark.parametrize("servers", [None, [{"url": "/api"}], [{"url": "https://x.example"}]])
def test_openapi_endpoint_behind_a_root_path(
    servers: list[dict[str, str]] | None, root_path_in_servers: bool
) -> None:
    answers = []
    for fw_name in ("fastapi", "ferroapi"):
        fw = framework(fw_name)
        app = fw.app_class(servers=servers, root_path_in_servers=root_path_in_servers)
        app.get("/items")(_listing)
        client = fw.testclient.TestClient(app, root_path="/api")
        first = client.get("/openapi.json").json()
        answers.append((first, client.get("/openapi.json").json()))
    assert answers[1] == answers[0]


def _listing() -> list[Item]:
    return []
