"""Lifespan-scoped dependencies: `Depends(get_pool, scope="lifespan")`, created once per app and shared.

ferroapi's extension of FastAPI's `scope` values ("function", "request"). A lifespan dependency is
created when the app's lifespan starts (one the routes did not know then, e.g. an override installed
later, on first use while it runs), its value is shared by every request and websocket, and a yield
dependency's teardown runs at shutdown, in reverse order of creation. Outside a running lifespan
(`TestClient(app)` without `with`) using one is a clear error. Three parts:

- the declaration check (`check_lifespan_dependant`, from analysis): a value that lives as long as the
  app cannot be built from one request's values, so asking for one is an error at route registration;
- `LifespanNode`: one lifespan dependency as compiled into a route's plan (`dependencies.plan`), with
  the app's overrides applied, its lifespan dependencies below it, and the key its value is shared by;
- `LifespanStore`: one app's values and teardowns (held by the router that serves the lifespan, found
  per request through `scope["router"]`).

A plan reaches a lifespan value through one ordinary async step (`LifespanNode.resolve`, which gets
the connection injected like any `HTTPConnection` parameter), so the solver's loop has no new case
and graphs without lifespan dependencies run exactly the code they ran before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

from anyio import Lock
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from ferroapi.concurrency import contextmanager_in_threadpool
from ferroapi.dependencies.models import ASYNC_CALL, ASYNC_GEN, SYNC_CALL, Dependant, call_kind
from ferroapi.exceptions import DependencyScopeError

__all__ = [
    "DECLARED",
    "LIFESPAN",
    "LifespanNode",
    "LifespanStore",
    "check_lifespan_dependant",
    "store_of",
]

LIFESPAN = "lifespan"

# How many lifespan dependencies were ever declared: while none was, a lifespan startup does not
# look through the routes for any (apps that do not use them start exactly as before).
DECLARED = [0]

_MISSING: Any = object()

# The per-request inputs a lifespan dependency may not ask for, as (Dependant field, what to call it).
_INJECTED = (
    ("request_param_name", "the Request"),
    ("websocket_param_name", "the WebSocket"),
    ("http_connection_param_name", "the HTTPConnection"),
    ("response_param_name", "the Response"),
    ("background_tasks_param_name", "BackgroundTasks"),
    ("security_scopes_param_name", "SecurityScopes"),
)
_PARAMS = (
    ("path_params", "path parameter"),
    ("query_params", "query parameter"),
    ("header_params", "header parameter"),
    ("cookie_params", "cookie parameter"),
    ("body_params", "body parameter"),
)


def _name(call: Any) -> str:
    return getattr(call, "__name__", None) or type(call).__name__


def check_lifespan_dependant(dependant: Dependant) -> None:
    """Refuse a lifespan dependency that asks for per-request values (called once it is analysed)."""
    DECLARED[0] += 1
    wants = [f'{what} "{f.alias or f.name}"' for attr, what in _PARAMS for f in getattr(dependant, attr)]
    wants += [
        f'{what} ("{getattr(dependant, attr)}")' for attr, what in _INJECTED if getattr(dependant, attr)
    ]
    wants += [
        f'the dependency "{_name(sub.call)}" (not lifespan-scoped: declare it with '
        f'Depends({_name(sub.call)}, scope="lifespan") if the whole app may share it)'
        for sub in dependant.dependencies
        if sub.scope != LIFESPAN
    ]
    if wants:
        raise DependencyScopeError(
            f'The dependency "{_name(dependant.call)}" has a scope of "lifespan": it is created once and '
            "shared by every request, so it cannot depend on per-request values, but it asks for "
            + "; ".join(wants)
            + "."
        )


def _not_running(name: str) -> RuntimeError:
    return RuntimeError(
        f'The lifespan-scoped dependency "{name}" was used while the app\'s lifespan is not '
        "running: it is created at startup and torn down at shutdown. Run the lifespan: "
        "`with TestClient(app) as client:` in tests (a server runs it), and serve the app "
        "itself, not mounted under a router whose lifespan does not run it."
    )


class LifespanNode:
    """One lifespan dependency in a compiled plan: what to call (the override, if any) and with what.

    `key` identifies the shared value: the declared callable, the one that runs in its place and the
    keys of the lifespan dependencies it receives, so installing or removing an override (of it or
    of anything below it) selects another value instead of reusing one built without it.
    """

    __slots__ = ("call", "children", "key", "kind", "name")

    def __init__(
        self, declared: Dependant, effective: Dependant, children: list[tuple[str | None, LifespanNode]]
    ) -> None:
        self.name = _name(declared.call)
        self.call: Callable[..., Any] = effective.call  # type: ignore[assignment]
        self.children = children
        self.key: tuple[Any, ...] = (declared.call, effective.call, tuple(child.key for _, child in children))
        self.kind = call_kind(effective)

    async def resolve(self, connection: HTTPConnection) -> Any:
        """The shared value, for a request or websocket (the plan's step for this node)."""
        store = store_of(connection.scope)
        if store is None:
            raise _not_running(self.name)
        value = store.values.get(self.key, _MISSING)
        if value is _MISSING:
            value = await store.get(self)
        return value


class LifespanStore:
    """One app's lifespan values, and the teardowns of the yield ones (entered in creation order)."""

    __slots__ = ("_lock", "_teardowns", "running", "values")

    def __init__(self) -> None:
        self.values: dict[tuple[Any, ...], Any] = {}
        self._teardowns: AsyncExitStack | None = None
        # Made by each startup, in the lifespan's event loop: the one the requests that may create
        # a value run in (none may outside the lifespan).
        self._lock: Lock | None = None
        self.running = False

    async def get(self, node: LifespanNode) -> Any:
        """The value of `node`, created now if it does not exist yet (once, however many ask at once).

        Only while the lifespan runs: outside it there is no shutdown to tear the value down at, and
        no event loop that outlives the request (TestClient without `with` runs each request in a
        loop of its own), so a pool created there would be closed with that loop or leak.
        """
        lock = self._lock
        if not self.running or lock is None:
            raise _not_running(node.name)
        async with lock:
            if not self.running:  # the shutdown ran while this waited for the lock
                raise _not_running(node.name)
            return await self._create(node)

    async def _create(self, node: LifespanNode) -> Any:
        value = self.values.get(node.key, _MISSING)
        if value is not _MISSING:
            return value
        kwargs: dict[str, Any] = {}
        for name, child in node.children:
            child_value = await self._create(child)
            if name is not None:
                kwargs[name] = child_value
        kind = node.kind
        if kind == ASYNC_CALL:
            value = await node.call(**kwargs)
        elif kind == SYNC_CALL:
            value = await run_in_threadpool(node.call, **kwargs)
        else:
            if self._teardowns is None:
                self._teardowns = AsyncExitStack()
            if kind == ASYNC_GEN:
                value = await self._teardowns.enter_async_context(asynccontextmanager(node.call)(**kwargs))
            else:
                cm = contextmanager_in_threadpool(contextmanager(node.call)(**kwargs))
                value = await self._teardowns.enter_async_context(cm)
        self.values[node.key] = value
        return value

    async def startup(self, nodes: list[LifespanNode]) -> None:
        """Create `nodes` (in order) as the lifespan starts. On a failure, what was created is torn
        down by the `shutdown` its caller runs in any case (`serve_lifespan`)."""
        self._lock = Lock()
        self.running = True
        for node in nodes:
            try:
                await self.get(node)
            except BaseException as exc:
                if hasattr(exc, "add_note"):  # Python 3.11+
                    exc.add_note(f'while creating the lifespan-scoped dependency "{node.name}" at startup')
                raise

    async def shutdown(self) -> None:
        """Tear the yield dependencies down in reverse order of creation and forget every value.

        Under the creation lock: a creation under way finishes first (into the stack closed here),
        and one waiting for the lock then finds the lifespan stopped.
        """
        if self._lock is None:
            return  # never started: nothing was created
        async with self._lock:
            self.running = False
            teardowns, self._teardowns = self._teardowns, None
            self.values.clear()
        if teardowns is not None:
            await teardowns.aclose()


def store_of(scope: Mapping[str, Any]) -> LifespanStore | None:
    """The store of the router serving `scope` (the outermost: it runs the lifespan), or None when
    it is no ferroapi router (an app served under a foreign router, or a Request built by hand for
    `solve_dependencies`): no lifespan of ours runs there."""
    store = getattr(scope.get("router"), "_lifespan_store", None)
    return store if isinstance(store, LifespanStore) else None
