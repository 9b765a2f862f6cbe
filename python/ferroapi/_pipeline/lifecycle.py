"""The per-request lifecycle: the two exit stacks every request owns, in one object.

`function_stack` holds what `Depends(scope="function")` yield-dependencies opened: it is closed right
after the endpoint returns (or raises), before the response is sent. `request_stack` holds everything
else a request opened (default-scoped yield dependencies, stream producers, uploaded files): it is
closed after the response has been sent, also when the client went away mid-stream. Passing this
object explicitly replaces string keys smuggled through the ASGI scope.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field


@dataclass(slots=True)
class Lifecycle:
    request_stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    function_stack: AsyncExitStack = field(default_factory=AsyncExitStack)
