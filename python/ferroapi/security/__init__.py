"""Security scheme dependencies: API keys, HTTP auth, OAuth2 and OpenID Connect."""

from ferroapi.security.api_key import APIKeyCookie as APIKeyCookie
from ferroapi.security.api_key import APIKeyHeader as APIKeyHeader
from ferroapi.security.api_key import APIKeyQuery as APIKeyQuery
from ferroapi.security.http import HTTPAuthorizationCredentials as HTTPAuthorizationCredentials
from ferroapi.security.http import HTTPBasic as HTTPBasic
from ferroapi.security.http import HTTPBasicCredentials as HTTPBasicCredentials
from ferroapi.security.http import HTTPBearer as HTTPBearer
from ferroapi.security.http import HTTPDigest as HTTPDigest
from ferroapi.security.oauth2 import OAuth2 as OAuth2
from ferroapi.security.oauth2 import OAuth2AuthorizationCodeBearer as OAuth2AuthorizationCodeBearer
from ferroapi.security.oauth2 import OAuth2PasswordBearer as OAuth2PasswordBearer
from ferroapi.security.oauth2 import OAuth2PasswordRequestForm as OAuth2PasswordRequestForm
from ferroapi.security.oauth2 import OAuth2PasswordRequestFormStrict as OAuth2PasswordRequestFormStrict
from ferroapi.security.oauth2 import SecurityScopes as SecurityScopes
from ferroapi.security.open_id_connect_url import OpenIdConnect as OpenIdConnect
