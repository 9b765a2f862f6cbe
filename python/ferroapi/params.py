"""Parameter declarations: where a value comes from (path, query, header, cookie, body, form, file)
and how it is validated, plus `Depends` / `Security`.

Each class is a pydantic `FieldInfo`, so every constraint pydantic knows (`gt`, `max_length`,
`pattern`, ...) works as in a model field. The keyword options are declared once, in `FieldKwargs`,
instead of being repeated in every class.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, cast

from pydantic import AliasChoices, AliasPath, Discriminator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from typing_extensions import TypedDict, Unpack, deprecated

from ferroapi._compat.shared import Undefined as Undefined
from ferroapi.concurrency import DependencyConcurrency
from ferroapi.concurrency import _DependencyConcurrency as _DependencyConcurrency
from ferroapi.datastructures import _Unset
from ferroapi.exceptions import FastAPIDeprecationWarning
from ferroapi.openapi._example import Example as Example

__all__ = [
    "Body",
    "Cookie",
    "Depends",
    "FieldKwargs",
    "File",
    "Form",
    "Header",
    "Param",
    "ParamTypes",
    "Path",
    "Query",
    "Security",
]


class ParamTypes(Enum):
    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


class FieldKwargs(TypedDict, total=False):
    """The options every parameter declaration accepts (pydantic's `Field` options + OpenAPI ones)."""

    default_factory: Callable[[], Any] | None
    annotation: Any | None
    alias: str | None
    alias_priority: int | None
    validation_alias: str | AliasPath | AliasChoices | None
    serialization_alias: str | None
    title: str | None
    description: str | None
    gt: float | None
    ge: float | None
    lt: float | None
    le: float | None
    min_length: int | None
    max_length: int | None
    pattern: str | re.Pattern[str] | None
    regex: str | None  # deprecated: use `pattern`
    discriminator: str | Discriminator | None
    strict: bool | None
    validate_default: bool | None
    union_mode: Literal["smart", "left_to_right"] | None
    fail_fast: bool | None
    multiple_of: float | None
    allow_inf_nan: bool | None
    max_digits: int | None
    decimal_places: int | None
    examples: list[Any] | None
    example: Any | None  # deprecated: use `examples`
    openapi_examples: dict[str, Any] | None
    deprecated: deprecated | str | bool | None
    include_in_schema: bool
    json_schema_extra: dict[str, Any] | Callable[[dict[str, Any]], None] | None


class HeaderKwargs(FieldKwargs, total=False):
    convert_underscores: bool


class BodyKwargs(FieldKwargs, total=False):
    embed: bool | None
    media_type: str


class FormKwargs(FieldKwargs, total=False):
    media_type: str


def _warn_deprecated(what: str, instead: str) -> None:
    # stacklevel 5: the user's Query(...) call -> param_functions -> class __init__ -> _DeclaredField
    warnings.warn(
        f"`{what}` has been deprecated, please use `{instead}` instead",
        category=FastAPIDeprecationWarning,
        stacklevel=5,
    )


class _DeclaredField(FieldInfo):  # type: ignore[misc]  # FieldInfo is @final for pydantic users
    """What Param and Body share: the OpenAPI-only options, and the alias defaults FastAPI applies."""

    example: Any
    include_in_schema: bool
    openapi_examples: dict[str, Any] | None

    def __init__(self, default: Any, options: FieldKwargs) -> None:
        kwargs: dict[str, Any] = dict(options)
        self.example = kwargs.pop("example", _Unset)
        if self.example is not _Unset:
            _warn_deprecated("example", "examples")
        self.include_in_schema = kwargs.pop("include_in_schema", True)
        self.openapi_examples = kwargs.pop("openapi_examples", None)
        regex = kwargs.pop("regex", None)
        if regex is not None:
            _warn_deprecated("regex", "pattern")
        pattern = kwargs.pop("pattern", None) or regex
        if pattern is not None:
            kwargs["pattern"] = pattern
        alias = kwargs.get("alias", _Unset)
        # An alias names the value both ways unless a direction-specific alias says otherwise.
        if kwargs.get("serialization_alias") is None and isinstance(alias, str):
            kwargs["serialization_alias"] = alias
        if kwargs.get("validation_alias") is None and alias is not _Unset:
            kwargs["validation_alias"] = alias
        kwargs.setdefault("annotation", None)
        super().__init__(default=default, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.default})"


class Param(_DeclaredField):  # type: ignore[misc]
    """A value read from the path, the query string, a header or a cookie."""

    in_: ParamTypes

    def __init__(self, default: Any = PydanticUndefined, **kwargs: Unpack[FieldKwargs]) -> None:
        super().__init__(default, kwargs)


class Path(Param):  # type: ignore[misc]
    in_ = ParamTypes.path

    def __init__(self, default: Any = ..., **kwargs: Unpack[FieldKwargs]) -> None:
        assert default is ..., "Path parameters cannot have a default value"
        # An instance attribute, so copies made during analysis keep it.
        self.in_ = self.in_
        super().__init__(default, **kwargs)


class Query(Param):  # type: ignore[misc]
    in_ = ParamTypes.query


class Header(Param):  # type: ignore[misc]
    in_ = ParamTypes.header

    def __init__(self, default: Any = PydanticUndefined, **kwargs: Unpack[HeaderKwargs]) -> None:
        # `user_agent` reads the `user-agent` header unless told otherwise.
        self.convert_underscores: bool = kwargs.pop("convert_underscores", True)
        super().__init__(default, **cast(FieldKwargs, kwargs))


class Cookie(Param):  # type: ignore[misc]
    in_ = ParamTypes.cookie


class Body(_DeclaredField):  # type: ignore[misc]
    """A value read from the request body (JSON by default)."""

    def __init__(self, default: Any = PydanticUndefined, **kwargs: Unpack[BodyKwargs]) -> None:
        # None means "decide from the other body parameters"; True forces `{"name": value}`.
        self.embed: bool | None = kwargs.pop("embed", None)
        self.media_type: str = kwargs.pop("media_type", "application/json")
        super().__init__(default, kwargs)


class Form(Body):  # type: ignore[misc]
    """A form field (`application/x-www-form-urlencoded` or multipart)."""

    def __init__(self, default: Any = PydanticUndefined, **kwargs: Unpack[FormKwargs]) -> None:
        kwargs.setdefault("media_type", "application/x-www-form-urlencoded")
        super().__init__(default, **kwargs)


class File(Form):  # type: ignore[misc]
    """An uploaded file (multipart), as `bytes` or `UploadFile`."""

    def __init__(self, default: Any = PydanticUndefined, **kwargs: Unpack[FormKwargs]) -> None:
        kwargs.setdefault("media_type", "multipart/form-data")
        super().__init__(default, **kwargs)


@dataclass(frozen=True)
class Depends:
    """A value computed by calling `dependency` (solved, cached and torn down per request)."""

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True
    scope: Literal["function", "request", "lifespan"] | None = None
    max_concurrency: int | None = field(default=None, kw_only=True)
    # Compared by identity, so two otherwise equal declarations are not merged by typing.Annotated's
    # cache into one shared limit. An init field, so dataclasses.replace keeps the same limiter.
    _concurrency: DependencyConcurrency | None = field(default=None, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        limit = self.max_concurrency
        if limit is None:
            object.__setattr__(self, "_concurrency", None)
            return
        if type(limit) is not int or limit < 1:
            raise ValueError("max_concurrency must be a positive integer or None")
        if self._concurrency is None or self._concurrency.max_concurrency != limit:
            object.__setattr__(self, "_concurrency", DependencyConcurrency(limit))


@dataclass(frozen=True)
class Security(Depends):
    """A dependency that is also a security requirement, with the OAuth2 scopes it needs."""

    scopes: Sequence[str] | None = None
