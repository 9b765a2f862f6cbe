"""Small helpers FastAPI exposes in its modules (used by extensions and FastAPI's own tests), compared
with FastAPI 0.165.0's on the same inputs."""

from __future__ import annotations

import warnings
from typing import Any

import anyio
import pytest
from fastapi import encoders as fastapi_encoders
from fastapi import sse as fastapi_sse
from fastapi import utils as fastapi_utils
from fastapi.openapi import docs as fastapi_docs
from pydantic import BaseModel, ValidationError

from ferroapi import concurrency, encoders, exceptions, responses, sse, utils
from ferroapi.exceptions import FastAPIDeprecationWarning, FerroAPIError
from ferroapi.openapi import docs

# --- sse -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "a", "a\nb", "a\r\nb\rc\n", "\r\r\n\n", "x\n\n"])
def test_split_sse_lines(value: str) -> None:
    assert sse._split_sse_lines(value) == fastapi_sse._split_sse_lines(value)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        ("_check_event_single_line", "ok"),
        ("_check_event_single_line", "a\nb"),
        ("_check_id_valid", "a\rb"),
        ("_check_id_valid", "a\0b"),
        ("_check_id_valid", None),
    ],
)
def test_event_field_checks(check: str, value: str | None) -> None:
    def outcome(function: Any) -> object:
        try:
            return function(value)
        except ValueError as exc:
            return str(exc)

    assert outcome(getattr(sse, check)) == outcome(getattr(fastapi_sse, check))


def test_event_model_uses_the_checks() -> None:
    with pytest.raises(ValidationError, match="must be a single line"):
        sse.ServerSentEvent(event="a\nb")


# --- exceptions ------------------------------------------------------------------------------------


def test_error_models_are_empty_models_built_once() -> None:
    request_model = exceptions.RequestErrorModel
    assert request_model is exceptions.RequestErrorModel
    assert issubclass(request_model, BaseModel)
    assert request_model.__name__ == "Request"
    assert exceptions.WebSocketErrorModel.model_json_schema() == {
        "properties": {},
        "title": "WebSocket",
        "type": "object",
    }
    with pytest.raises(AttributeError):
        exceptions.NoSuchName  # noqa: B018


# --- encoders --------------------------------------------------------------------------------------


def test_encoders_by_class_tuples_groups_types_per_encoder() -> None:
    grouped = encoders.generate_encoders_by_class_tuples({int: str, bytes: repr, float: str})
    assert dict(grouped) == {str: (int, float), repr: (bytes,)}
    ours = {tuple(t.__name__ for t in types) for types in encoders.encoders_by_class_tuples.values()}
    theirs = {
        tuple(t.__name__ for t in types) for types in fastapi_encoders.encoders_by_class_tuples.values()
    }
    assert ours == theirs


def test_subclass_encoded_through_class_tuples(monkeypatch: pytest.MonkeyPatch) -> None:
    class Marker:
        pass

    class Sub(Marker):
        pass

    def encode(value: object) -> str:
        return "marker"

    # As in FastAPI: a subclass is found through encoders_by_class_tuples, not ENCODERS_BY_TYPE.
    monkeypatch.setitem(encoders.ENCODERS_BY_TYPE, Marker, encode)
    assert encoders.jsonable_encoder(Marker()) == "marker"
    assert encoders.jsonable_encoder(Sub()) == {}  # no encoder: encoded as its (empty) vars()
    monkeypatch.setitem(encoders.encoders_by_class_tuples, encode, (Marker,))
    assert encoders.jsonable_encoder(Sub()) == "marker"


# --- utils -----------------------------------------------------------------------------------------


def test_generate_operation_id_for_path_is_deprecated() -> None:
    kwargs = {"name": "read item", "path": "/items/{item_id}", "method": "GET"}
    with pytest.warns(FastAPIDeprecationWarning):
        ours = utils.generate_operation_id_for_path(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours == fastapi_utils.generate_operation_id_for_path(**kwargs)


def test_create_model_field_positional_arguments() -> None:
    field = utils.create_model_field("limit", int, 10, None, "max", "serialization")
    assert (field.name, field.alias, field.mode, field.get_default()) == ("limit", "max", "serialization", 10)
    assert field.validate("3", loc=("query",)) == (3, [])


def test_create_model_field_rejects_non_pydantic_types() -> None:
    class NotAType:
        pass

    with pytest.raises(FerroAPIError) as caught:
        utils.create_model_field("x", NotAType)
    assert str(caught.value) == fastapi_utils._invalid_args_message.format(type_=NotAType)


# --- responses -------------------------------------------------------------------------------------


def test_optional_json_modules_are_module_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    orjson = pytest.importorskip("orjson")
    assert responses.orjson is orjson
    monkeypatch.setattr(responses, "orjson", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FastAPIDeprecationWarning)
        with pytest.raises(AssertionError, match="orjson must be installed"):
            responses.ORJSONResponse({"a": 1})


# --- openapi.docs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": "</script><script>alert(1)</script>"}, ["&", 1, None], "x<y"])
def test_html_safe_json(value: Any) -> None:
    assert docs._html_safe_json(value) == fastapi_docs._html_safe_json(value)


# --- concurrency -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_concurrency_limit_holds_the_semaphore_while_open() -> None:
    limit = concurrency._DependencyConcurrency(1)
    semaphore = limit.get_semaphore()
    assert semaphore is limit.get_semaphore()
    entered: list[int] = []

    class Resource:
        async def __aenter__(self) -> int:
            entered.append(semaphore.value)
            return 7

        async def __aexit__(self, *args: object) -> None:
            return None

    async with concurrency._contextmanager_with_concurrency_limit(Resource(), semaphore) as value:
        assert value == 7
        assert semaphore.value == 0
    assert entered == [0]
    assert semaphore.value == 1


@pytest.mark.anyio
async def test_shielded_exit_shields_the_cleanup_scope_during_teardown() -> None:
    shielded_during_exit: list[bool] = []

    with anyio.CancelScope() as cleanup_scope:

        class Resource:
            async def __aenter__(self) -> str:
                return "value"

            async def __aexit__(self, *args: object) -> None:
                shielded_during_exit.append(cleanup_scope.shield)

        async with concurrency._asynccontextmanager_with_shielded_exit(Resource(), cleanup_scope) as value:
            assert value == "value"
            assert not cleanup_scope.shield
    assert shielded_during_exit == [True]
    assert not cleanup_scope.shield
