"""Type aliases shared by the public API (the same names FastAPI's `types` module has)."""

import types
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar, Union

from pydantic import BaseModel
from pydantic.main import IncEx as IncEx

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])
UnionType = getattr(types, "UnionType", Union)
ModelNameMap = dict[type[BaseModel] | type[Enum], str]
DependencyCacheKey = tuple[Callable[..., Any] | None, tuple[str, ...], str]

__all__ = ["DecoratedCallable", "DependencyCacheKey", "IncEx", "ModelNameMap", "UnionType"]
