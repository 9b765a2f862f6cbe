"""Routing internals: route options, routes, routers, inclusion, the native route table and dispatch."""
