"""FerroAPI's constructor arguments that are accepted for FastAPI's signature but act differently."""

from __future__ import annotations

import warnings

import pytest

from ferroapi import FerroAPI


def test_telemetry_arguments_warn_no_more() -> None:
    # Recorded, not turned into errors: a ResourceWarning from another test's garbage collected
    # at this moment must not count.
    for arguments in ({}, {"telemetry": {"tracing": False}}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            FerroAPI(**arguments)  # type: ignore[arg-type]
        assert [str(w.message) for w in caught if "telemetry" in str(w.message)] == []


@pytest.mark.parametrize("value", [True, False, "tracing", ["tracing"], 1])
def test_a_telemetry_argument_that_is_not_a_mapping_raises_fastapis_type_error(value: object) -> None:
    from fastapi import FastAPI

    with pytest.raises(TypeError) as fastapi_error:
        FastAPI(telemetry=value)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as ferroapi_error:
        FerroAPI(telemetry=value)  # type: ignore[arg-type]
    assert str(ferroapi_error.value) == str(fastapi_error.value)  # "'bool' object is not a mapping"


@pytest.mark.parametrize(
    "value", [{}, {"tracing": False}, {"tracing": True, "metrics": False, "logs": False}]
)
def test_the_forms_fastapi_accepts_are_accepted(value: dict[str, object]) -> None:
    from fastapi import FastAPI

    FastAPI(telemetry=value)  # type: ignore[arg-type]
    app = FerroAPI(telemetry=value)  # type: ignore[arg-type]
    assert app._telemetry == {**FastAPI(telemetry=value)._telemetry}  # type: ignore[arg-type]
