"""Dependencies: caching, overrides, yield teardown order and scopes, exceptions in and after yield.

The dependencies record what happens to them in a list the test reads back through an endpoint, so
the same app body shows the same history under FastAPI and ferroapi.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from _dual import Framework, Req


def app_cache(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()
    calls: list[str] = []

    def counter() -> int:
        calls.append("counter")
        return len(calls)

    def uses_counter(c: Annotated[int, m.Depends(counter)]) -> int:
        return c

    def uncached_inside(c: Annotated[int, m.Depends(counter, use_cache=False)]) -> int:
        return c

    @app.get("/cached")
    def cached(a: Annotated[int, m.Depends(counter)], b: Annotated[int, m.Depends(uses_counter)]) -> Any:
        return {"a": a, "b": b, "calls": len(calls)}

    @app.get("/uncached")
    def uncached(
        a: Annotated[int, m.Depends(counter)],
        b: Annotated[int, m.Depends(counter, use_cache=False)],
        c: Annotated[int, m.Depends(uses_counter)],
    ) -> Any:
        return {"a": a, "b": b, "c": c}

    @app.get("/nested-uncached")
    def nested(
        a: Annotated[int, m.Depends(uncached_inside)],
        b: Annotated[int, m.Depends(uncached_inside)],
    ) -> Any:
        return {"a": a, "b": b}

    @app.get("/reset")
    def reset() -> None:
        calls.clear()

    return app


def test_use_cache(fw: Framework) -> None:
    fw.compare(app_cache, ["/reset", "/cached", "/reset", "/uncached", "/reset", "/nested-uncached"])


def app_yield(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()
    log: list[str] = []

    async def request_scoped() -> AsyncIterator[str]:
        log.append("enter request")
        try:
            yield "r"
        except Exception as exc:
            log.append(f"request saw {type(exc).__name__}")
            raise
        finally:
            log.append("exit request")

    def function_scoped() -> Iterator[str]:
        log.append("enter function")
        try:
            yield "f"
        except Exception as exc:
            log.append(f"function saw {type(exc).__name__}")
            raise
        finally:
            log.append("exit function")

    def swallowing() -> Iterator[None]:
        try:
            yield
        except ValueError:
            log.append("swallowed")

    def converting() -> Iterator[None]:
        try:
            yield
        except KeyError as exc:
            raise m.HTTPException(status_code=409, detail="converted") from exc

    def raises_after_yield() -> Iterator[None]:
        yield
        raise m.HTTPException(status_code=418, detail="after yield")

    @app.get("/order")
    def order(
        r: Annotated[str, m.Depends(request_scoped)],
        f: Annotated[str, m.Depends(function_scoped, scope="function")],
    ) -> str:
        log.append("endpoint")
        return r + f

    @app.get("/boom")
    def boom(
        r: Annotated[str, m.Depends(request_scoped)],
        f: Annotated[str, m.Depends(function_scoped, scope="function")],
    ) -> None:
        raise m.HTTPException(status_code=400, detail="boom")

    @app.get("/convert")
    def convert(_: Annotated[None, m.Depends(converting)]) -> None:
        raise KeyError("x")

    @app.get("/after")
    def after(_: Annotated[None, m.Depends(raises_after_yield, scope="function")]) -> str:
        return "ok"

    @app.get("/swallow")
    def swallow(_: Annotated[None, m.Depends(swallowing)]) -> None:
        raise ValueError("lost")

    @app.get("/log")
    def read_log() -> list[str]:
        return log

    @app.get("/reset")
    def reset() -> None:
        log.clear()

    return app


def test_teardown_order_and_scopes(fw: Framework) -> None:
    [*_, order_log, _, _, boom_log] = fw.compare(
        app_yield, ["/reset", "/order", "/log", "/reset", "/boom", "/log"]
    )
    assert order_log.body == [
        "enter request",
        "enter function",
        "endpoint",
        "exit function",
        "exit request",
    ]
    assert "function saw HTTPException" in boom_log.body


def test_exceptions_into_and_after_yield(fw: Framework) -> None:
    fw.compare(app_yield, ["/convert", "/after"])


def test_swallowed_exception(fw: Framework) -> None:
    # FastAPI answers 500 (FastAPIError "Response not awaited") when a yield dependency swallows.
    fw.compare(app_yield, ["/swallow"])


def app_overrides(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    def settings(q: str = "default") -> str:
        return q

    def user(s: Annotated[str, m.Depends(settings)]) -> str:
        return f"user of {s}"

    @app.get("/")
    def read(u: Annotated[str, m.Depends(user)], s: Annotated[str, m.Depends(settings)]) -> Any:
        return {"u": u, "s": s}

    def override_settings(x: int) -> str:
        return f"override {x}"

    @app.get("/set")
    def set_override() -> None:
        app.dependency_overrides[settings] = override_settings

    @app.get("/clear")
    def clear() -> None:
        app.dependency_overrides.clear()

    @app.get("/assign")
    def assign() -> None:
        app.dependency_overrides = {user: lambda: "replaced user"}

    return app


def test_overrides(fw: Framework) -> None:
    fw.compare(app_overrides, ["/?q=a", "/set", "/?x=3", "/?q=a", "/clear", "/?q=b", "/assign", "/"])


def app_scope_error(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    def inner() -> Iterator[int]:
        yield 1

    def outer(v: Annotated[int, m.Depends(inner, scope="function")]) -> Iterator[int]:
        yield v

    @app.get("/")
    def read(v: Annotated[int, m.Depends(outer)]) -> int:
        return v

    return app


def test_scope_error_at_registration(fw: Framework) -> None:
    with pytest.raises(
        fw.mod.exceptions.DependencyScopeError if hasattr(fw.mod, "exceptions") else Exception
    ):
        app_scope_error(fw)


def app_injected(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()

    def sets_header(response: m.Response) -> None:  # type: ignore[name-defined]
        response.headers["x-dep"] = "yes"
        response.status_code = 201

    def background(tasks: m.BackgroundTasks) -> None:  # type: ignore[name-defined]
        tasks.add_task(lambda: None)

    @app.get("/")
    def read(
        request: m.Request,  # type: ignore[name-defined]
        _: Annotated[None, m.Depends(sets_header)],
        __: Annotated[None, m.Depends(background)],
    ) -> Any:
        return {"path": request.url.path}

    return app


def test_injected_objects(fw: Framework) -> None:
    fw.compare(app_injected, ["/"], headers=("content-type", "x-dep"))


def app_errors_skip_dependants(fw: Framework) -> Any:
    m = fw.mod
    app = fw.App()
    calls: list[str] = []

    def needs_int(n: int) -> int:
        calls.append("needs_int")
        return n

    def independent() -> None:
        calls.append("independent")

    def parent(n: Annotated[int, m.Depends(needs_int)], flag: bool = False) -> int:
        calls.append("parent")
        return n

    @app.get("/")
    def read(
        p: Annotated[int, m.Depends(parent)], i: Annotated[None, m.Depends(independent)], q: int = 0
    ) -> int:
        return p

    @app.get("/calls")
    def read_calls() -> list[str]:
        out = list(calls)
        calls.clear()
        return out

    return app


def test_errors_collected_and_dependants_skipped(fw: Framework) -> None:
    fw.compare(app_errors_skip_dependants, ["/?n=x&flag=maybe&q=y", "/calls", "/?n=1", "/calls"])


@pytest.mark.parametrize("n", [1000])
def test_no_leak(fw: Framework, n: int) -> None:
    def app_factory(fw: Framework) -> Any:
        m = fw.mod
        app = fw.App()
        state = {"open": 0, "max": 0}

        async def resource() -> AsyncIterator[None]:
            state["open"] += 1
            state["max"] = max(state["max"], state["open"])
            try:
                yield
            finally:
                state["open"] -= 1

        def sync_resource() -> Iterator[None]:
            state["open"] += 1
            try:
                yield
            finally:
                state["open"] -= 1

        @app.get("/r")
        def read(
            _: Annotated[None, m.Depends(resource)],
            __: Annotated[None, m.Depends(sync_resource, scope="function")],
            q: int = 0,
        ) -> int:
            if q == 2:
                raise m.HTTPException(status_code=400)
            return q

        @app.get("/state")
        def read_state() -> dict[str, int]:
            return state

        return app

    requests = [Req("GET", "/r", params={"q": str(i % 4 if i % 4 != 3 else "x")}) for i in range(n)]
    *_, state = fw.run(app_factory, [*requests, "/state"])
    assert state.body == {"open": 0, "max": 1}


def app_override_mid_request(fw: Framework) -> Any:
    """A dependency installs (or removes) an override: the dependencies solved after it see it."""
    m = fw.mod
    app = fw.App()
    calls: list[str] = []

    def leaf() -> str:
        calls.append("leaf")
        return "leaf"

    def original(x: Annotated[str, m.Depends(leaf)]) -> str:
        calls.append("original")
        return f"original({x})"

    def replacement(q: str = "r") -> str:
        calls.append("replacement")
        return f"replacement({q})"

    def install() -> None:
        app.dependency_overrides[original] = replacement

    def remove() -> None:
        app.dependency_overrides.pop(original, None)

    def wrapper(v: Annotated[str, m.Depends(original)]) -> str:
        return f"wrapper({v})"

    @app.get("/install")
    def installed(
        before: Annotated[str, m.Depends(original)],
        _: Annotated[None, m.Depends(install)],
        after: Annotated[str, m.Depends(wrapper)],
        again: Annotated[str, m.Depends(original, use_cache=False)],
    ) -> Any:
        result = {"before": before, "after": after, "again": again, "calls": list(calls)}
        calls.clear()
        return result

    @app.get("/remove")
    def removed(_: Annotated[None, m.Depends(remove)], after: Annotated[str, m.Depends(wrapper)]) -> Any:
        result = {"after": after, "calls": list(calls)}
        calls.clear()
        return result

    return app


def test_override_installed_mid_request(fw: Framework) -> None:
    fw.compare(
        app_override_mid_request,
        [Req("GET", "/install?q=x"), Req("GET", "/install"), Req("GET", "/remove"), Req("GET", "/remove")],
    )
