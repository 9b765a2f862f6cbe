"""FastAPI's `fastapi.dependencies.utils` names, for code that imports them from there.

A façade: analysis lives in `dependencies.analyze` (+ `param`, `signature`, `flat`, `fieldinfo`),
request reading in `dependencies.extract`/`body` (one-call helpers in `dependencies.readers`), solving
in `dependencies.solve`, FastAPI's keyword contract of `solve_dependencies` in `dependencies.solved`.
FastAPI's private helper names are aliases of ferroapi's functions with the same contract. The
starlette/pydantic names FastAPI imports here are the same objects. Nothing in ferroapi imports this
module: it is loaded by extensions (with the JSON Schema helpers of `_compat.v2` it re-exports).
"""

from pydantic import AliasChoices as AliasChoices
from pydantic import AliasPath as AliasPath
from pydantic import BaseModel as BaseModel
from pydantic import BeforeValidator as BeforeValidator
from pydantic import ConfigDict as ConfigDict
from pydantic import GetJsonSchemaHandler as GetJsonSchemaHandler
from pydantic import GetPydanticSchema as GetPydanticSchema
from pydantic import Json as Json
from pydantic import Tag as Tag
from pydantic.fields import FieldInfo as FieldInfo
from pydantic_core import CoreSchema as CoreSchema
from starlette.background import BackgroundTasks as StarletteBackgroundTasks  # noqa: F401 - FastAPI's name
from starlette.concurrency import run_in_threadpool as run_in_threadpool
from starlette.datastructures import FormData as FormData
from starlette.datastructures import Headers as Headers
from starlette.datastructures import ImmutableMultiDict as ImmutableMultiDict
from starlette.datastructures import QueryParams as QueryParams
from starlette.datastructures import UploadFile as UploadFile
from starlette.requests import HTTPConnection as HTTPConnection
from starlette.requests import Request as Request
from starlette.responses import Response as Response
from starlette.websockets import WebSocket as WebSocket

from ferroapi._compat import RequiredParam as RequiredParam
from ferroapi._compat import Undefined as Undefined
from ferroapi._compat.shared import field_annotation_is_scalar as field_annotation_is_scalar
from ferroapi._compat.shared import field_annotation_is_scalar_sequence as field_annotation_is_scalar_sequence
from ferroapi._compat.shared import field_annotation_is_sequence as field_annotation_is_sequence
from ferroapi._compat.shared import (
    is_bytes_or_nonable_bytes_annotation as is_bytes_or_nonable_bytes_annotation,
)
from ferroapi._compat.shared import is_bytes_sequence_annotation as is_bytes_sequence_annotation
from ferroapi._compat.shared import (
    is_uploadfile_or_nonable_uploadfile_annotation as is_uploadfile_or_nonable_uploadfile_annotation,
)
from ferroapi._compat.shared import is_uploadfile_sequence_annotation as is_uploadfile_sequence_annotation
from ferroapi._compat.shared import lenient_issubclass as lenient_issubclass
from ferroapi._compat.shared import sequence_types as sequence_types
from ferroapi._compat.shared import value_is_sequence as value_is_sequence
from ferroapi._compat.v2 import copy_field_info as copy_field_info
from ferroapi._compat.v2 import create_body_model as create_body_model
from ferroapi._compat.v2 import evaluate_forwardref as evaluate_forwardref
from ferroapi._compat.v2 import get_cached_model_fields as get_cached_model_fields
from ferroapi._compat.v2 import get_missing_field_error as get_missing_field_error
from ferroapi._compat.v2 import is_scalar_field as is_scalar_field
from ferroapi._compat.v2 import serialize_sequence_value as serialize_sequence_value
from ferroapi._fields import ModelField as ModelField
from ferroapi._routing.annotations import _STREAM_ORIGINS as _STREAM_ORIGINS
from ferroapi._routing.annotations import stream_item_type
from ferroapi.background import BackgroundTasks as BackgroundTasks
from ferroapi.concurrency import (
    _asynccontextmanager_with_shielded_exit as _asynccontextmanager_with_shielded_exit,
)
from ferroapi.concurrency import (
    _contextmanager_with_concurrency_limit as _contextmanager_with_concurrency_limit,
)
from ferroapi.concurrency import _DependencyConcurrency as _DependencyConcurrency
from ferroapi.concurrency import contextmanager_in_threadpool as contextmanager_in_threadpool
from ferroapi.dependencies.analyze import (
    ParamDetails,
    add_non_field_param_to_dependency,
    add_param_to_fields,
    analyze_param,
    get_body_field,
    get_dependant,
    get_flat_body_params,
    get_flat_dependant,
    get_flat_params,
    get_parameterless_sub_dependant,
    should_embed_body_fields,
)
from ferroapi.dependencies.body import (
    _normalize_form_branch,
    add_form_union_validators,
    form_model,
    form_model_supplied,
    form_models,
    form_union_models,
)
from ferroapi.dependencies.body import read_upload as _read_file_bytes
from ferroapi.dependencies.extract import _extras, _is_empty_upload, param_aliases
from ferroapi.dependencies.fieldinfo import (
    _MULTIPART_MISSING,
    _MULTIPART_WRONG,
    ensure_multipart_is_installed,
    is_json_field,
    model_type,
    param_model,
)
from ferroapi.dependencies.flat import _expand_models
from ferroapi.dependencies.form_schema import form_body_schema, form_model_schema
from ferroapi.dependencies.generator import solve_generator
from ferroapi.dependencies.models import Dependant as Dependant
from ferroapi.dependencies.models import _get_cache_key as _get_cache_key
from ferroapi.dependencies.models import _get_computed_scope as _get_computed_scope
from ferroapi.dependencies.models import _get_oauth_scopes as _get_oauth_scopes
from ferroapi.dependencies.models import _is_async_gen_callable as _is_async_gen_callable
from ferroapi.dependencies.models import _is_coroutine_callable as _is_coroutine_callable
from ferroapi.dependencies.models import _is_gen_callable as _is_gen_callable
from ferroapi.dependencies.models import _UsesScopesCache as _UsesScopesCache
from ferroapi.dependencies.readers import (
    extract_form_body,
    extract_form_items,
    extract_form_model,
    get_multidict_value,
    get_validation_alias,
    request_body_to_args,
    request_param_model_to_args,
    request_params_to_args,
    validate_value_with_model_field,
)
from ferroapi.dependencies.signature import _signature as _get_signature  # noqa: F401 - FastAPI's name
from ferroapi.dependencies.signature import (
    get_typed_annotation,
    get_typed_return_annotation,
    get_typed_signature,
)
from ferroapi.dependencies.solved import SolvedDependency, solve_dependencies
from ferroapi.exceptions import DependencyScopeError as DependencyScopeError
from ferroapi.logger import logger as logger
from ferroapi.security.oauth2 import SecurityScopes as SecurityScopes
from ferroapi.types import DependencyCacheKey as DependencyCacheKey
from ferroapi.utils import create_model_field as create_model_field
from ferroapi.utils import get_path_param_names as get_path_param_names

multipart_not_installed_error = _MULTIPART_MISSING
multipart_incorrect_install_error = _MULTIPART_WRONG

# FastAPI's names (public and private) for ferroapi's functions of the same contract.
get_stream_item_type = stream_item_type
_should_embed_body_fields = should_embed_body_fields
_get_flat_body_params = get_flat_body_params
_get_body_field = get_body_field
_get_model_type = model_type
_get_param_model = param_model
_get_flat_fields_from_params = _expand_models
_is_json_field = is_json_field
_is_empty_file_input = _is_empty_upload
_get_param_aliases = param_aliases
_get_multidict_value = get_multidict_value
_get_multidict_extras = _extras
_validate_value_with_model_field = validate_value_with_model_field
_request_param_model_to_args = request_param_model_to_args
_solve_generator = solve_generator
_get_form_union_models = form_union_models
_add_form_union_validators = add_form_union_validators
_normalize_form_model = _normalize_form_branch
_get_form_models = form_models
_get_form_model = form_model
_extract_form_items = extract_form_items
_extract_form_body = extract_form_body
_is_form_model_supplied = form_model_supplied
_extract_form_model = extract_form_model
_get_form_model_schema = form_model_schema
_apply_form_body_schema = form_body_schema

__all__ = [
    "ParamDetails",
    "SolvedDependency",
    "_get_body_field",
    "_get_flat_body_params",
    "_read_file_bytes",
    "_should_embed_body_fields",
    "add_non_field_param_to_dependency",
    "add_param_to_fields",
    "analyze_param",
    "ensure_multipart_is_installed",
    "get_body_field",
    "get_dependant",
    "get_flat_body_params",
    "get_flat_dependant",
    "get_flat_params",
    "get_parameterless_sub_dependant",
    "get_path_param_names",
    "get_stream_item_type",
    "get_typed_annotation",
    "get_typed_return_annotation",
    "get_typed_signature",
    "get_validation_alias",
    "multipart_incorrect_install_error",
    "multipart_not_installed_error",
    "request_body_to_args",
    "request_params_to_args",
    "should_embed_body_fields",
    "solve_dependencies",
]
