"""Graceful drain on shutdown: open SSE streams and websockets end cleanly before the server stops.

- `registry`: the per-app `Drain` (the open streams and websockets, whether draining began) and the
  process's set of them;
- `loops`: running a callback or a task on a stream's event loop, from any thread (asyncio or trio);
- `signals`: the process's SIGTERM/SIGINT handlers chained once the app's lifespan started, so a
  drain begins before the server's own shutdown;
- `lifespan`: the lifespan messages that install and remove that chain, and that begin a drain;
- `websocket`: a websocket route's connection closed with 1001 (going away) when draining begins.

The SSE side lives in the pipeline (`_pipeline.streaming.draining`). See docs/shutdown.md.
"""
