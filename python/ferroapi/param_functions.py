"""The functions apps call in signatures: `q: str = Query(None, max_length=5)`.

Each returns the matching `ferroapi.params` object, typed `Any` so it type-checks as a default of
any parameter type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import AliasChoices as AliasChoices
from pydantic import AliasPath as AliasPath
from pydantic import Discriminator as Discriminator
from pydantic_core import PydanticUndefined
from typing_extensions import Unpack

from ferroapi import params
from ferroapi._compat.shared import Undefined as Undefined
from ferroapi.datastructures import _Unset as _Unset
from ferroapi.openapi._example import Example as Example
from ferroapi.params import BodyKwargs, FieldKwargs, FormKwargs, HeaderKwargs

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Path", "Query", "Security"]


def Path(default: Any = ..., **kwargs: Unpack[FieldKwargs]) -> Any:
    """A path parameter (always required: `default` exists for signature compatibility only)."""
    return params.Path(default, **kwargs)


def Query(default: Any = PydanticUndefined, **kwargs: Unpack[FieldKwargs]) -> Any:
    """A query string parameter; a list annotation reads every repeated value."""
    return params.Query(default, **kwargs)


def Header(default: Any = PydanticUndefined, **kwargs: Unpack[HeaderKwargs]) -> Any:
    """A header; `convert_underscores` (default True) maps `user_agent` to `user-agent`."""
    return params.Header(default, **kwargs)


def Cookie(default: Any = PydanticUndefined, **kwargs: Unpack[FieldKwargs]) -> Any:
    """A cookie."""
    return params.Cookie(default, **kwargs)


def Body(default: Any = PydanticUndefined, **kwargs: Unpack[BodyKwargs]) -> Any:
    """A body value; `embed=True` expects `{"<name>": value}` even when it is the only one."""
    return params.Body(default, **kwargs)


def Form(default: Any = PydanticUndefined, **kwargs: Unpack[FormKwargs]) -> Any:
    """A form field."""
    return params.Form(default, **kwargs)


def File(default: Any = PydanticUndefined, **kwargs: Unpack[FormKwargs]) -> Any:
    """An uploaded file."""
    return params.File(default, **kwargs)


def Depends(
    dependency: Callable[..., Any] | None = None,
    *,
    use_cache: bool = True,
    scope: Literal["function", "request", "lifespan"] | None = None,
    max_concurrency: int | None = None,
) -> Any:
    """Inject the result of `dependency` (the annotation's class when omitted).

    `use_cache=False` calls it again even if another parameter of the same request already did;
    `scope="function"` tears a yield dependency down right after the endpoint returns, before the
    response is sent; `scope="lifespan"` (ferroapi's extension) creates it once per app and shares it
    with every request, tearing it down at shutdown; `max_concurrency` bounds how many calls run at once.
    """
    return params.Depends(
        dependency=dependency, use_cache=use_cache, scope=scope, max_concurrency=max_concurrency
    )


def Security(
    dependency: Callable[..., Any] | None = None,
    *,
    scopes: Sequence[str] | None = None,
    use_cache: bool = True,
) -> Any:
    """A dependency that also declares a security requirement needing OAuth2 `scopes`."""
    return params.Security(dependency=dependency, scopes=scopes, use_cache=use_cache)
