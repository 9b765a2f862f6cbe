"""Background tasks: run after the response has been sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from typing_extensions import ParamSpec

from ferroapi.telemetry._api import TELEMETRY_SEEN, _operation

__all__ = ["BackgroundTasks"]

P = ParamSpec("P")


class BackgroundTasks(StarletteBackgroundTasks):
    """Declare a parameter of this type to get the request's task list; tasks run in order."""

    def add_task(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        super().add_task(func, *args, **kwargs)

    async def __call__(self) -> None:
        # Each task in its `fastapi.background_task` span once requests are observed (a task runs
        # after the response: the request's record is still in the context then).
        observed = TELEMETRY_SEEN.value
        for task in self.tasks:
            if observed:
                with _operation(name="background_task", function=task.func):
                    await task()
            else:
                await task()
