"""HTTP and WebSocket status codes by name (starlette's, re-exported as `fastapi.status` does)."""

from starlette.status import *  # noqa: F403
