"""Dependency injection: analysis once per route (`analyze`), solving once per request (`solve`)."""
