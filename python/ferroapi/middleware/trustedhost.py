from starlette.middleware.trustedhost import TrustedHostMiddleware as TrustedHostMiddleware

__all__ = ["TrustedHostMiddleware"]
