from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware as HTTPSRedirectMiddleware

__all__ = ["HTTPSRedirectMiddleware"]
