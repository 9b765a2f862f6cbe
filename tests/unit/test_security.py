"""Security schemes called directly on a request: credentials, 401s and WWW-Authenticate headers."""

from __future__ import annotations

import base64
from typing import Any

import anyio
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ferroapi.security.api_key import APIKeyCookie, APIKeyHeader, APIKeyQuery
from ferroapi.security.http import (
    HTTPAuthorizationCredentials,
    HTTPBase,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    HTTPDigest,
)
from ferroapi.security.open_id_connect_url import OpenIdConnect
from ferroapi.security.utils import get_authorization_scheme_param


def make_request(headers: dict[str, str] | None = None, query: str = "") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": query.encode()}
    return Request(scope)


def call(scheme: Any, request: Request) -> Any:
    async def run() -> Any:
        return await scheme(request)

    return anyio.run(run)


def unauthorized(scheme: Any, request: Request) -> HTTPException:
    with pytest.raises(HTTPException) as info:
        call(scheme, request)
    assert info.value.status_code == 401
    assert info.value.detail == "Not authenticated"
    return info.value


def basic(value: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


def test_authorization_scheme_param() -> None:
    assert get_authorization_scheme_param(None) == ("", "")
    assert get_authorization_scheme_param("Bearer  tok ") == ("Bearer", "tok")
    assert get_authorization_scheme_param("Bearer") == ("Bearer", "")


@pytest.mark.parametrize(
    ("scheme", "request_with_key"),
    [
        (APIKeyHeader(name="X-Key"), make_request({"X-Key": "k"})),
        (APIKeyQuery(name="key"), make_request(query="key=k")),
        (APIKeyCookie(name="key"), make_request({"Cookie": "key=k"})),
    ],
)
def test_api_key(scheme: Any, request_with_key: Request) -> None:
    assert call(scheme, request_with_key) == "k"
    error = unauthorized(scheme, make_request())
    assert error.headers == {"WWW-Authenticate": "APIKey"}
    scheme.auto_error = False
    assert call(scheme, make_request()) is None


def test_api_key_model_and_name() -> None:
    scheme = APIKeyHeader(name="X-Key", description="d", scheme_name="Custom")
    assert scheme.scheme_name == "Custom"
    assert scheme.model.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "type": "apiKey",
        "description": "d",
        "in": "header",
        "name": "X-Key",
    }
    assert APIKeyQuery(name="q").scheme_name == "APIKeyQuery"


def test_http_basic() -> None:
    scheme = HTTPBasic()
    assert call(scheme, make_request(basic("john:se:cret"))) == HTTPBasicCredentials(
        username="john", password="se:cret"
    )
    assert unauthorized(scheme, make_request()).headers == {"WWW-Authenticate": "Basic"}
    assert unauthorized(scheme, make_request(basic("nocolon"))).headers == {"WWW-Authenticate": "Basic"}
    realm = HTTPBasic(realm="simple")
    assert unauthorized(realm, make_request()).headers == {"WWW-Authenticate": 'Basic realm="simple"'}


def test_http_basic_without_auto_error_still_rejects_malformed_credentials() -> None:
    scheme = HTTPBasic(auto_error=False)
    assert call(scheme, make_request()) is None
    assert call(scheme, make_request({"Authorization": "Bearer x"})) is None
    unauthorized(scheme, make_request({"Authorization": "Basic ???"}))


@pytest.mark.parametrize(("cls", "name"), [(HTTPBearer, "Bearer"), (HTTPDigest, "Digest")])
def test_bearer_and_digest(cls: Any, name: str) -> None:
    scheme = cls()
    assert call(scheme, make_request({"Authorization": f"{name} tok"})) == HTTPAuthorizationCredentials(
        scheme=name, credentials="tok"
    )
    assert unauthorized(scheme, make_request()).headers == {"WWW-Authenticate": name}
    assert unauthorized(scheme, make_request({"Authorization": "Other tok"})).headers == {
        "WWW-Authenticate": name
    }
    assert call(cls(auto_error=False), make_request({"Authorization": "Other tok"})) is None


def test_http_base_generic_scheme() -> None:
    scheme = HTTPBase(scheme="other")
    assert call(scheme, make_request({"Authorization": "Anything x"})) == HTTPAuthorizationCredentials(
        scheme="Anything", credentials="x"
    )
    assert unauthorized(scheme, make_request()).headers == {"WWW-Authenticate": "Other"}


def test_http_bearer_model() -> None:
    model = HTTPBearer(bearerFormat="JWT").model
    assert model.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_open_id_connect() -> None:
    scheme = OpenIdConnect(openIdConnectUrl="/.well-known")
    assert call(scheme, make_request({"Authorization": "Bearer x"})) == "Bearer x"
    assert unauthorized(scheme, make_request()).headers == {"WWW-Authenticate": "Bearer"}
    assert call(OpenIdConnect(openIdConnectUrl="/o", auto_error=False), make_request()) is None
