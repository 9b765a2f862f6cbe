"""starlette's TestClient, under FastAPI's module name."""

from starlette.testclient import TestClient as TestClient

__all__ = ["TestClient"]
