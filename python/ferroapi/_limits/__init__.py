"""Request limits, in one place: how much body a request may send (`max_body_size`) and how much a
form may hold (`form_limits`).

- `body`: the `max_body_size` setting: its values (the built-in `DefaultLimit`), which one is in force,
  the declared-length check and the 413;
- `counting`: `receive` counting the body as it arrives, for whatever reads it besides the pipeline;
- `middleware`: the limit as ASGI middleware, around the app's user middleware (`FerroAPI`) and around
  routes that are not API routes (the dispatcher);
- `forms`: the `form_limits` setting and its inheritance through routers.

The routers and routes only pass their settings here; the pipeline's body reader counts inline with
the same `too_large` error.
"""
