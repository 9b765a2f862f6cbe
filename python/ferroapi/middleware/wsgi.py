from starlette.middleware.wsgi import WSGIMiddleware as WSGIMiddleware

__all__ = ["WSGIMiddleware"]
