"""FerroAPI's constructor arguments that are accepted for FastAPI's signature but act differently."""

from __future__ import annotations

import warnings

import pytest

from ferroapi import FerroAPI


def test_the_unimplemented_telemetry_argument_warns() -> None:
    with pytest.warns(UserWarning, match="telemetry= is ignored|`telemetry=` is ignored"):
        FerroAPI(telemetry={"tracing": False})


def test_no_telemetry_argument_no_warning() -> None:
    # Recorded, not turned into errors: a ResourceWarning from another test's garbage collected
    # at this moment must not count.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FerroAPI()
    assert [str(w.message) for w in caught if "telemetry" in str(w.message)] == []
