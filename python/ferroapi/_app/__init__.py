"""The app-wide layer that runs before routing: `entry.AppEntry`, the outermost ASGI layer of an app
without user middleware (the exception handlers, the 500, FastAPI's file stack)."""
