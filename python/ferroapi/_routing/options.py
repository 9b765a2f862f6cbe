"""The path-operation options, declared once.

Every verb decorator (`get`, `post`, ...), `api_route` and `add_api_route` accept the same keyword
options; they are typed here as one `TypedDict` and passed on with `Unpack`, never repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypedDict

from starlette.responses import Response
from starlette.routing import BaseRoute

from ferroapi.types import IncEx

if TYPE_CHECKING:
    from ferroapi.params import Depends

__all__ = ["STREAM_OPTIONS", "FormLimits", "RouteOptions"]


class FormLimits(TypedDict, total=False):
    """Limits for `request.form()` parsing (starlette's keyword arguments)."""

    max_files: int
    max_fields: int
    max_part_size: int


class RouteOptions(TypedDict, total=False):
    """Keyword options of one path operation (FastAPI's names and meanings)."""

    response_model: Any
    status_code: int | None
    tags: list[str | Enum] | None
    dependencies: Sequence[Depends] | None
    summary: str | None
    description: str | None
    response_description: str
    responses: dict[int | str, dict[str, Any]] | None
    deprecated: bool | None
    operation_id: str | None
    response_model_include: IncEx | None
    response_model_exclude: IncEx | None
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    include_in_schema: bool
    response_class: type[Response] | Any
    name: str | None
    callbacks: list[BaseRoute] | None
    openapi_extra: dict[str, Any] | None
    generate_unique_id_function: Callable[[Any], str] | Any
    strict_content_type: bool | Any
    max_body_size: int | None
    form_limits: FormLimits | None
    # Streams (ferroapi): seconds between SSE keepalive comments, and how long one send may block
    # before the stream ends; None defers to the response class, then the app (`math.inf`: never).
    sse_keepalive_interval: float | None
    stream_send_timeout: float | None


# Options an `APIRoute` receives beyond the user's: set by the router that registers it.
ROUTER_SUPPLIED = ("methods", "dependency_overrides_provider")

# Stream options: stored on the route, read by the streaming lane when a request streams.
STREAM_OPTIONS = ("sse_keepalive_interval", "stream_send_timeout")
