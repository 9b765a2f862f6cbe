"""FastAPI's `fastapi.dependencies.utils` names, for code that imports them from there.

Analysis lives in `dependencies.analyze` (+ `signature`, `flat`), solving in `dependencies.solve`
(whose signature takes the request `Lifecycle` instead of FastAPI's scope-smuggled exit stacks).
"""

from ferroapi.dependencies.analyze import (
    analyze_param,
    get_body_field,
    get_dependant,
    get_flat_body_params,
    get_flat_dependant,
    get_flat_params,
    get_parameterless_sub_dependant,
    get_path_param_names,
    should_embed_body_fields,
)
from ferroapi.dependencies.body import read_upload as _read_file_bytes
from ferroapi.dependencies.fieldinfo import ensure_multipart_is_installed
from ferroapi.dependencies.signature import (
    get_typed_annotation,
    get_typed_return_annotation,
    get_typed_signature,
)
from ferroapi.dependencies.solve import SolvedDependency, solve_dependencies

# FastAPI's private spellings of public helpers here.
_should_embed_body_fields = should_embed_body_fields
_get_flat_body_params = get_flat_body_params

__all__ = [
    "SolvedDependency",
    "_get_flat_body_params",
    "_read_file_bytes",
    "_should_embed_body_fields",
    "analyze_param",
    "ensure_multipart_is_installed",
    "get_body_field",
    "get_dependant",
    "get_flat_body_params",
    "get_flat_dependant",
    "get_flat_params",
    "get_parameterless_sub_dependant",
    "get_path_param_names",
    "get_typed_annotation",
    "get_typed_return_annotation",
    "get_typed_signature",
    "should_embed_body_fields",
    "solve_dependencies",
]
