"""Serving a static frontend build: `app.frontend("/", directory="dist")` (FastAPI 0.165's `frontend()`).

`routes`: the routes a router keeps for its frontends (one group among its low-priority routes, the
longest matching prefix wins, the router's dependencies run first); `files`: which file of the build
answers a path, and the fallback files.
"""
