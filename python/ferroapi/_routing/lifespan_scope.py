"""The ASGI lifespan of a router, with the app's lifespan-scoped dependencies inside it.

Starlette's protocol (startup, then shutdown, each answered complete or failed with the traceback),
with one addition: once the app's own lifespan has started, every lifespan-scoped dependency its
routes use is created (so a pool that cannot connect fails the startup, not the first request), and
before that lifespan exits they are torn down, in reverse order of creation. The app's lifespan
encloses them, as a request encloses its yield dependencies.
"""

from __future__ import annotations

import traceback
from typing import Any

from starlette.types import Receive, Scope, Send

from ferroapi._routing.settings import RouterSettings
from ferroapi.dependencies.lifespan import DECLARED, LifespanNode
from ferroapi.dependencies.models import Dependant
from ferroapi.dependencies.plan import plan_for

__all__ = ["serve_lifespan", "startup_nodes"]


def startup_nodes(router: RouterSettings) -> list[LifespanNode]:
    """The lifespan dependencies of the router's routes, each once (by `key`, the value it makes)
    and after those it depends on."""
    # Included routes are built (and their dependencies analysed) when first listed: now, as the
    # first request's route table would, so their declarations are checked before serving.
    routes = router.effective_routes()
    if not DECLARED[0]:
        return []  # no lifespan dependency was ever declared: nothing to look for
    nodes: dict[tuple[Any, ...], LifespanNode] = {}
    for route in routes:
        dependant = getattr(route, "dependant", None)
        if not isinstance(dependant, Dependant):
            continue
        plan = plan_for(dependant, getattr(route, "dependency_overrides_provider", None))
        for step in plan.steps:
            if step.lifespan is not None:
                nodes.setdefault(step.lifespan.key, step.lifespan)
    return list(nodes.values())


async def serve_lifespan(router: RouterSettings, scope: Scope, receive: Receive, send: Send) -> None:
    started = False
    app: Any = scope.get("app")
    store = router._lifespan_store
    await receive()
    try:
        async with router.lifespan_context(app) as maybe_state:
            if maybe_state is not None:
                if "state" not in scope:
                    raise RuntimeError('The server does not support "state" in the lifespan scope.')
                scope["state"].update(maybe_state)
            try:
                await store.startup(startup_nodes(router))
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()
            finally:
                await store.shutdown()
    except BaseException:
        message = traceback.format_exc()
        failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
        await send({"type": failed, "message": message})
        raise
    else:
        await send({"type": "lifespan.shutdown.complete"})
