"""A router's route list: a list whose mutations invalidate every compiled route table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex

from starlette.routing import BaseRoute

__all__ = ["RouteList", "mark_routes_changed"]


class _Epoch:
    """Bumped whenever any router's route list changes: compiled tables compare it per request."""

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


def mark_routes_changed() -> None:
    """A route's dispatch-relevant attribute changed: compiled tables are rebuilt on next use."""
    _Epoch.bump()


class RouteList(list[BaseRoute]):
    """A router's routes; any mutation invalidates the compiled tables."""

    def append(self, route: BaseRoute) -> None:
        super().append(route)
        _Epoch.bump()

    def extend(self, routes: Iterable[BaseRoute]) -> None:
        super().extend(routes)
        _Epoch.bump()

    def insert(self, index: SupportsIndex, route: BaseRoute) -> None:
        super().insert(index, route)
        _Epoch.bump()

    def remove(self, route: BaseRoute) -> None:
        super().remove(route)
        _Epoch.bump()

    def pop(self, index: SupportsIndex = -1) -> BaseRoute:
        _Epoch.bump()
        return super().pop(index)

    def clear(self) -> None:
        super().clear()
        _Epoch.bump()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        _Epoch.bump()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        _Epoch.bump()

    def __iadd__(self, routes: Iterable[BaseRoute]) -> RouteList:  # type: ignore[override, misc]
        super().__iadd__(routes)
        _Epoch.bump()
        return self

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        _Epoch.bump()

    def reverse(self) -> None:
        super().reverse()
        _Epoch.bump()
