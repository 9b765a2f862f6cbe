"""OAuth2 schemes (password and authorization-code bearer), the token request forms, SecurityScopes."""

from typing import Annotated, Any

from starlette.requests import HTTPConnection
from starlette.status import HTTP_401_UNAUTHORIZED

from ferroapi.exceptions import HTTPException
from ferroapi.openapi.models import OAuth2 as OAuth2Model
from ferroapi.openapi.models import OAuthFlows as OAuthFlowsModel
from ferroapi.param_functions import Form
from ferroapi.security.base import SecurityBase
from ferroapi.security.utils import get_authorization_scheme_param

_SECRET = {"format": "password"}


class OAuth2PasswordRequestForm:
    """The form body of an OAuth2 password-flow token request; `scope` is split into `scopes`."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form(json_schema_extra=_SECRET)],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra=_SECRET)] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """Like `OAuth2PasswordRequestForm`, but `grant_type="password"` is required, as the spec says."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


class OAuth2(SecurityBase):
    """Any OAuth2 flow; the dependency returns the raw `Authorization` header."""

    def __init__(
        self,
        *,
        flows: OAuthFlowsModel | dict[str, dict[str, Any]] = OAuthFlowsModel(),
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.model = OAuth2Model.model_validate({"flows": flows, "description": description})
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_not_authenticated_error(self) -> HTTPException:
        return HTTPException(
            status_code=HTTP_401_UNAUTHORIZED,
            detail="Not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )

    def _unauthenticated(self) -> None:
        if self.auto_error:
            raise self.make_not_authenticated_error()

    async def __call__(self, request: HTTPConnection) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            self._unauthenticated()
            return None
        return authorization

    def _bearer_token(self, request: HTTPConnection) -> str | None:
        authorization = request.headers.get("Authorization")
        scheme, param = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "bearer":
            self._unauthenticated()
            return None
        return param


class OAuth2PasswordBearer(OAuth2):
    """Password flow: the client posts username and password to `tokenUrl` and sends a bearer token."""

    def __init__(
        self,
        tokenUrl: str,
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,
    ) -> None:
        password = {"tokenUrl": tokenUrl, "refreshUrl": refreshUrl, "scopes": scopes or {}}
        super().__init__(
            flows=OAuthFlowsModel.model_validate({"password": password}),
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._bearer_token(request)


class OAuth2AuthorizationCodeBearer(OAuth2):
    """Authorization-code flow; the dependency returns the bearer token."""

    def __init__(
        self,
        authorizationUrl: str,
        tokenUrl: str,
        refreshUrl: str | None = None,
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        code = {
            "authorizationUrl": authorizationUrl,
            "tokenUrl": tokenUrl,
            "refreshUrl": refreshUrl,
            "scopes": scopes or {},
        }
        super().__init__(
            flows=OAuthFlowsModel.model_validate({"authorizationCode": code}),
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._bearer_token(request)


class SecurityScopes:
    """Injected into a dependency: the scopes every `Security(...)` on the path up to it asked for."""

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = scopes or []
        self.scope_str: str = " ".join(self.scopes)
