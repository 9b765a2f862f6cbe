"""The marker base class of every security scheme dependency.

The OpenAPI generator finds a route's security requirements by looking for dependencies whose callable
is a `SecurityBase` instance: `model` becomes the entry in `components.securitySchemes` and
`scheme_name` its key.
"""

from ferroapi.openapi.models import SecurityBase as SecurityBaseModel


class SecurityBase:
    model: SecurityBaseModel
    scheme_name: str
