"""What analysis asks of a callable: its parameters with resolved annotations, and how to call it
(coroutine? generator? async generator?). Asked once per callable, at route registration.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import warnings
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from types import FunctionType
from typing import Any, ForwardRef

from pydantic._internal import _typing_extra

__all__ = [
    "declared_signature",
    "get_typed_annotation",
    "get_typed_return_annotation",
    "get_typed_signature",
    "is_async_gen_callable",
    "is_coroutine_callable",
    "is_gen_callable",
    "unwrap_call",
]


def _without_partials(func: Any) -> Any:
    while isinstance(func, partial):
        func = func.func
    return func


def unwrap_call(call: Any) -> Any:
    """The function behind partials and decorators that used `functools.wraps`."""
    return inspect.unwrap(_without_partials(call))


def _iscoroutinefunction(func: Any) -> bool:
    if sys.version_info >= (3, 13):  # pragma: no cover
        return inspect.iscoroutinefunction(func)
    # Before 3.13 only asyncio's version honours the `_is_coroutine` marker (AsyncMock, old decorators).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return asyncio.iscoroutinefunction(func)


def _candidates(call: Any) -> Iterator[Any]:
    """The call itself, then (for instances of classes with `__call__`) the `__call__` method."""
    yield _without_partials(call)
    yield unwrap_call(call)
    if inspect.isclass(unwrap_call(call)):
        return  # calling a class builds an instance: never awaited, never a generator
    for holder in (_without_partials(call), unwrap_call(call)):
        dunder = getattr(holder, "__call__", None)  # noqa: B004  (the method itself, not callable())
        if dunder is not None:
            yield _without_partials(dunder)
            yield unwrap_call(dunder)


class _Identity:
    """Hash a callable by identity: some callables are unhashable or compare equal to others."""

    __slots__ = ("call",)

    def __init__(self, call: Any) -> None:
        self.call = call

    def __hash__(self) -> int:
        return id(self.call)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.call is self.call


def _classify(call: Any, predicate: Callable[[Any, int], bool]) -> bool:
    if type(call) is FunctionType and not hasattr(call, "__wrapped__"):
        # A plain function (the usual endpoint): its other candidates (itself unwrapped, its
        # `__call__` method-wrapper) never answer differently.
        return predicate(call, 0)
    return any(predicate(c, index) for index, c in enumerate(_candidates(call)))


def _coroutine(candidate: Any, index: int) -> bool:
    # The call itself must be a routine; a `__call__` method (index >= 2) only needs the flag.
    return _iscoroutinefunction(candidate) and (index >= 2 or inspect.isroutine(candidate))


# Callables classified per question, kept (FastAPI's size; `dependencies.models` exports the name).
_CALLABLE_CLASSIFICATION_CACHE_SIZE = 4096


# One cache per question, keyed by identity (FastAPI's names, used by its test-suite).
@lru_cache(maxsize=_CALLABLE_CLASSIFICATION_CACHE_SIZE)
def _is_coroutine_callable_cached(identity: _Identity) -> bool:
    return _classify(identity.call, _coroutine)


@lru_cache(maxsize=_CALLABLE_CLASSIFICATION_CACHE_SIZE)
def _is_gen_callable_cached(identity: _Identity) -> bool:
    return _classify(identity.call, lambda c, _: inspect.isgeneratorfunction(c))


@lru_cache(maxsize=_CALLABLE_CLASSIFICATION_CACHE_SIZE)
def _is_async_gen_callable_cached(identity: _Identity) -> bool:
    return _classify(identity.call, lambda c, _: inspect.isasyncgenfunction(c))


def is_coroutine_callable(call: Callable[..., Any]) -> bool:
    return _is_coroutine_callable_cached(_Identity(call))


def is_gen_callable(call: Callable[..., Any]) -> bool:
    return _is_gen_callable_cached(_Identity(call))


def is_async_gen_callable(call: Callable[..., Any]) -> bool:
    return _is_async_gen_callable_cached(_Identity(call))


def _signature(call: Callable[..., Any]) -> inspect.Signature:
    return _evaluated_signature(call)[0]


def _evaluated_signature(call: Callable[..., Any]) -> tuple[inspect.Signature, bool]:
    """The signature, and whether every string annotation in it could be evaluated."""
    try:
        return inspect.signature(call, eval_str=True), True
    except NameError:
        # A name only imported under `if TYPE_CHECKING:` (typically a return type): keep the
        # strings, and resolve what can be resolved one annotation at a time below.
        return inspect.signature(call), False


def get_typed_annotation(annotation: Any, globalns: dict[str, Any]) -> Any:
    """Resolve a string annotation against the function's globals (left as a ForwardRef if unknown)."""
    if isinstance(annotation, str):
        annotation = _typing_extra.try_eval_type(ForwardRef(annotation), globalns, globalns)[0]
        if annotation is type(None):
            return None
    return annotation


# Typed signatures of callables analysed before (a dependency shared by many routes, an endpoint
# analysed for a route and again for its included copy), with the `__signature__` they were read
# under: class-based views assign one to an endpoint after registering it. Only fully evaluated ones
# are kept: a string naming something not defined yet must be evaluated again next time, as FastAPI does.
_TYPED_SIGNATURES: dict[_Identity, tuple[Any, inspect.Signature]] = {}
_TYPED_SIGNATURES_MAX = 4096


def declared_signature(call: Callable[..., Any]) -> Any:
    """The `__signature__` set on `call` (None when there is none): a new one means new parameters."""
    return getattr(call, "__signature__", None)


def get_typed_signature(call: Callable[..., Any]) -> inspect.Signature:
    key = _Identity(call)
    cached = _TYPED_SIGNATURES.get(key)
    if cached is not None and cached[0] is declared_signature(call):
        return cached[1]
    signature, evaluated = _evaluated_signature(call)
    # A `__signature__` set on the callable (class-based views, cadwyn) is returned as is by
    # `inspect.signature`, strings included: those are evaluated below, as FastAPI does.
    if evaluated and not any(isinstance(p.annotation, str) for p in signature.parameters.values()):
        typed = signature  # every annotation evaluated already (the return one too)
    else:
        globalns = getattr(inspect.unwrap(call), "__globals__", {})
        typed = inspect.Signature(
            [
                param.replace(annotation=get_typed_annotation(param.annotation, globalns))
                for param in signature.parameters.values()
            ],
            # Kept for the response analysis (`typed_return_annotation`): one signature per endpoint.
            return_annotation=signature.return_annotation,
        )
    if evaluated and not any(isinstance(p.annotation, (str, ForwardRef)) for p in typed.parameters.values()):
        if len(_TYPED_SIGNATURES) >= _TYPED_SIGNATURES_MAX:
            _TYPED_SIGNATURES.clear()
        _TYPED_SIGNATURES[key] = (declared_signature(call), typed)
    return typed


def get_typed_return_annotation(call: Callable[..., Any]) -> Any:
    annotation = _signature(call).return_annotation
    if annotation is inspect.Signature.empty:
        return None
    return get_typed_annotation(annotation, getattr(inspect.unwrap(call), "__globals__", {}))
