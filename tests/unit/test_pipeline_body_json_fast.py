"""The one-pass JSON body path: `validate_json(raw)` must accept exactly what FastAPI's
`json.loads(raw)` + python-mode validation accepts, with the same values, for every schema
`json_mode_matches_python` lets through (anything else takes the two-pass path).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from ferroapi import FerroAPI
from ferroapi._compat import Undefined
from ferroapi._compat.json_mode import calls_user_code, has_huge_integer, json_mode_matches_python
from ferroapi._fields import create_model_field
from ferroapi.testclient import TestClient


class Inner(BaseModel):
    n: int = 0
    when: dt.datetime | None = None


class Outer(BaseModel):
    id: int
    name: str
    score: float
    active: bool = False
    tags: list[str] = []
    inner: Inner | None = None
    extra: dict[str, Any] = {}
    pair: tuple[int, str] | None = None
    ids: set[int] = set()
    kind: Literal["a", "b", 3] = "a"
    day: dt.date | None = None
    span: dt.timedelta | None = None
    key: uuid.UUID | None = None

    @field_validator("name")
    @classmethod
    def strip(cls, value: str) -> str:
        return value.strip()


class Tree(BaseModel):
    value: int
    children: list[Tree] = []


class Shape(TypedDict, total=False):
    x: float
    label: str


ACCEPTED: list[Any] = [
    int,
    float,
    str,
    bool,
    Any,
    list[int],
    dict[str, float],
    dict[int, str],
    Outer,
    list[Outer],
    Tree,
    Shape,
    Annotated[int, Field(gt=0)],
    Annotated[str, Field(max_length=3)],
    Inner | None,
    tuple[int, ...],
    frozenset[str],
    dt.datetime,
    dt.date,
    dt.time,
    dt.timedelta,
    uuid.UUID,
]


class Color(Enum):
    RED = "red"


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True)
    when: dt.datetime


class Coerced(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    text: str


REJECTED: list[Any] = [
    Decimal,
    bytes,
    int | str,
    Color,
    StrictInt,
    StrictModel,
    Coerced,
    Annotated[tuple[int, int], Field(strict=True)],
    Literal[True, 1],
]


@pytest.mark.parametrize("annotation", ACCEPTED, ids=repr)
def test_accepted_schemas(annotation: Any) -> None:
    assert json_mode_matches_python(TypeAdapter(annotation).core_schema)


@pytest.mark.parametrize("annotation", REJECTED, ids=repr)
def test_mode_dependent_schemas_are_rejected(annotation: Any) -> None:
    assert not json_mode_matches_python(TypeAdapter(annotation).core_schema)


def _slow(adapter: TypeAdapter[Any], raw: bytes) -> Any:
    """FastAPI's way: json.loads, then python-mode validation; Undefined when either fails."""
    try:
        return adapter.validate_python(json.loads(raw), from_attributes=True)
    except (ValueError, ValidationError, RecursionError):
        return Undefined


def _same(fast: Any, slow: Any) -> bool:
    if isinstance(fast, float) and fast != fast:
        return isinstance(slow, float) and slow != slow
    return type(fast) is type(slow) and repr(fast) == repr(slow)


def _check(annotation: Any, raw: bytes) -> None:
    field = create_model_field("body", annotation)
    fast = field.try_validate_json(raw)
    if fast is Undefined or has_huge_integer(raw):
        return  # the pipeline takes the two-pass path: FastAPI's behaviour by construction
    slow = _slow(field.type_adapter, raw)
    assert slow is not Undefined, f"validate_json accepted what FastAPI rejects: {raw!r}"
    assert _same(fast, slow), f"{raw!r}: {fast!r} != {slow!r}"


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["2024-01-02", "2024-01-02T03:04:05Z", "P1D", "12:30", "1", "1.5", "true", "a", "3"]),
    st.just("6f1c2c64-8a0c-4a3d-9c8e-1d2f3a4b5c6d"),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
OUTER_KEYS = [*Outer.model_fields, "n", "when", "value", "children", "x", "label"]
objects = st.dictionaries(st.sampled_from(OUTER_KEYS), json_values, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ACCEPTED), st.one_of(json_values, objects, st.lists(objects, max_size=3)))
def test_fast_path_equals_fastapi_path(annotation: Any, value: Any) -> None:
    _check(annotation, json.dumps(value).encode())


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": 1, "id": 2, "name": "a", "score": 1}',
        b'{"id": 1, "name": " a ", "score": NaN}',
        b'{"id": 1, "name": "a", "score": Infinity}',
        b'{"id": 1, "name": "a", "score": 1e400}',
        b'{"id": 1e3, "name": "a", "score": -0}',
        b'{"id": 1, "name": "\\ud800", "score": 1}',
        b'{"id": 1, "name": "a\x01", "score": 1}',
        b'{"id": 1, "name": "\xff", "score": 1}',
        b'\xef\xbb\xbf{"id": 1, "name": "a", "score": 1}',
        b'{"id": 1, "name": "a", "score": ' + b"9" * 400 + b"}",
        b'{"id": ' + b"9" * 400 + b', "name": "a", "score": 1}',
        b'{"id": 1, "name": "a", "score": 1, "pair": [1, "x"], "ids": [1, 1, 2], "kind": 3}',
        b'{"id": 1, "name": "a", "score": 1, "day": 86400, "span": 1.5, "inner": {"when": 0}}',
        b'{"id": 1, "name": "a", "score": 1} trailing',
    ],
)
def test_edge_bodies(raw: bytes) -> None:
    _check(Outer, raw)
    _check(list[Outer], b"[" + raw + b"]")


def test_huge_integer_scan() -> None:
    assert has_huge_integer(b"[" + b"1" * 309 + b"]")
    assert not has_huge_integer(b"[" + b"1" * 308 + b"]")
    assert not has_huge_integer(b"[1e999]")


class WithModelValidator(BaseModel):
    n: int

    @model_validator(mode="after")
    def check(self) -> WithModelValidator:
        return self


class WithPostInit(BaseModel):
    n: int

    def model_post_init(self, context: Any) -> None:
        pass


class WithInit(BaseModel):
    n: int

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)


class WithPrivate(BaseModel):
    n: int
    _seen: list[int] = PrivateAttr(default_factory=list)


class WithFactory(BaseModel):
    n: int
    key: uuid.UUID = Field(default_factory=uuid.uuid4)


class WithBuiltinFactory(BaseModel):
    n: int
    tags: list[str] = Field(default_factory=list)


class Nested(BaseModel):
    inner: list[WithModelValidator] = []


@pytest.mark.parametrize(
    "annotation",
    [
        Outer,  # a field_validator
        list[Tree | Outer],
        WithModelValidator,
        Nested,
        WithPostInit,
        WithInit,
        WithPrivate,
        WithFactory,
        Annotated[int, AfterValidator(abs)],
    ],
    ids=repr,
)
def test_schemas_that_run_the_apps_code(annotation: Any) -> None:
    """Validated after the dependencies, as FastAPI does (never in one pass while the body is read)."""
    assert calls_user_code(TypeAdapter(annotation).core_schema)


@pytest.mark.parametrize("annotation", [Inner, Tree, list[Tree], Shape, WithBuiltinFactory, dict[str, int]])
def test_schemas_that_run_only_pydantic(annotation: Any) -> None:
    assert not calls_user_code(TypeAdapter(annotation).core_schema)


class Event(BaseModel):
    """Fields named like core-schema keys: `type` (a field schema where a node's type string would be)."""

    type: str
    custom_init: int = 0
    default_factory: str = ""


class CheckedEvent(BaseModel):
    type: str

    @field_validator("type")
    @classmethod
    def known(cls, value: str) -> str:
        return value


class EventShape(TypedDict):
    type: str


def test_fields_named_like_schema_keys() -> None:
    """A model with a field called `type` raised TypeError (unhashable dict) at route registration."""
    assert not calls_user_code(TypeAdapter(Event).core_schema)
    assert not calls_user_code(TypeAdapter(EventShape).core_schema)
    assert calls_user_code(TypeAdapter(CheckedEvent).core_schema)
    app = FerroAPI()

    @app.post("/events")
    def create(event: Event) -> Event:
        return event

    response = TestClient(app).post("/events", json={"type": "click", "custom_init": 2})
    assert response.status_code == 200
    assert response.json() == {"type": "click", "custom_init": 2, "default_factory": ""}
