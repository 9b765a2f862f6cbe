"""`ferroapi.params` / `param_functions`: declarations carry FastAPI's options and defaults."""

from __future__ import annotations

import pytest
from pydantic_core import PydanticUndefined

from ferroapi import param_functions as pf
from ferroapi import params
from ferroapi._compat import PYDANTIC_VERSION_MINOR_TUPLE, Undefined
from ferroapi.datastructures import Default, DefaultPlaceholder, UploadFile
from ferroapi.exceptions import FastAPIDeprecationWarning


def test_location_and_defaults() -> None:
    assert params.Query().in_ is params.ParamTypes.query
    assert params.Header().in_ is params.ParamTypes.header
    assert params.Cookie().in_ is params.ParamTypes.cookie
    assert params.Path().in_ is params.ParamTypes.path
    assert params.Query().default is PydanticUndefined
    assert params.Query(None).default is None
    assert params.Path().is_required()
    with pytest.raises(AssertionError, match="Path parameters cannot have a default value"):
        params.Path(3)


def test_alias_applies_to_both_directions_unless_overridden() -> None:
    q = pf.Query(alias="x")
    assert (q.alias, q.validation_alias, q.serialization_alias) == ("x", "x", "x")
    q = pf.Query(alias="x", serialization_alias="s", validation_alias="v")
    assert (q.alias, q.validation_alias, q.serialization_alias) == ("x", "v", "s")
    assert pf.Query().validation_alias is None


def test_constraints_become_metadata() -> None:
    q = pf.Query(None, gt=1, max_length=3, pattern="^a")
    assert {type(m).__name__ for m in q.metadata} >= {"Gt", "MaxLen"}
    assert repr(q) == "Query(None)"


def test_deprecated_options_warn_and_still_work() -> None:
    with pytest.warns(FastAPIDeprecationWarning, match="regex"):
        q = pf.Query(regex="^a$")
    assert any(getattr(m, "pattern", None) == "^a$" for m in q.metadata)
    with pytest.warns(FastAPIDeprecationWarning, match="example"):
        q = pf.Query(example=1)
    assert q.example == 1


def test_openapi_only_options() -> None:
    q = pf.Query(include_in_schema=False, openapi_examples={"a": {"value": 1}}, deprecated=True)
    assert q.include_in_schema is False
    assert q.openapi_examples == {"a": {"value": 1}}
    assert q.deprecated is True


def test_body_form_file_media_types_and_embed() -> None:
    assert pf.Body().media_type == "application/json"
    assert pf.Body(embed=True).embed is True
    assert pf.Body().embed is None
    assert pf.Form().media_type == "application/x-www-form-urlencoded"
    assert pf.File().media_type == "multipart/form-data"
    assert isinstance(pf.File(), params.Form)
    assert pf.Header(convert_underscores=False).convert_underscores is False


def test_depends_and_security() -> None:
    def dep() -> int:
        return 1

    d = pf.Depends(dep, use_cache=False, scope="function")
    assert (d.dependency, d.use_cache, d.scope) == (dep, False, "function")
    s = pf.Security(dep, scopes=["a"])
    assert isinstance(s, params.Security) and list(s.scopes or []) == ["a"]
    limited = pf.Depends(dep, max_concurrency=2)
    assert limited._concurrency is not None and limited._concurrency.max_concurrency == 2
    # Two equal declarations keep separate limits (typing.Annotated caches by equality).
    assert limited != pf.Depends(dep, max_concurrency=2)
    with pytest.raises(ValueError, match="max_concurrency"):
        pf.Depends(dep, max_concurrency=0)


def test_datastructures_and_compat_names() -> None:
    assert isinstance(Default(1), DefaultPlaceholder) and Default(1) == Default(1) and not Default(0)
    assert Undefined is PydanticUndefined
    assert PYDANTIC_VERSION_MINOR_TUPLE >= (2, 0)
    assert issubclass(UploadFile, object)
