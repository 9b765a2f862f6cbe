"""Background tasks: run after the response has been sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from typing_extensions import ParamSpec

__all__ = ["BackgroundTasks"]

P = ParamSpec("P")


class BackgroundTasks(StarletteBackgroundTasks):
    """Declare a parameter of this type to get the request's task list; tasks run in order."""

    def add_task(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        super().add_task(func, *args, **kwargs)
