"""OpenAPI document models, generator and interactive documentation pages."""
