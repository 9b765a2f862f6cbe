"""Calling the endpoint: coroutines directly, plain functions in the thread pool."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from ferroapi._pipeline.plan import RoutePlan

__all__ = ["call_endpoint"]


async def call_endpoint(plan: RoutePlan, values: dict[str, Any]) -> Any:
    if plan.is_coroutine:
        return await plan.call(**values)
    return await run_in_threadpool(plan.call, **values)
