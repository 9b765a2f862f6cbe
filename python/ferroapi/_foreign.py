"""Objects of the real FastAPI package handed to a ferroapi app (`install_as_fastapi()` not in force).

An extension that imports `fastapi` itself hands its own objects over: `fastapi.Depends(...)` and
`Query()`/`Body()` declarations in signatures, security schemes, exception classes to register
handlers for, routers to include. They work as their ferroapi counterparts (declarations are adopted,
exception classes are answered by the handlers of their counterparts, schemes are recognized) or are
refused when registered, with a TypeError that names the object and the fix. Never a silent change
of meaning, such as a foreign `Depends` read as a required query parameter.

Under the alias `fastapi.X` is `ferroapi.X`, so none of this applies: the objects are ferroapi's.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from pydantic.fields import FieldInfo

from ferroapi import exceptions, params

__all__ = [
    "adopt_declaration",
    "counterpart_exception",
    "foreign_exception_classes",
    "is_foreign_security_scheme",
    "refuse_foreign_route",
    "refuse_foreign_router",
]

_FIX = (
    "Make `fastapi` resolve to ferroapi for the whole process: call ferroapi.install_as_fastapi() "
    "before anything imports fastapi, set FERROAPI_FASTAPI_ALIAS=1, or serve with `ferroapi run`."
)


def _fastapi_base(cls: type, module: str) -> type | None:
    """The first class of the real FastAPI's `module` in `cls`'s MRO."""
    for base in cls.__mro__:
        if base.__module__ == module:
            return base
    return None


def _from_fastapi(cls: type) -> bool:
    return cls.__module__ == "fastapi" or cls.__module__.startswith("fastapi.")


def adopt_declaration(value: Any) -> Any:
    """A real-FastAPI `Depends`/`Security`/`Query()`... as the ferroapi declaration it stands for;
    anything else unchanged."""
    if isinstance(value, (params.Depends, params.Param, params.Body)):
        return value  # ferroapi's own (the common case, checked first)
    cls = type(value)
    if not any(_from_fastapi(base) for base in cls.__mro__):
        return value
    base = _fastapi_base(cls, "fastapi.params")
    if base is None:
        return value
    ours = getattr(params, base.__name__, None)
    if base.__name__ in ("Depends", "Security"):
        options: dict[str, Any] = {
            "dependency": value.dependency,
            "use_cache": value.use_cache,
            "scope": value.scope,
            "max_concurrency": getattr(value, "max_concurrency", None),
        }
        if base.__name__ == "Security":
            options["scopes"] = value.scopes
        return ours(**options) if ours is not None else value
    if isinstance(value, FieldInfo) and isinstance(ours, type) and issubclass(ours, FieldInfo):
        adopted = copy.copy(value)
        adopted.__class__ = ours  # same FieldInfo layout: every declared option is kept
        location = getattr(adopted, "in_", None)
        if location is not None:
            adopted.in_ = params.ParamTypes(location.value)  # type: ignore[attr-defined]
        return adopted
    return value


def is_foreign_security_scheme(value: Any) -> bool:
    """A real-FastAPI security scheme (`fastapi.security.OAuth2PasswordBearer(...)`)."""
    return _fastapi_base(type(value), "fastapi.security.base") is not None


def counterpart_exception(cls: Any) -> Any:
    """ferroapi's class for a real-FastAPI exception class (None when it is not one)."""
    if not isinstance(cls, type) or not _from_fastapi(cls):
        return None
    base = _fastapi_base(cls, "fastapi.exceptions")
    if base is None or base is not cls:
        return None  # an extension's own subclass: handled by its own registration only
    ours = getattr(exceptions, cls.__name__, None)
    return ours if isinstance(ours, type) and issubclass(ours, BaseException) else None


def foreign_exception_classes() -> list[type]:
    """The real FastAPI's exception classes that have a ferroapi counterpart (none when the real
    FastAPI is not imported, or when `fastapi` is ferroapi)."""
    module = sys.modules.get("fastapi.exceptions")
    if module is None or getattr(module, "__name__", "") != "fastapi.exceptions":
        return []
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and value.__module__ == "fastapi.exceptions"
        and counterpart_exception(value) is not None
    ]


def refuse_foreign_router(router: Any) -> None:
    """A real-FastAPI `APIRouter` cannot be included: its routes run FastAPI's own pipeline."""
    if _fastapi_base(type(router), "fastapi.routing") is not None:
        raise TypeError(
            f"{router!r} is a router of the real fastapi package ({type(router).__module__}."
            f"{type(router).__qualname__}); a ferroapi app includes ferroapi routers only. {_FIX}"
        )


def refuse_foreign_route(route: Any) -> None:
    """A real-FastAPI `APIRoute`/`APIWebSocketRoute` cannot be served by a ferroapi router."""
    if _fastapi_base(type(route), "fastapi.routing") is not None:
        raise TypeError(
            f"{route!r} is a route of the real fastapi package ({type(route).__module__}."
            f"{type(route).__qualname__}); a ferroapi router serves ferroapi routes only. {_FIX}"
        )
