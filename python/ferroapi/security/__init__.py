"""Security scheme dependencies: API keys, HTTP auth, OAuth2 and OpenID Connect."""
