"""The app's lifespan messages, watched for the drain (the lifespan only: requests never come here).

- `lifespan.startup.complete` (sent by the app): the drains of the app and of the apps mounted in it
  are reset (a new serve) and the process's signal handlers are chained (`signals.install`): the
  server installed its own by now;
- `lifespan.shutdown` (received from the server): those drains begin, for servers that announce
  the shutdown this way while connections are still open (uvicorn and granian send it last);
- `lifespan.shutdown.complete` / `.failed`: the server gets its signal handlers back.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Receive, Send

from ferroapi._app_settings import app_setting
from ferroapi._shutdown.registry import begin_drains, drains_under
from ferroapi._shutdown.signals import DEFAULT_DRAIN_TIMEOUT, SignalChain, install

__all__ = ["watch_lifespan"]

_ENDED = frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed"})


def _drain_timeout(app: Any) -> float:
    value = app_setting(app, "drain_timeout")
    return DEFAULT_DRAIN_TIMEOUT if value is None else float(value)


def watch_lifespan(app: Any, receive: Receive, send: Send) -> tuple[Receive, Send]:
    """`receive` and `send` of the app's lifespan, with the drain's part in its messages."""
    chain: SignalChain | None = None

    async def watched_receive() -> Message:
        message = await receive()
        if message["type"] == "lifespan.shutdown":
            begin_drains(app)
        return message

    async def watched_send(message: Message) -> None:
        nonlocal chain
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            for drain in drains_under(app):
                drain.reset()
            if chain is None:
                chain = install(_drain_timeout(app))
        elif kind in _ENDED and chain is not None:
            chain.uninstall()
            chain = None
        await send(message)

    return watched_receive, watched_send
