"""A response value that cannot be encoded reports its own error, not a chained expected one (#13).

A return value without a response model is first encoded by the C JSON encoder; a value it does not
know (a TypeError, expected) is encoded again after `jsonable_encoder`. That second attempt used to run
inside `except TypeError:`, so when it failed too, its error was reported "During handling of the
above exception, another exception occurred" after the first attempt's TypeError: misleading, as
that TypeError is no fault of the app.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ferroapi import FerroAPI
from ferroapi.testclient import TestClient


class Slotted:
    """Neither a mapping nor an object with `__dict__`: `jsonable_encoder` cannot convert it."""

    __slots__ = ("x",)


def chained(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception linked to it as context or cause, each once."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__context__, current.__cause__) if e is not None)


def test_the_fallback_failure_has_no_chained_first_attempt() -> None:
    app = FerroAPI()

    @app.get("/value")
    async def value():  # no return annotation: no response model
        return {"value": Slotted()}

    with TestClient(app) as client, pytest.raises(ValueError) as raised:
        client.get("/value")
    messages = [str(exc) for exc in chained(raised.value)]
    # jsonable_encoder's own error (its attempts: dict(), vars()), nothing from the first encoding.
    assert not any("is not JSON serializable" in message for message in messages), messages
    assert raised.value.__context__ is raised.value.__cause__  # only jsonable_encoder's `from exc`
    assert "vars() argument must have __dict__ attribute" in str(raised.value.__cause__)


def test_a_value_the_fallback_encodes_still_works() -> None:
    app = FerroAPI()

    @app.get("/value")
    async def value():
        return {"when": __import__("datetime").date(2024, 1, 2), "items": {1, 2}}

    with TestClient(app) as client:
        assert client.get("/value").json() == {"when": "2024-01-02", "items": [1, 2]}
