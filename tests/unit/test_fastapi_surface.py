"""FastAPI 0.165.0's module surface, compared name by name with ferroapi's.

Extensions import FastAPI's internals (`from fastapi.dependencies.utils import _get_body_field`); when
`fastapi` resolves to ferroapi, every such name must exist in the same-named `ferroapi` module. This
file walks every module of the real, installed `fastapi` package (both packages are imported side by
side; the alias is never installed here) and compares.

**What counts as a name "defined" by `fastapi.X`** (the rule `_is_defined` applies):

- every name of the module namespace, public or private, except dunders (`__all__`, `__doc__`...);
- except module objects (`import json`, `from fastapi import params`): imports, not definitions;
- a class or a function (plain, builtin or wrapped) counts when its `__module__` is in FastAPI's own
  stack: `fastapi`, `starlette`, `pydantic`, `pydantic_core`. So `fastapi.routing.Mount` (starlette's)
  and `fastapi._compat.v2.TypeAdapter` (pydantic's) count: extensions import them from there. Classes
  and functions of the standard library or of other libraries (`Any`, `Mapping`, `wraps`,
  `dataclass`, `Doc`, `deprecated`...) are helpers imported for internal use and do not count;
- any other value (constants, sentinels, instances, type aliases, TypeVars) counts, unless it is the
  very object found under the same name in `typing`, `typing_extensions`, `collections.abc`, `types`,
  `builtins` or the module its `__module__` names, outside FastAPI's stack: that is an import of a
  typing construct (`Literal`, `Union`, `TYPE_CHECKING`). A TypeVar or alias built in FastAPI's module
  (`DecoratedCallable`, `IncEx = set[int] | ...`) counts: extensions annotate with them.

`fastapi.__main__` is only checked to exist (importing it runs FastAPI's CLI).

A gap is allowed only in `ALLOWED_GAPS`, each entry with its reason. An entry names a module (which
then covers its submodules, and the names other modules re-export from it) or one `module:name`.

Beyond presence: objects FastAPI re-exports from starlette/pydantic must be the same objects in
ferroapi; one FastAPI object exported by several modules must be one ferroapi object; the functions
extensions call with keywords (or read with `inspect.signature`) have FastAPI's parameters.
"""

from __future__ import annotations

import builtins
import collections.abc
import importlib
import importlib.util
import inspect
import pkgutil
import sys
import types
import typing
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, get_args, get_origin

import pytest
import typing_extensions

fastapi = pytest.importorskip("fastapi")

import ferroapi  # noqa: E402

FASTAPI_VERSION = "0.165.0"
# The packages whose objects FastAPI's modules expose as their own API.
STACK = frozenset({"fastapi", "starlette", "pydantic", "pydantic_core"})
_TYPING_HOMES: tuple[ModuleType, ...] = (typing, typing_extensions, collections.abc, types, builtins)

ALLOWED_GAPS: dict[str, str] = {
    "fastapi.responses:StreamingResponse": "by design a subclass of starlette's (README, Streams: sync "
    "iterators pulled in batches per thread hop), not starlette's class itself",
}
assert len(ALLOWED_GAPS) <= 15, "the allowlist is for a few justified gaps, not a backlog"


def _top(module_name: object) -> str:
    return module_name.partition(".")[0] if isinstance(module_name, str) else ""


def _is_defined(name: str, value: object) -> bool:
    """Whether `name` counts as defined by the FastAPI module that holds `value` (module docstring)."""
    if name.startswith("__") and name.endswith("__"):
        return False
    if isinstance(value, ModuleType):
        return False
    module_name = getattr(value, "__module__", None)
    if inspect.isclass(value) or inspect.isroutine(value):
        return _top(module_name) in STACK
    homes = list(_TYPING_HOMES)
    if isinstance(module_name, str) and _top(module_name) not in STACK:
        home = sys.modules.get(module_name)
        if home is not None:
            homes.append(home)
    missing = object()
    return not any(getattr(home, name, missing) is value for home in homes)


def _import_quietly(name: str) -> ModuleType:
    # fastapi.middleware.wsgi re-exports a starlette module that warns on import.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def _fastapi_module_names() -> list[str]:
    names = ["fastapi"]
    names.extend(info.name for info in pkgutil.walk_packages(fastapi.__path__, "fastapi."))
    return sorted(names)


FASTAPI_MODULES = [name for name in _fastapi_module_names() if name != "fastapi.__main__"]


def _ferroapi_name(fastapi_module: str) -> str:
    return "ferroapi" + fastapi_module[len("fastapi") :]


def _origin_module(value: object) -> str | None:
    if inspect.isclass(value) or inspect.isroutine(value):
        module_name = getattr(value, "__module__", None)
        return module_name if isinstance(module_name, str) else None
    return None


def _within(module_name: str | None, package: str) -> bool:
    return module_name is not None and (module_name == package or module_name.startswith(f"{package}."))


def _allowance(module: str, name: str | None = None, value: object = None) -> str | None:
    """The reason `module` (or its `name`, whose FastAPI value is `value`) may be missing, if any."""
    for entry, reason in ALLOWED_GAPS.items():
        entry_module, _, entry_name = entry.partition(":")
        if entry_name:
            if (module, name) == (entry_module, entry_name):
                return reason
        elif _within(module, entry_module) or (
            name is not None and _within(_origin_module(value), entry_module)
        ):
            return reason
    return None


def _defined_names(module: ModuleType) -> dict[str, object]:
    return {name: value for name, value in vars(module).items() if _is_defined(name, value)}


def _ferroapi_module(fastapi_module: str) -> ModuleType:
    name = _ferroapi_name(fastapi_module)
    try:
        return _import_quietly(name)
    except ImportError as exc:
        pytest.fail(f"{name} is missing ({fastapi_module} exists): {exc}")


# --- the environment -------------------------------------------------------------------------------


def test_real_fastapi_is_installed_side_by_side() -> None:
    assert fastapi.__version__ == FASTAPI_VERSION, "this surface is FastAPI 0.165.0's"
    assert fastapi.FastAPI is not getattr(ferroapi, "FerroAPI", None), "the alias must not be installed here"


def test_allowlist_entries_name_real_things() -> None:
    known = set(FASTAPI_MODULES)
    for entry in ALLOWED_GAPS:
        module, _, name = entry.partition(":")
        assert module in known, f"{entry}: no such FastAPI module"
        if name:
            assert hasattr(_import_quietly(module), name), f"{entry}: no such name"


def test_main_module_exists() -> None:
    assert importlib.util.find_spec("ferroapi.__main__") is not None


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("module_name", FASTAPI_MODULES)
def test_module_defines_fastapi_names(module_name: str) -> None:
    reason = _allowance(module_name)
    if reason is not None:
        pytest.skip(reason)
    theirs = _defined_names(_import_quietly(module_name))
    ours = _ferroapi_module(module_name)
    missing = sorted(
        name
        for name, value in theirs.items()
        if not hasattr(ours, name) and not _allowance(module_name, name, value) is not None
    )
    assert not missing, f"{ours.__name__} lacks {len(missing)} of {module_name}'s names: {', '.join(missing)}"


def _is_shared_object(value: object) -> bool:
    """Objects whose identity means something (immutable scalars are compared by value, if at all)."""
    return not isinstance(value, (str, bytes, int, float, bool, type(None), tuple, frozenset))


@pytest.mark.parametrize("module_name", FASTAPI_MODULES)
def test_reexports_are_the_stack_objects(module_name: str) -> None:
    """A class or function FastAPI takes from starlette/pydantic is the same object in ferroapi."""
    reason = _allowance(module_name)
    if reason is not None:
        pytest.skip(reason)
    ours = _ferroapi_module(module_name)
    wrong = []
    for name, value in _defined_names(_import_quietly(module_name)).items():
        origin = _top(_origin_module(value))
        if (
            origin in ("", "fastapi")
            or not hasattr(ours, name)
            or _allowance(module_name, name, value) is not None
        ):
            continue
        if getattr(ours, name) is not value:
            wrong.append(f"{name} (FastAPI's is {origin}'s {value!r}, ferroapi's is {getattr(ours, name)!r})")
    assert not wrong, f"{ours.__name__}: " + "; ".join(wrong)


def _shared_groups() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """FastAPI objects exported by several modules: [(module, name), ...] per object."""
    groups: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for module_name in FASTAPI_MODULES:
        if _allowance(module_name) is not None:
            continue
        for name, value in _defined_names(_import_quietly(module_name)).items():
            if _is_shared_object(value) and not _allowance(module_name, name, value) is not None:
                groups[id(value)].append((module_name, name))
    for places in groups.values():
        if len(places) > 1:
            yield f"{places[0][0]}.{places[0][1]}", places


SHARED = dict(_shared_groups())


@pytest.mark.parametrize("label", sorted(SHARED))
def test_one_fastapi_object_is_one_ferroapi_object(label: str) -> None:
    """`fastapi.routing.solve_dependencies is fastapi.dependencies.utils.solve_dependencies`: patching
    one patches the other, and profilers find one object. ferroapi's counterparts are one object too."""
    found: dict[int, list[str]] = defaultdict(list)
    for module_name, name in SHARED[label]:
        try:
            ours = _import_quietly(_ferroapi_name(module_name))
        except ImportError:
            continue  # reported by test_module_defines_fastapi_names
        if hasattr(ours, name):  # a missing name is reported by test_module_defines_fastapi_names
            found[id(getattr(ours, name))].append(f"{ours.__name__}.{name}")
    assert len(found) <= 1, f"FastAPI has one object, ferroapi several: {sorted(found.values())}"


# --- values ECOSYSTEM.md requires to be identical ------------------------------------------------


def test_compat_undefined_is_pydantic_undefined() -> None:
    from pydantic_core import PydanticUndefined

    from ferroapi import _compat
    from ferroapi._compat import v2

    assert _compat.Undefined is PydanticUndefined
    assert _compat.RequiredParam is PydanticUndefined
    assert v2.Undefined is PydanticUndefined


def test_routing_mount_is_starlettes() -> None:
    import starlette.routing

    from ferroapi import routing

    assert routing.Mount is starlette.routing.Mount


# --- signatures ------------------------------------------------------------------------------------

# Functions and classes extensions call with keywords, subclass and call `super().__init__` on, patch
# with wrappers of the same signature, or read with `inspect.signature` (ECOSYSTEM.md "Behavioural
# contracts" and "Patch points"; the docs pages and security schemes they import).
SIGNATURES = [
    "fastapi.dependencies.utils:solve_dependencies",
    "fastapi.dependencies.utils:get_dependant",
    "fastapi.dependencies.utils:get_parameterless_sub_dependant",
    "fastapi.dependencies.utils:_get_body_field",
    "fastapi.dependencies.utils:_get_flat_body_params",
    "fastapi.dependencies.utils:_should_embed_body_fields",
    "fastapi.dependencies.utils:request_params_to_args",
    "fastapi.dependencies.utils:request_body_to_args",
    "fastapi.dependencies.utils:get_flat_params",
    "fastapi.dependencies.utils:get_typed_signature",
    "fastapi.dependencies.utils:get_typed_return_annotation",
    "fastapi.dependencies.utils:SolvedDependency",
    "fastapi.dependencies.models:Dependant",
    "fastapi.routing:serialize_response",
    "fastapi.routing:run_endpoint_function",
    "fastapi.routing:get_request_handler",
    "fastapi.routing:request_response",
    "fastapi.routing:_merge_lifespan_context",
    "fastapi.routing:_DefaultLifespan",
    "fastapi.routing:APIRoute",
    "fastapi.routing:APIRoute.get_route_handler",
    "fastapi.routing:APIRouter.add_api_route",
    "fastapi.routing:APIRouter.api_route",
    "fastapi.routing:APIRouter.include_router",
    "fastapi.openapi.utils:get_openapi",
    "fastapi.openapi.utils:get_openapi_path",
    "fastapi.openapi.utils:get_fields_from_routes",
    "fastapi.openapi.utils:_get_openapi_dependency_data",
    "fastapi.openapi.utils:_get_openapi_operation_parameters",
    "fastapi.openapi.utils:get_openapi_operation_request_body",
    "fastapi.encoders:jsonable_encoder",
    "fastapi._compat:ModelField",
    "fastapi._compat:ModelField.validate",
    "fastapi._compat:ModelField.serialize",
    "fastapi._compat:ModelField.serialize_json",
    "fastapi._compat:get_definitions",
    "fastapi._compat:get_schema_from_model_field",
    "fastapi._compat:get_flat_models_from_fields",
    "fastapi._compat:get_model_name_map",
    "fastapi._compat:copy_field_info",
    "fastapi._compat:create_body_model",
    "fastapi.utils:create_model_field",
    "fastapi.utils:generate_unique_id",
    "fastapi.utils:is_body_allowed_for_status_code",
    "fastapi.concurrency:contextmanager_in_threadpool",
    "fastapi.exceptions:HTTPException",
    "fastapi.exceptions:RequestValidationError",
    "fastapi.exceptions:ValidationException",
    "fastapi.params:Depends",
    "fastapi.params:Security",
    "fastapi.background:BackgroundTasks.add_task",
    "fastapi.openapi.docs:get_swagger_ui_html",
    "fastapi.openapi.docs:get_redoc_html",
    "fastapi.openapi.docs:get_swagger_ui_oauth2_redirect_html",
    "fastapi.security:OAuth2PasswordBearer",
    "fastapi.security:OAuth2AuthorizationCodeBearer",
    "fastapi.security:OAuth2PasswordRequestForm",
    "fastapi.security:OAuth2PasswordRequestFormStrict",
    "fastapi.security:SecurityScopes",
    "fastapi.security:APIKeyCookie",
    "fastapi.security:APIKeyHeader",
    "fastapi.security:APIKeyQuery",
    "fastapi.security:HTTPBasic",
    "fastapi.security:HTTPBearer",
    "fastapi.security:HTTPDigest",
    "fastapi.security:OpenIdConnect",
    "fastapi.security.base:SecurityBase",
]

# A parameter whose default cannot be read (a `**kwargs: Unpack[TypedDict]` key): optional, value unknown.
_OPTIONAL = object()


def _resolve(module: ModuleType, path: str) -> Any:
    value: Any = module
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _annotation(parameter: inspect.Parameter, owner: Callable[..., Any]) -> Any:
    annotation = parameter.annotation
    if not isinstance(annotation, str):
        return annotation
    namespace = vars(sys.modules[owner.__module__]) if owner.__module__ in sys.modules else {}
    try:
        return eval(annotation, dict(namespace))  # a string annotation (`from __future__ import annotations`)
    except Exception:
        return annotation


def _unpacked(parameter: inspect.Parameter, owner: Callable[..., Any]) -> list[inspect.Parameter] | None:
    """`**kwargs: Unpack[SomeTypedDict]` as the keyword-only parameters it stands for (PEP 692)."""
    annotation = _annotation(parameter, owner)
    if get_origin(annotation) not in (typing_extensions.Unpack, getattr(typing, "Unpack", None)):
        return None
    (typed_dict,) = get_args(annotation)
    keys = [*typed_dict.__required_keys__, *typed_dict.__optional_keys__]
    return [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=_OPTIONAL) for key in keys]


def _parameters(obj: Any) -> list[inspect.Parameter]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    found: list[inspect.Parameter] = []
    for parameter in inspect.signature(obj).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            expanded = _unpacked(parameter, target)
            if expanded is not None:
                found.extend(expanded)
                continue
        found.append(parameter)
    return found


_PLAIN = (type(None), bool, int, float, str, bytes, type(...))


def _same_default(theirs: object, ours: object) -> bool:
    """Whether a caller relying on FastAPI's default gets the same from ferroapi's.

    Plain values, and starlette/pydantic objects (shared by both), must be equal; a FastAPI class or
    function must be ferroapi's namesake; a `Default(...)` placeholder is compared by what it wraps.
    Other defaults (a dataclass `default_factory`, a mutable container, a FastAPI sentinel) have
    meanings tested elsewhere: only their presence is compared.
    """
    if ours is _OPTIONAL or theirs is ours:
        return True
    if type(theirs).__name__ == "DefaultPlaceholder":
        return type(ours).__name__ == "DefaultPlaceholder" and _same_default(
            getattr(theirs, "value", None), getattr(ours, "value", None)
        )
    if isinstance(theirs, _PLAIN) or (
        isinstance(theirs, (tuple, frozenset)) and all(isinstance(item, _PLAIN) for item in theirs)
    ):
        return type(theirs) is type(ours) and theirs == ours
    origin = _top(
        getattr(theirs, "__module__", None)
        if inspect.isclass(theirs) or inspect.isroutine(theirs)
        else type(theirs).__module__
    )
    if origin in ("starlette", "pydantic", "pydantic_core"):
        return False  # not the identical object (checked above)
    if origin == "fastapi" and (inspect.isclass(theirs) or inspect.isroutine(theirs)):
        return getattr(ours, "__qualname__", None) == theirs.__qualname__
    return True


def signature_differences(theirs_obj: Any, ours_obj: Any) -> list[str]:
    """How `ours_obj`'s parameters differ from `theirs_obj`'s, for callers written against FastAPI.

    Same positional parameters in the same order; every FastAPI parameter present with its kind; a
    FastAPI default is a default here too, and equal when it is a plain value or a starlette/pydantic
    object. ferroapi may add keyword-only parameters that have a default (and accept `**kwargs`).
    """
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    theirs = _parameters(theirs_obj)
    ours = _parameters(ours_obj)
    problems = []
    their_positional = [p.name for p in theirs if p.kind in positional]
    our_positional = [p.name for p in ours if p.kind in positional]
    if their_positional != our_positional:
        problems.append(f"positional parameters {our_positional}, FastAPI's {their_positional}")
    by_name = {p.name: p for p in ours}
    for parameter in theirs:
        mine = by_name.get(parameter.name)
        if mine is None:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD and any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in ours
            ):
                continue
            problems.append(f"no parameter {parameter.name!r}")
            continue
        if mine.kind is not parameter.kind:
            problems.append(
                f"{parameter.name!r} is {mine.kind.description}, FastAPI's {parameter.kind.description}"
            )
        if parameter.default is inspect.Parameter.empty:
            continue
        if mine.default is inspect.Parameter.empty:
            problems.append(f"{parameter.name!r} is required, FastAPI's defaults to {parameter.default!r}")
        elif not _same_default(parameter.default, mine.default):
            problems.append(
                f"{parameter.name!r} defaults to {mine.default!r}, FastAPI's to {parameter.default!r}"
            )
    their_names = {p.name for p in theirs}
    for parameter in ours:
        if parameter.name in their_names or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if (
            parameter.kind is not inspect.Parameter.KEYWORD_ONLY
            or parameter.default is inspect.Parameter.empty
        ):
            problems.append(
                f"extra parameter {parameter.name!r} ({parameter.kind.description}, must be an "
                "optional keyword)"
            )
    return problems


@pytest.mark.parametrize("target", SIGNATURES)
def test_signature_matches_fastapi(target: str) -> None:
    module_name, _, path = target.partition(":")
    theirs = _resolve(_import_quietly(module_name), path)
    try:
        ours = _resolve(_import_quietly(_ferroapi_name(module_name)), path)
    except AttributeError:
        pytest.fail(f"{_ferroapi_name(module_name)}.{path} is missing")
    problems = signature_differences(theirs, ours)
    assert not problems, f"{_ferroapi_name(module_name)}.{path}: " + "; ".join(problems)


def test_signature_comparison_catches_differences() -> None:
    def theirs(a: int, b: int = 1, *, c: str | None = None) -> None: ...

    def renamed(a: int, bb: int = 1, *, c: str | None = None) -> None: ...

    def other_default(a: int, b: int = 2, *, c: str | None = None) -> None: ...

    def keyword_b(a: int, *, b: int = 1, c: str | None = None) -> None: ...

    def extra_optional(a: int, b: int = 1, *, c: str | None = None, d: bool = False) -> None: ...

    def extra_required(a: int, b: int = 1, *, c: str | None = None, d: bool) -> None: ...

    assert signature_differences(theirs, theirs) == []
    assert signature_differences(theirs, extra_optional) == []
    assert signature_differences(theirs, renamed)
    assert signature_differences(theirs, other_default)
    assert signature_differences(theirs, keyword_b)
    assert signature_differences(theirs, extra_required)
