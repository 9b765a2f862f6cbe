"""`app.dependency_overrides`: a dict that counts its mutations, so the per-route plan cache
(`plan.plan_for`) is keyed by that count and overriding never re-analyses anything per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["EPOCH", "OverridesDict"]

_K = TypeVar("_K")
_V = TypeVar("_V")
Call = Callable[..., Any]

# Bumped by every mutation of any OverridesDict: a request checks it after each dependency call, so an
# override installed by an earlier dependency applies to the later ones, as in FastAPI.
EPOCH = [0]


class OverridesDict(dict[Call, Call]):
    """A dict with a `version` bumped on every mutation (so caches keyed on it stay correct)."""

    version: int

    def __init__(self, overrides: Any = None, /, **kwargs: Any) -> None:
        # None is accepted (FastAPI apps reset with `app.dependency_overrides = None`): no overrides.
        super().__init__(overrides or {}, **kwargs)
        self.version = 0
        EPOCH[0] += 1

    def _bump(self) -> None:
        self.version += 1
        EPOCH[0] += 1

    def __setitem__(self, key: Call, value: Call) -> None:
        super().__setitem__(key, value)
        self._bump()

    def __delitem__(self, key: Call) -> None:
        super().__delitem__(key)
        self._bump()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._bump()

    def pop(self, key: Call, *default: Any) -> Any:
        try:
            return super().pop(key, *default)
        finally:
            self._bump()

    def popitem(self) -> tuple[Call, Call]:
        try:
            return super().popitem()
        finally:
            self._bump()

    def clear(self) -> None:
        super().clear()
        self._bump()

    def setdefault(self, key: Call, default: Call = None) -> Call:  # type: ignore[assignment]
        try:
            return super().setdefault(key, default)
        finally:
            self._bump()

    def __ior__(self, other: Mapping[Call, Call] | Iterable[tuple[Call, Call]]) -> OverridesDict:  # type: ignore[override,misc]
        super().__ior__(other)
        self._bump()
        return self

    def copy(self) -> OverridesDict:
        return OverridesDict(self)
