"""Issue "dependency injection": a 3-dependency chain, 10 trivial dependencies, the same with overrides."""

# No `from __future__ import annotations` here: the endpoints below are closures whose annotations
# name locals (`Depends`, `Header` of the framework under test), which only eager evaluation sees.

from collections.abc import AsyncIterator
from typing import Annotated, Any

from apps import Framework
from apps.asgi import Request


async def settings() -> dict[str, str]:
    return {"db": "memory"}


def build(fw: Framework, *, overrides: bool = False) -> Any:
    Depends, Header = fw.mod.Depends, fw.mod.Header

    async def session(cfg: Annotated[dict[str, str], Depends(settings)]) -> AsyncIterator[dict[str, Any]]:
        state = {"db": cfg["db"], "open": True}
        yield state
        state["open"] = False

    async def current_user(
        db: Annotated[dict[str, Any], Depends(session)],
        x_user: Annotated[str, Header()],
    ) -> dict[str, str]:
        return {"user": x_user, "db": db["db"]}

    def trivial(i: int) -> Any:
        async def dep() -> int:
            return i

        dep.__name__ = f"dep{i}"
        return dep

    deps = [trivial(i) for i in range(10)]
    app = fw.App()

    @app.get("/chain")
    async def chain(user: Annotated[dict[str, str], Depends(current_user)]) -> dict[str, str]:
        return user

    @app.get("/ten", dependencies=[Depends(d) for d in deps[5:]])
    async def ten(
        a: Annotated[int, Depends(deps[0])],
        b: Annotated[int, Depends(deps[1])],
        c: Annotated[int, Depends(deps[2])],
        d: Annotated[int, Depends(deps[3])],
        e: Annotated[int, Depends(deps[4])],
    ) -> dict[str, int]:
        return {"sum": a + b + c + d + e}

    if (
        overrides
    ):  # an equivalent replacement, as a test suite would install: same answers, override path taken

        async def settings_override() -> dict[str, str]:
            return {"db": "memory"}

        async def dep3_override() -> int:
            return 3

        app.dependency_overrides[settings] = settings_override
        app.dependency_overrides[deps[3]] = dep3_override
    return app


def build_with_overrides(fw: Framework) -> Any:
    return build(fw, overrides=True)


CHAIN = Request("GET", "/chain", headers={"x-user": "alice"})
TEN = Request("GET", "/ten")

SCENARIOS = [
    ("3-dependency chain (yield, header)", CHAIN),
    ("10 trivial dependencies", TEN),
]
