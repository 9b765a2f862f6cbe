"""`install_as_fastapi()`: make `import fastapi` resolve to ferroapi (the `pymysql.install_as_MySQLdb()`
convention), so an unchanged FastAPI app and the extensions it uses run on ferroapi.

What the alias does:
- `fastapi.X` (any depth) is the module object `ferroapi.X`, the same object, so a patch of
  `fastapi.routing.serialize_response` patches what ferroapi runs;
- `fastapi` itself is a small package module holding ferroapi's public names, with FastAPI's version in
  `__version__` (ferroapi keeps its own in `ferroapi.__version__`: one module cannot hold both);
- `importlib.metadata` finds a `fastapi` distribution at that version when the real one is not installed
  (instrumentations refuse to run without it); when it is installed, its metadata is found as usual.

The alias must be in place before anything imports the real `fastapi`: afterwards the process would hold
two frameworks whose objects do not mix, so that is refused with an error that says how to fix it.
Installing only puts a finder first on `sys.meta_path`; ferroapi's modules are imported when the
app imports `fastapi`. The start-up hook (the `.pth` file the package installs) reads
`FERROAPI_FASTAPI_ALIAS` itself and imports nothing unless it is set.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["ALIAS_ENV", "FASTAPI_VERSION", "AliasError", "alias_installed", "install_as_fastapi"]

# The FastAPI release whose behaviour ferroapi reproduces: what `fastapi.__version__` says under the alias.
FASTAPI_VERSION = "0.165.0"
# Set to 1 (true, yes, on) to install the alias at interpreter start-up: for `uvicorn main:app`,
# `gunicorn -k uvicorn.workers.UvicornWorker`, `granian`, worker and reload processes.
ALIAS_ENV = "FERROAPI_FASTAPI_ALIAS"

_SOURCE = "fastapi"
_TARGET = "ferroapi"
# What `import fastapi` imports in FastAPI itself, so that `fastapi.openapi.utils.get_openapi` and the
# like work without an import statement of their own (ferroapi imports some of these only on use).
_IMPORTED_BY_PACKAGE = (
    "dependencies.utils",
    "middleware",
    "openapi.constants",
    "openapi.docs",
    "openapi.models",
    "openapi.utils",
    "security",
    "concurrency",
    "encoders",
    "exception_handlers",
)


_Context = importlib.metadata.DistributionFinder.Context
_NO_CONTEXT = _Context()


class AliasError(RuntimeError):
    """`install_as_fastapi()` called once the real `fastapi` was already imported."""


def _is_aliased_name(name: str) -> bool:
    return name == _SOURCE or name.startswith(_SOURCE + ".")


class _FacadeLoader(importlib.abc.Loader):
    """Creates the top-level `fastapi` package: ferroapi's public names, FastAPI's version."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object, then exec_module fills it

    def exec_module(self, module: ModuleType) -> None:
        ferroapi = importlib.import_module(_TARGET)
        for submodule in _IMPORTED_BY_PACKAGE:
            importlib.import_module(f"{_TARGET}.{submodule}")
        for name in ferroapi.__all__:
            setattr(module, name, getattr(ferroapi, name))
        module.__all__ = list(ferroapi.__all__)  # type: ignore[attr-defined]
        module.__version__ = FASTAPI_VERSION  # type: ignore[attr-defined]
        module.__file__ = ferroapi.__file__
        module.__path__ = list(ferroapi.__path__)
        module.__doc__ = "FastAPI, provided by ferroapi (ferroapi.install_as_fastapi())."
        # Submodules ferroapi has imported already are attributes (`fastapi.routing` without an import
        # statement, as with FastAPI, whose package imports them); the rest come from the finder.
        prefix = _TARGET + "."
        for name, loaded in list(sys.modules.items()):
            if name.startswith(prefix) and loaded is not None:
                sys.modules.setdefault(_SOURCE + name[len(_TARGET) :], loaded)
        for name in dir(ferroapi):
            value = getattr(ferroapi, name)
            if isinstance(value, ModuleType) and not hasattr(module, name):
                setattr(module, name, value)

        def __getattr__(name: str) -> Any:
            try:
                return getattr(ferroapi, name)
            except AttributeError:
                raise AttributeError(f"module 'fastapi' has no attribute {name!r}") from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _SameModuleLoader(importlib.abc.Loader):
    """Loads `fastapi.X` as the already imported `ferroapi.X`: the same module object."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was executed when ferroapi imported it."""


class FastAPIAliasFinder(importlib.abc.MetaPathFinder):
    """First on `sys.meta_path`: `fastapi` and `fastapi.*` come from ferroapi, never from site-packages."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == _SOURCE:
            spec = importlib.machinery.ModuleSpec(_SOURCE, _FacadeLoader(), is_package=True)
            spec.submodule_search_locations = []
            return spec
        if not fullname.startswith(_SOURCE + "."):
            return None
        target_name = _TARGET + fullname[len(_SOURCE) :]
        if importlib.util.find_spec(target_name) is None:
            return None  # "No module named 'fastapi.X'": ferroapi has no such module
        return importlib.machinery.ModuleSpec(fullname, _SameModuleLoader(target_name))

    def find_distributions(
        self, context: _Context = _NO_CONTEXT
    ) -> Iterator[importlib.metadata.Distribution]:
        """A `fastapi` distribution at FASTAPI_VERSION, only when no real one is installed."""
        name = context.name
        if name is not None and _normalize(name) != _SOURCE:
            return iter(())
        if _real_distribution_installed(context):
            return iter(())
        return iter((_FastAPIDistribution(),))


def _normalize(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _real_distribution_installed(context: _Context) -> bool:
    search = _Context(name=_SOURCE, path=context.path)
    return any(True for _ in importlib.metadata.MetadataPathFinder.find_distributions(search))


class _FastAPIDistribution(importlib.metadata.Distribution):
    """The metadata of the FastAPI release ferroapi stands in for."""

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            return (
                "Metadata-Version: 2.1\n"
                f"Name: {_SOURCE}\n"
                f"Version: {FASTAPI_VERSION}\n"
                "Summary: FastAPI, provided by ferroapi (ferroapi.install_as_fastapi())\n"
            )
        if filename == "top_level.txt":
            return f"{_SOURCE}\n"
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(__file__).parent / path


def alias_installed() -> bool:
    return any(isinstance(finder, FastAPIAliasFinder) for finder in sys.meta_path)


def _already_imported() -> list[str]:
    return sorted(
        name
        for name, module in sys.modules.items()
        if _is_aliased_name(name) and not _is_ferroapi_module(module)
    )


def _is_ferroapi_module(module: Any) -> bool:
    name = getattr(module, "__name__", "")
    spec = getattr(module, "__spec__", None)
    return (
        name == _TARGET
        or name.startswith(_TARGET + ".")
        or isinstance(getattr(spec, "loader", None), _FacadeLoader)
    )


def install_as_fastapi() -> None:
    """Make `import fastapi` (and every `fastapi.X`) resolve to ferroapi in this process.

    Call it before anything imports `fastapi`: first thing in the entry module, or set
    `FERROAPI_FASTAPI_ALIAS=1` in the environment (then every interpreter start-up installs it), or
    use `ferroapi run`, which does. Calling it again is harmless.

    Raises `AliasError` when the real `fastapi` is already imported.
    """
    if alias_installed():
        return
    loaded = _already_imported()
    if loaded:
        origin = getattr(sys.modules[loaded[0]], "__file__", None) or "?"
        raise AliasError(
            "ferroapi.install_as_fastapi() must run before anything imports fastapi, but "
            f"{', '.join(loaded[:3])}{' ...' if len(loaded) > 3 else ''} is already imported (from "
            f"{origin}). Call it first thing in your entry module, before importing your app and its "
            f"extensions, or set {ALIAS_ENV}=1 in the environment, or serve with `ferroapi run`."
        )
    sys.meta_path.insert(0, FastAPIAliasFinder())


def install_from_environment() -> None:
    """The start-up hook: install the alias when `FERROAPI_FASTAPI_ALIAS` says so."""
    if os.environ.get(ALIAS_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        install_as_fastapi()
