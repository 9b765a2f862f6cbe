"""schemathesis against the example app, served by uvicorn, driven by the app's own OpenAPI document.

Every operation the document lists gets generated requests (valid ones, and invalid ones the schema
rules out); for each response: no 5xx, the declared content type, a body that conforms to the schema
declared for its status code. Bounded: `FERRO_SCHEMATHESIS_EXAMPLES` examples per operation (default 40),
no database, derandomized so CI runs are repeatable.

The status code check is left out on purpose: FastAPI documents only the success status and 422, and
the example app answers an unknown item with 404, as a FastAPI app does.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a test extra")
requests = pytest.importorskip("requests")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FERRO_SCHEMATHESIS_EXAMPLES", "40"))
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


def _example_app() -> Any:
    """A fresh import of examples/app.py (its in-memory store starts empty)."""
    spec = importlib.util.spec_from_file_location("ferroapi_example_app", ROOT / "examples" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every operation; invalid requests only where there is input to break."""
    document = _example_app().openapi()
    cases: list[tuple[str, str, GenerationMode]] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("method", "path", "mode"), _cases(), ids=lambda v: getattr(v, "value", v))
def test_operation_conforms(method: str, path: str, mode: GenerationMode, serve: Callable[..., str]) -> None:
    base_url = serve(_example_app())
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=10)
    operation = schema[path][method]
    session = requests.Session()
    seen: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, timeout=10)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    finally:
        session.close()
    assert seen, "no request was generated"
    assert all(status < 500 for status in seen)
