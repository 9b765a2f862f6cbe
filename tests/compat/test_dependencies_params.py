"""Parameter extraction and validation errors, one app body under FastAPI and ferroapi."""

from typing import Annotated, Any

from _dual import Framework, Req
from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class Item(BaseModel):
    name: str
    price: float = Field(gt=0)
    tags: list[str] = []


class Filters(BaseModel):
    limit: int = Field(10, le=100)
    order_by: str = "id"
    tags: list[str] = []


class StrictFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = 10


class HeaderGroup(BaseModel):
    x_token: str
    user_agent: str | None = None


def app_scalars(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    @app.get("/items/{item_id}")
    def read(
        item_id: int,
        q: str | None = None,
        limit: Annotated[int, m.Query(ge=1, le=50)] = 10,
        tags: Annotated[list[str], m.Query()] = [],  # noqa: B006
        ids: Annotated[list[int] | None, m.Query(alias="id")] = None,
        pattern: Annotated[str | None, m.Query(pattern="^a+$", max_length=4)] = None,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "limit": limit, "tags": tags, "ids": ids, "pattern": pattern}

    @app.get("/required")
    def required(a: int, b: Annotated[str, m.Query(min_length=2)], c: float = m.Query()) -> dict[str, Any]:
        return {"a": a, "b": b, "c": c}

    @app.get("/choices")
    def choices(
        v: Annotated[str, m.Query(validation_alias=AliasChoices("v1", "v2"))],
    ) -> str:
        return v

    return app


def test_scalar_and_list_query_params(fw: Framework) -> None:
    fw.compare(
        app_scalars,
        [
            "/items/3",
            Req("GET", "/items/3", params={"q": "x", "limit": "5", "tags": ["a", "b"], "id": ["1", "2"]}),
            Req("GET", "/items/x", params={"limit": "0", "id": ["1", "nope"]}),
            Req("GET", "/items/3", params={"pattern": "aaaaa"}),
            Req("GET", "/items/3", params={"pattern": "b"}),
            Req("GET", "/items/3.5"),
            "/required",
            "/required?a=1&b=x&c=nan",
            "/required?a=1&b=xy&c=1.5",
            "/required?a=&b=&c=",
            "/choices",
            "/choices?v2=x",
            "/choices?v1=a&v2=b",
        ],
    )


def app_headers_cookies(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    @app.get("/h")
    def headers(
        x_token: Annotated[str, m.Header()],
        user_agent: Annotated[str | None, m.Header()] = None,
        raw_name: Annotated[str | None, m.Header(convert_underscores=False)] = None,
        x_many: Annotated[list[str], m.Header()] = [],  # noqa: B006
        aliased: Annotated[int | None, m.Header(alias="X-Num")] = None,
    ) -> dict[str, Any]:
        return {"x_token": x_token, "ua": user_agent, "raw": raw_name, "many": x_many, "num": aliased}

    @app.get("/c")
    def cookies(session: Annotated[str, m.Cookie()], n: Annotated[int, m.Cookie()] = 1) -> dict[str, Any]:
        return {"session": session, "n": n}

    return app


def test_headers_and_cookies(fw: Framework) -> None:
    fw.compare(
        app_headers_cookies,
        [
            "/h",
            Req("GET", "/h", headers={"x-token": "t", "raw_name": "r", "x-num": "4", "user-agent": "ua"}),
            Req("GET", "/h", headers={"X-Token": "t", "x-num": "four", "x-many": "a"}),
            Req("GET", "/h", headers={"x_token": "underscore is not converted back"}),
            "/c",
            Req("GET", "/c", cookies={"session": "s", "n": "2"}),
            Req("GET", "/c", cookies={"session": "s", "n": "two"}),
        ],
    )


def app_grouped(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    @app.get("/q")
    def query_model(f: Annotated[Filters, m.Query()]) -> Filters:
        return f

    @app.get("/q-optional")
    def query_optional(f: Annotated[Filters | None, m.Query()] = None) -> Any:
        return f

    @app.get("/q-strict")
    def query_strict(f: Annotated[StrictFilters, m.Query()]) -> StrictFilters:
        return f

    @app.get("/h")
    def header_model(h: Annotated[HeaderGroup, m.Header()]) -> HeaderGroup:
        return h

    return app


def test_grouped_params(fw: Framework) -> None:
    fw.compare(
        app_grouped,
        [
            "/q",
            "/q?limit=5&order_by=name&tags=a&tags=b&other=1",
            "/q?limit=500",
            "/q-optional",
            "/q-optional?limit=3",
            "/q-strict?limit=3",
            "/q-strict?limit=3&extra=1",
            "/h",
            Req("GET", "/h", headers={"x-token": "t", "user-agent": "me"}),
        ],
    )


def app_bodies(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    @app.post("/single")
    def single(item: Item) -> Item:
        return item

    @app.post("/optional")
    def optional(item: Item | None = None) -> Any:
        return {"item": item}

    @app.post("/embed")
    def embed(item: Annotated[Item, m.Body(embed=True)]) -> Item:
        return item

    @app.post("/many")
    def many(item: Item, importance: Annotated[int, m.Body(gt=0)], note: str | None = m.Body(None)) -> Any:
        return {"item": item, "importance": importance, "note": note}

    @app.post("/scalar")
    def scalar(value: Annotated[int, m.Body()]) -> int:
        return value

    @app.post("/listbody")
    def list_body(items: list[Item]) -> list[Item]:
        return items

    return app


def test_bodies(fw: Framework) -> None:
    fw.compare(
        app_bodies,
        [
            Req("POST", "/single", json={"name": "a", "price": 1}),
            Req("POST", "/single", json={"name": "a", "price": -1, "tags": "x"}),
            Req("POST", "/single", json=[1]),
            Req("POST", "/single", json=None),
            Req("POST", "/optional", json=None),
            Req("POST", "/optional", json={"name": "a", "price": 2}),
            Req("POST", "/embed", json={"item": {"name": "a", "price": 1}}),
            Req("POST", "/embed", json={"name": "a", "price": 1}),
            Req("POST", "/embed", json=[1, 2]),
            Req("POST", "/many", json={"item": {"name": "a", "price": 1}, "importance": 2}),
            Req("POST", "/many", json={"item": {"name": "a"}, "importance": 0}),
            Req("POST", "/many", json={}),
            Req("POST", "/scalar", json=3),
            Req("POST", "/scalar", json="x"),
            Req("POST", "/listbody", json=[{"name": "a", "price": 1}, {"name": "b"}]),
            Req("POST", "/single", content=b"name=a", headers={"content-type": "text/plain"}),
        ],
    )


def test_missing_body(fw: Framework) -> None:
    fw.compare(app_bodies, [Req("POST", "/single"), Req("POST", "/optional"), Req("POST", "/many")])


def app_forms(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    @app.post("/login")
    def login(username: Annotated[str, m.Form()], password: Annotated[str, m.Form(min_length=3)]) -> Any:
        return {"username": username, "password": password}

    @app.post("/tags")
    def tags(tags: Annotated[list[str], m.Form()] = [], n: Annotated[int | None, m.Form()] = None) -> Any:  # noqa: B006
        return {"tags": tags, "n": n}

    @app.post("/model")
    def form_model(data: Annotated[Filters, m.Form()]) -> Filters:
        return data

    @app.post("/files")
    async def files(
        raw: Annotated[bytes, m.File()],
        upload: m.UploadFile,  # type: ignore[name-defined]
        more: Annotated[list[bytes], m.File()] = [],  # noqa: B006
    ) -> Any:
        return {
            "raw": raw.decode(),
            "name": upload.filename,
            "data": (await upload.read()).decode(),
            "more": len(more),
        }

    return app


def test_forms_and_files(fw: Framework) -> None:
    fw.compare(
        app_forms,
        [
            Req("POST", "/login", data={"username": "u", "password": "secret"}),
            Req("POST", "/login", data={"username": "", "password": "x"}),
            Req("POST", "/login"),
            Req("POST", "/tags", data={"tags": ["a", "b"], "n": "3"}),
            Req("POST", "/tags", data={"n": ""}),
            Req("POST", "/model", data={"limit": "5", "tags": ["x", "y"]}),
            Req("POST", "/model", data={"limit": "500"}),
            Req(
                "POST",
                "/files",
                files=[("raw", ("a.txt", b"AAA")), ("upload", ("b.txt", b"BBB")), ("more", ("c", b"C"))],
            ),
            Req("POST", "/files", files=[("upload", ("b.txt", b"BBB"))]),
        ],
    )


class Cat(BaseModel):
    kind: str = "cat"
    meows: int


class Dog(BaseModel):
    kind: str = "dog"
    barks: int
    tricks: list[str] = []


def app_form_unions(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    @app.post("/pet")
    def pet(p: Annotated[Cat | Dog, m.Form()]) -> Any:
        return p

    @app.post("/maybe")
    def maybe(f: Annotated[Filters | None, m.Form()] = None) -> Any:
        return {"f": f}

    return app


def test_form_models_unions_and_optional(fw: Framework) -> None:
    fw.compare(
        app_form_unions,
        [
            Req("POST", "/pet", data={"meows": "3"}),
            Req("POST", "/pet", data={"barks": "2", "tricks": ["sit", "roll"]}),
            Req("POST", "/pet", data={"other": "x"}),
            Req("POST", "/maybe", data={}),
            Req("POST", "/maybe", data={"limit": "4"}),
            Req("POST", "/maybe", data={"limit": "x"}),
        ],
    )
