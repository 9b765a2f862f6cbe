"""`include_router`: `inherit` decides what an included router's routes inherit from the inclusion
(prefix, tags, dependencies, limits...); `entry` is the `IncludedRouter` the inclusion leaves in the
parent's routes, and how a request reaches the included routes through it."""
