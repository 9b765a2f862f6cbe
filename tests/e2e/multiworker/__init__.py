"""Multi-worker broadcast tests: a real redis-server and uvicorn worker processes (a package, so its
helpers import each other relatively under pytest, mypy and benches/fanout.py alike)."""
