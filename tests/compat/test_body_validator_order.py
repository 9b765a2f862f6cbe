"""A body model's own code (validators, `model_post_init`, default factories) runs when FastAPI runs it:
once, after the route's dependencies, and not at all when a dependency refuses the request.

Every piece of user code the model runs appends to a log that `/log` returns (and clears), so the
comparison with FastAPI covers how often and in which order it ran, request by request.
"""

# No `from __future__ import annotations`: the models and dependencies are local to the app factory
# (a log per app), and their annotations must be evaluated where they are written.
from typing import Annotated, Any

from _dual import Framework, Req
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

JSON = {"content-type": "application/json"}
AUTH = {"authorization": "Bearer ok", **JSON}
VALID = b'{"name": " widget ", "tags": ["a"], "price": 3}'
INVALID = b'{"name": " widget ", "tags": ["a"], "price": "three"}'
NOT_JSON = b'{"name": " widget ",'


def _app(fw: Framework) -> Any:
    m = fw.mod
    log: list[str] = []

    def tag(value: str) -> str:
        log.append(f"tag {value}")
        return value

    def new_notes() -> list[str]:
        log.append("default factory")
        return []

    class Item(BaseModel):
        name: str
        tags: list[Annotated[str, AfterValidator(tag)]]
        price: int
        notes: list[str] = Field(default_factory=new_notes)

        @field_validator("name")
        @classmethod
        def strip(cls, value: str) -> str:
            log.append("field validator")
            return value.strip()

        @model_validator(mode="after")
        def check(self) -> Any:
            log.append("model validator")
            return self

        def model_post_init(self, context: Any) -> None:
            log.append("post init")

    class Plain(BaseModel):  # nothing of the app's runs while validating: any strategy is invisible
        name: str
        price: int

    def authenticated(authorization: str | None = m.Header(None)) -> str:
        log.append("auth dependency")
        if authorization != "Bearer ok":
            raise m.HTTPException(401, "who are you")
        return authorization

    def audit(user: Annotated[str, m.Depends(authenticated)]) -> None:
        log.append("audit dependency")

    app = fw.App()

    @app.post("/items", dependencies=[m.Depends(audit)])
    def create(item: Item, q: int = 0) -> dict[str, Any]:
        log.append("endpoint")
        return item.model_dump()

    @app.post("/plain", dependencies=[m.Depends(authenticated)])
    def plain(item: Plain) -> Plain:
        return item

    @app.post("/items/{item_id}")
    def update(item_id: int, item: Item, user: Annotated[str, m.Depends(authenticated)]) -> str:
        log.append("endpoint")
        return item.name

    @app.get("/log")
    def read_log() -> list[str]:
        entries = list(log)
        log.clear()
        return entries

    return app


def test_validators_run_once_after_the_dependencies(fw: Framework) -> None:
    requests = []
    for path in ("/items", "/items/1", "/items/x"):
        for headers in (JSON, AUTH):
            for body in (VALID, INVALID, NOT_JSON):
                requests += [Req("POST", path, headers=headers, content=body), Req("GET", "/log")]
    requests += [Req("POST", "/items?q=x", headers=AUTH, content=VALID), Req("GET", "/log")]
    requests += [Req("POST", "/items?q=x", headers=AUTH, content=INVALID), Req("GET", "/log")]
    answers = fw.compare(_app, requests)
    logs = [answer.body for answer in answers[1::2]]
    # Pinned as well: a refused request runs none of the model's code; an accepted one, each piece once.
    assert logs[0] == logs[1] == ["auth dependency"]
    assert logs[3] == [
        "auth dependency",
        "audit dependency",
        "field validator",
        "tag a",
        "default factory",
        "post init",
        "model validator",
        "endpoint",
    ]
    assert logs[4] == ["auth dependency", "audit dependency", "field validator", "tag a", "default factory"]


def test_models_without_code_of_their_own_still_answer_as_fastapi(fw: Framework) -> None:
    body = b'{"name": "a", "price": 1}'
    fw.compare(
        _app,
        [
            Req("POST", "/plain", headers=JSON, content=body),
            Req("POST", "/plain", headers=AUTH, content=body),
            Req("POST", "/plain", headers=AUTH, content=b'{"name": "a", "price": "x"}'),
            Req("POST", "/plain", headers=AUTH, content=b'{"name": "a", "price": 1'),
        ],
    )
