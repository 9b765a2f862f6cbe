"""`Example`, the OpenAPI Example Object, apart from the other document models.

`ferroapi.params` and `ferroapi.param_functions` re-export it under FastAPI's names; importing it from
here keeps `import ferroapi` from loading every OpenAPI model (and email-validator) at start-up.
"""

from __future__ import annotations

from typing import Any

from pydantic import AnyUrl, ConfigDict
from typing_extensions import TypedDict

__all__ = ["Example"]


class Example(TypedDict, total=False):
    summary: str | None
    description: str | None
    value: Any | None
    externalValue: AnyUrl | None

    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]
