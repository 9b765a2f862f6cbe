"""An app-wide ferroapi setting read from wherever the app holds it.

ferroapi's own options (`stream_send_timeout`, `sse_keepalive_interval`, `sse_drain_retry`,
`drain_timeout`...) are attributes of a `FerroAPI`, or keyword arguments FastAPI keeps in `app.extra`
(an app built by `FastAPI(...)` code passes them there). The streams and the drain read them per app,
not per request.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app_setting"]


def app_setting(app: Any, name: str) -> Any:
    """`app.<name>`, else `app.extra[name]`, else None."""
    value = getattr(app, name, None)
    if value is None:
        extra = getattr(app, "extra", None)
        if isinstance(extra, dict):
            value = extra.get(name)
    return value
