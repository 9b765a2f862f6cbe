"""Parsing of the `Authorization` header shared by the HTTP and OAuth2 schemes."""


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """Split `"Bearer abc"` into `("Bearer", "abc")`; a missing header gives `("", "")`."""
    if not authorization_header_value:
        return "", ""
    scheme, _, param = authorization_header_value.partition(" ")
    return scheme, param.strip()
