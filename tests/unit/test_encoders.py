"""jsonable_encoder: the same output as FastAPI's for the same input and options."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import ipaddress
import re
import uuid
from collections import deque
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder as fastapi_encoder
from pydantic import BaseModel, Field, SecretStr

from ferroapi.encoders import ENCODERS_BY_TYPE, decimal_encoder, jsonable_encoder
from ferroapi.exceptions import PydanticV1NotSupportedError


class Color(enum.Enum):
    red = "r"


@dataclasses.dataclass
class Point:
    x: int
    color: Color = Color.red
    note: str | None = None


class Inner(BaseModel):
    when: datetime.datetime = datetime.datetime(2024, 1, 2, 3, 4, 5)
    amount: Decimal = Decimal("1.50")


class Outer(BaseModel):
    name: str = Field(default="n", alias="Name")
    inner: Inner = Inner()
    maybe: int | None = None
    tags: set[str] = {"a"}


class Plain:
    def __init__(self) -> None:
        self.a = 1
        self._sa_instance_state = "hidden"


class MappingLike:
    def keys(self) -> list[str]:
        return ["k"]

    def __getitem__(self, key: str) -> int:
        return 7


VALUES: list[Any] = [
    None,
    "s",
    3,
    1.5,
    b"bytes",
    Color.red,
    Point(1),
    Outer(),
    Outer(Name="x", maybe=3),
    [Outer(), Point(2)],
    {"a": Outer(), "b": None, "_sa_x": 1, 2: "int key"},
    (1, 2),
    frozenset([3]),
    deque([4]),
    datetime.date(2020, 1, 2),
    datetime.time(3, 4),
    datetime.timedelta(minutes=2),
    Decimal("2"),
    Decimal("2.5"),
    uuid.UUID(int=5),
    PurePosixPath("/a/b"),
    Path("rel"),
    ipaddress.ip_address("10.0.0.1"),
    ipaddress.ip_network("10.0.0.0/8"),
    re.compile("a+"),
    SecretStr("secret"),
    Plain(),
    MappingLike(),
]

OPTIONS: list[dict[str, Any]] = [
    {},
    {"by_alias": False},
    {"exclude_none": True},
    {"exclude_unset": True},
    {"exclude_defaults": True},
    {"include": {"a", "name", "Name"}},
    {"exclude": ["b", "inner"]},
    {"sqlalchemy_safe": False},
    {"custom_encoder": {int: lambda v: v * 10, Color: lambda c: "custom"}},
]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_same_output_as_fastapi(value: Any, options: dict[str, Any]) -> None:
    assert jsonable_encoder(value, **options) == fastapi_encoder(value, **options)


def test_generators_are_consumed_into_lists() -> None:
    assert jsonable_encoder(x * 2 for x in range(3)) == [0, 2, 4]


def test_decimal_encoder() -> None:
    assert decimal_encoder(Decimal("1")) == 1
    assert isinstance(decimal_encoder(Decimal("1")), int)
    assert decimal_encoder(Decimal("1.0")) == 1.0
    assert isinstance(decimal_encoder(Decimal("1.0")), float)


def test_encoders_by_type_is_the_registry_used() -> None:
    class Meters(float):
        pass

    class Celsius:
        def __init__(self, v: float) -> None:
            self.v = v

    ENCODERS_BY_TYPE[Celsius] = lambda c: f"{c.v}C"
    try:
        assert jsonable_encoder({"t": Celsius(3.0)}) == {"t": "3.0C"}
    finally:
        del ENCODERS_BY_TYPE[Celsius]
    assert jsonable_encoder(Meters(2.0)) == 2.0


def test_unencodable_object_raises_value_error() -> None:
    with pytest.raises(ValueError):
        jsonable_encoder(object())


def test_pydantic_v1_models_are_rejected() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic import v1

    class Old(v1.BaseModel):
        a: int = 1

    with pytest.raises(PydanticV1NotSupportedError):
        jsonable_encoder(Old())
