"""FastAPI's patchable pipeline steps, and the route handler that goes through them.

Instrumentation (logfire, New Relic, ddtrace, profilers) replaces `fastapi.routing.solve_dependencies`,
`run_endpoint_function` or `serialize_response` with wrappers, and expects FastAPI's handler to call
whatever the module holds now, with FastAPI's keywords. ferroapi's own pipeline (`handler.respond`)
calls its steps directly; while one of these names of `ferroapi.routing` is replaced, every route
answers through `respond_through_hooks`, which makes FastAPI's calls in FastAPI's order. The switch is
flipped when the name is assigned (the routing module calls `update` from its `__setattr__`), so a
process nobody patched pays one attribute test per request.

The same path carries FastAPI's telemetry calls (operation spans, the request's `TelemetryData`,
validation-failure logs) at FastAPI's places: once a request of the process was observed
(`observe_telemetry`), every route answers through it, and a process that never observed one makes
none of these calls.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticUndefined
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ferroapi._fields import ModelField
from ferroapi._lifecycle import lifecycle_of
from ferroapi._pipeline.body import read_body
from ferroapi._pipeline.json_text import to_json_escaping
from ferroapi._pipeline.lanes import open_stream
from ferroapi._pipeline.plan import Lane, RoutePlan
from ferroapi._pipeline.render import encode_plain
from ferroapi.dependencies.models import Dependant
from ferroapi.dependencies.solved import solve_dependencies
from ferroapi.encoders import jsonable_encoder
from ferroapi.exceptions import EndpointContext, RequestValidationError, ResponseValidationError
from ferroapi.telemetry._api import (
    TELEMETRY_SEEN,
    _operation,
    _run_sync_endpoint,
    _validation_failed,
    get_telemetry_data,
)
from ferroapi.types import IncEx
from ferroapi.utils import is_body_allowed_for_status_code

__all__ = [
    "HOOKS",
    "PATCHABLE",
    "observe_telemetry",
    "respond_through_hooks",
    "run_endpoint_function",
    "serialize_response",
    "update",
]


async def run_endpoint_function(*, dependant: Dependant, values: dict[str, Any], is_coroutine: bool) -> Any:
    """Call the endpoint with its solved arguments: awaited, or in the thread pool."""
    assert dependant.call is not None, "dependant.call must be a function"
    if is_coroutine:
        with _operation(name="endpoint", function=dependant.call):
            return await dependant.call(**values)
    return await run_in_threadpool(_run_sync_endpoint, function=dependant.call, arguments=values)


async def serialize_response(
    *,
    field: ModelField | None = None,
    response_content: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    is_coroutine: bool = True,
    endpoint_ctx: EndpointContext | None = None,
    dump_json: bool = False,
) -> Any:
    """The endpoint's return value validated against the response field and serialized (JSON bytes
    with `dump_json`, else JSON-able data); without a field, `jsonable_encoder`'s output."""
    if field is None:
        return jsonable_encoder(response_content)
    if is_coroutine:
        value, errors = field.validate(response_content, {}, loc=("response",))
    else:
        value, errors = await run_in_threadpool(field.validate, response_content, {}, loc=("response",))
    if errors:
        raise ResponseValidationError(errors=errors, body=response_content, endpoint_ctx=endpoint_ctx or {})
    options: dict[str, Any] = {
        "include": include,
        "exclude": exclude,
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
    }
    if not dump_json:
        return field.serialize(value, **options)
    # A lone surrogate echoed from the request: its escape, as the pipeline's own path writes it.
    return to_json_escaping(field.serialize_json, field.serialize, value, options)


class Hooks:
    """The steps `respond_through_hooks` calls (the routing module's current values)."""

    __slots__ = ("active", "run_endpoint_function", "serialize_response", "solve_dependencies")

    def __init__(self) -> None:
        self.active = False
        self.solve_dependencies: Any = solve_dependencies
        self.run_endpoint_function: Any = run_endpoint_function
        self.serialize_response: Any = serialize_response


HOOKS = Hooks()
PATCHABLE = {
    "solve_dependencies": solve_dependencies,
    "run_endpoint_function": run_endpoint_function,
    "serialize_response": serialize_response,
}


def update(namespace: Any) -> None:
    """Take the steps from `namespace` (the routing module) and switch the pipeline accordingly."""
    replaced = False
    for name, stock in PATCHABLE.items():
        current = getattr(namespace, name, stock)
        setattr(HOOKS, name, current)
        replaced = replaced or current is not stock
    HOOKS.active = replaced or TELEMETRY_SEEN.value


def observe_telemetry() -> None:
    """A request of this process is observed: from now on every route answers through the hooks."""
    TELEMETRY_SEEN.value = True
    HOOKS.active = True


def _logged(error: RequestValidationError) -> RequestValidationError:
    """`error`, once telemetry has logged it (FastAPI logs each validation failure)."""
    _validation_failed(error)
    return error


async def respond_through_hooks(plan: RoutePlan, request: Request) -> Response:
    """`handler.respond`, made of FastAPI's calls through the (replaced) steps."""
    telemetry_data = get_telemetry_data() if TELEMETRY_SEEN.value else None
    if telemetry_data is not None:
        telemetry_data.request = request
    lifecycle = lifecycle_of(request.scope)
    body: Any = PydanticUndefined
    if plan.body_field is not None:
        try:
            body = await read_body(plan, request, lifecycle, one_pass=False)
        except RequestValidationError as exc:  # the body is not JSON
            _validation_failed(exc)
            raise
    if telemetry_data is not None:
        telemetry_data.body = None if body is PydanticUndefined else body
    dependant = plan.dependant
    ctx = plan.site.context(request.method, request.scope.get("root_path", ""), dependant.path or "")
    with _operation(name="dependencies", function=dependant.call):
        solved = await HOOKS.solve_dependencies(
            request=request,
            dependant=dependant,
            body=body,
            dependency_overrides_provider=plan.overrides_provider,
            async_exit_stack=lifecycle.request_stack,
            embed_body_fields=plan.embed_body_fields,
        )
        if telemetry_data is not None:
            telemetry_data.values = solved.values
            telemetry_data.errors = solved.errors
    if solved.errors:
        # Raised straight from the call: an `error` local here would be on its own traceback's
        # frame, a cycle keeping the whole request alive until the cyclic GC runs.
        raise _logged(
            RequestValidationError(
                solved.errors, body=None if body is PydanticUndefined else body, endpoint_ctx=ctx
            )
        )
    if plan.lane is not Lane.RESPONSE:
        return await open_stream(plan, request, solved, lifecycle)
    value = await HOOKS.run_endpoint_function(
        dependant=dependant, values=solved.values, is_coroutine=plan.is_coroutine
    )
    if isinstance(value, Response):
        if value.background is None:
            value.background = solved.background_tasks
        return value
    sub_response: Response = solved.response
    args: dict[str, Any] = {"background": solved.background_tasks}
    status = plan.status_code or sub_response.status_code
    if sub_response.status_code:
        status = sub_response.status_code
    if status is not None:
        args["status_code"] = status
    options = plan.dump_options
    with _operation(name="serialization", function=dependant.call):
        content = await HOOKS.serialize_response(
            field=plan.response_field,
            response_content=value,
            include=options["include"],
            exclude=options["exclude"],
            by_alias=options["by_alias"],
            exclude_unset=options["exclude_unset"],
            exclude_defaults=options["exclude_defaults"],
            exclude_none=options["exclude_none"],
            is_coroutine=plan.is_coroutine,
            endpoint_ctx=ctx,
            dump_json=plan.dump_json,
        )
    if plan.dump_json:
        response = Response(content=content, media_type="application/json", **args)
    else:
        try:
            response = plan.response_class(content, **args)
        except UnicodeEncodeError:
            if not plan.fast_json:
                raise
            # A lone surrogate echoed from the request, rendered by JSONResponse: its escape, as the
            # pipeline's own path writes it (`render.render_value`).
            response = Response(content=encode_plain(content), media_type="application/json", **args)
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    response.raw_headers.extend(sub_response.raw_headers)
    return response
