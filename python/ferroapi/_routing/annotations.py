"""Reading an endpoint's return annotation: the response model, or the item type of a stream."""

from __future__ import annotations

import inspect
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from typing import Any, get_args, get_origin

from ferroapi.dependencies.signature import get_typed_signature

_STREAM_ORIGINS = frozenset({AsyncIterable, AsyncIterator, AsyncGenerator, Iterable, Iterator, Generator})


def typed_return_annotation(call: Callable[..., Any]) -> Any:
    """The return annotation with string (forward) references evaluated; None when absent."""
    try:
        signature = get_typed_signature(call)  # the one the parameter analysis read (cached)
    except (TypeError, ValueError):
        return None
    annotation = signature.return_annotation
    if annotation is inspect.Signature.empty:
        return None
    if isinstance(annotation, str):
        namespace = getattr(inspect.unwrap(call), "__globals__", {})
        try:
            annotation = eval(annotation, namespace, namespace)
        except Exception:
            return annotation
        if annotation is type(None):
            return None
    return annotation


def stream_item_type(annotation: Any) -> Any | None:
    """`X` for `Iterable[X]`, `AsyncIterator[X]`, `Generator[X, ...]`...; `Any` when unparametrized."""
    if get_origin(annotation) in _STREAM_ORIGINS:
        args = get_args(annotation)
        return args[0] if args else Any
    return None
