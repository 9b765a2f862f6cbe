"""Responses: response_model options, status codes, injected Response, background tasks, classes."""

import datetime
import decimal
import enum
from typing import Any

from _dual import Framework, Req
from pydantic import BaseModel, Field


class Out(BaseModel):
    name: str
    price: float = 1.0
    note: str | None = None
    secret: str = "s"
    alias_me: int = Field(default=1, alias="aliasMe")


class Color(enum.Enum):
    RED = "red"


def app_responses(fw: Framework) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    app = fw.App()

    @app.get("/model", response_model=Out, response_model_exclude={"secret"})
    def model() -> Any:
        return {"name": "a", "aliasMe": 3}

    @app.get("/unset", response_model=Out, response_model_exclude_unset=True)
    def unset() -> Any:
        return Out(name="a")

    @app.get("/none", response_model=Out, response_model_exclude_none=True, response_model_by_alias=False)
    def none() -> Any:
        return {"name": "a"}

    @app.get("/include", response_model=Out, response_model_include={"name"})
    def include() -> Any:
        return {"name": "a"}

    @app.get("/invalid", response_model=Out)
    def invalid() -> Any:
        return {"price": "nope"}

    @app.get("/annotated")
    def annotated() -> Out:
        return Out(name="b", secret="t")

    @app.get("/plain")
    def plain() -> Any:
        return {"when": datetime.date(2024, 1, 2), "d": decimal.Decimal("1.5"), "c": Color.RED, "s": {1}}

    @app.get("/floats")
    def floats() -> Any:
        return [1e20, 0.1, -0.0, 10**30, "é\u2028"]

    @app.post("/created", status_code=201)
    def created() -> dict[str, bool]:
        return {"ok": True}

    @app.delete("/empty", status_code=204)
    def empty() -> None:
        return None

    @app.get("/injected")
    def injected(response: m.Response) -> dict[str, int]:  # type: ignore[name-defined]
        response.headers["x-extra"] = "1"
        response.set_cookie("session", "abc")
        response.status_code = 202
        return {"n": 1}

    @app.get("/html", response_class=responses.HTMLResponse)
    def html() -> str:
        return "<b>hi</b>"

    @app.get("/text", response_class=responses.PlainTextResponse)
    def text() -> str:
        return "hi"

    @app.get("/direct")
    def direct() -> Any:
        return responses.JSONResponse({"a": 1}, status_code=418, headers={"x-a": "b"})

    @app.get("/redirect", response_class=responses.RedirectResponse)
    def redirect() -> str:
        return "/model"

    @app.get("/head-only")
    def head_only() -> dict[str, int]:
        return {"a": 1}

    return app


def test_response_model_options(fw: Framework) -> None:
    got = fw.compare(app_responses, ["/model", "/unset", "/none", "/include", "/annotated"])
    assert got[0].body == {"name": "a", "price": 1.0, "note": None, "aliasMe": 3}


def test_plain_values_and_floats(fw: Framework) -> None:
    fw.compare(app_responses, ["/plain", "/floats"])


def test_status_codes_and_injected_response(fw: Framework) -> None:
    got = fw.compare(
        app_responses,
        [Req("POST", "/created"), Req("DELETE", "/empty"), "/injected"],
        headers=("content-type", "content-length", "set-cookie", "x-extra"),
    )
    assert got[2].status == 202
    assert got[2].headers["x-extra"] == "1"


def test_response_classes(fw: Framework) -> None:
    fw.compare(
        app_responses,
        ["/html", "/text", "/direct", Req("GET", "/redirect")],
        headers=("content-type", "content-length", "location", "x-a"),
    )


def test_response_validation_error_is_a_500(fw: Framework) -> None:
    (got,) = fw.compare(app_responses, ["/invalid"])
    assert got.status == 500


def test_head_and_methods(fw: Framework) -> None:
    got = fw.compare(
        app_responses, [Req("HEAD", "/head-only"), Req("PUT", "/model"), Req("OPTIONS", "/model")]
    )
    assert got[0].status == 405


def test_background_tasks(fw: Framework) -> None:
    done: dict[str, list[str]] = {}
    m = fw.mod

    def app(fw: Framework) -> Any:
        app = fw.App()
        log = done.setdefault(fw.name, [])
        background_tasks = fw.mod.BackgroundTasks

        @app.post("/task")
        def task(tasks: background_tasks) -> dict[str, bool]:  # type: ignore[valid-type]
            tasks.add_task(log.append, "ran")  # type: ignore[attr-defined]
            return {"queued": True}

        @app.post("/returned")
        def returned(tasks: background_tasks) -> Any:  # type: ignore[valid-type]
            tasks.add_task(log.append, "returned")  # type: ignore[attr-defined]
            return fw.import_("responses").PlainTextResponse("ok")

        return app

    fw.compare(app, [Req("POST", "/task"), Req("POST", "/returned")])
    assert m is not None
    assert done[fw.name][-2:] == ["ran", "returned"]
