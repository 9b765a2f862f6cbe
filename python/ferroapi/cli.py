"""`ferroapi run` and `ferroapi dev`: serve an app with uvicorn or granian, as `fastapi run`/`dev` do.

    ferroapi dev                      # ./main.py (or app.py, api.py, app/main.py...), 127.0.0.1, reload
    ferroapi run src/shop/main.py     # 0.0.0.0:8000, no reload, proxy headers trusted
    ferroapi run --entrypoint shop.main:app --root-path /api/v1
    ferroapi run --server granian --workers 4

The app is found the way FastAPI's CLI finds it: a path (or `--app`), else `--entrypoint`, else
`entrypoint` in ./pyproject.toml (`[tool.ferroapi]`, else fastapi-cli's `[tool.fastapi]`), else the
first of `main.py`, `app.py`, `api.py`, `app/main.py`...; a file (or a package directory) is imported
under its package-qualified module name, with the first directory above its packages put on
`sys.path`; in it, the object named by `--app`, else `app`, else `api`, else the only FerroAPI
instance. The server is then given the `module:attribute` import string, so `--reload` and
`--workers` work. uvicorn comes with the `standard` extra (`pip install "ferroapi[standard]"`);
`--server granian` needs `pip install granian`.

An app written for FastAPI runs unchanged: `fastapi` resolves to ferroapi (`install_as_fastapi()`) in
this process and, through `FERROAPI_FASTAPI_ALIAS=1`, in the server's reload and worker processes.
`--no-fastapi-alias` turns that off.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferroapi import __version__
from ferroapi._alias import ALIAS_ENV, FASTAPI_VERSION, AliasError, install_as_fastapi

if sys.version_info >= (3, 11):
    import tomllib
else:  # the `tomli` dependency on 3.10 (tomllib's origin, same API)
    import tomli as tomllib

__all__ = [
    "AppNotFound",
    "ConfigError",
    "Target",
    "cli_main",
    "configured_entrypoint",
    "discover",
    "granian_app",
    "main",
    "serve",
]

DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
DEFAULT_NAMES = ("app", "api")
SERVERS = ("uvicorn", "granian")
AUTO_DISCOVERED = "auto-discovery"


class AppNotFound(Exception):
    """No app where the command looked: the message says where and what to pass instead."""


@dataclass(frozen=True)
class Target:
    module: str
    attribute: str
    directory: Path  # put on sys.path so `module` imports (also in uvicorn's reload/worker processes)
    source: str = "path argument"  # where the import string came from (said by --verbose)

    @property
    def import_string(self) -> str:
        return f"{self.module}:{self.attribute}"


def _default_file(cwd: Path) -> Path:
    for candidate in DEFAULT_FILES:
        if (cwd / candidate).is_file():
            return cwd / candidate
    raise AppNotFound(f"No app file given and none of {', '.join(DEFAULT_FILES)} in {cwd}")


def _module_name(path: Path) -> tuple[str, Path]:
    """`path`'s dotted module name (its packages included) and the directory that must be on sys.path."""
    path = path.resolve()
    if path.is_dir():
        if not (path / "__init__.py").is_file():
            raise AppNotFound(f"{path} is a directory without __init__.py")
        parts, directory = [path.name], path.parent
    else:
        if path.suffix != ".py":
            raise AppNotFound(f"{path} is not a Python file")
        parts = [] if path.name == "__init__.py" else [path.stem]
        directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), directory


def _find_app(module: Any, app_name: str | None) -> str:
    # Imported once an app is looked for: `ferroapi --help` does not load the framework.
    from ferroapi.applications import FerroAPI

    if app_name is not None:
        if not hasattr(module, app_name):
            raise AppNotFound(f"{module.__name__} has no attribute {app_name!r}")
        return app_name
    for name in DEFAULT_NAMES:
        if isinstance(getattr(module, name, None), FerroAPI):
            return name
    found: list[str] = [name for name, value in vars(module).items() if isinstance(value, FerroAPI)]
    if len(found) == 1:
        return found[0]
    if found:
        raise AppNotFound(f"{module.__name__} has several apps ({', '.join(found)}): pass --app NAME")
    if any(type(value).__module__.startswith("fastapi.") for value in vars(module).values()):
        raise AppNotFound(
            f"The app in {module.__name__} is a FastAPI app from the real fastapi package: serve it "
            "with --fastapi-alias (the default), which makes `fastapi` resolve to ferroapi"
        )
    raise AppNotFound(f"No FerroAPI app in {module.__name__}: name it `app`, or pass --app NAME")


def discover(path: Path | None, *, app_name: str | None = None, cwd: Path | None = None) -> Target:
    """The app in `path` (a file or package directory; default: the first of DEFAULT_FILES)."""
    file = _default_file(cwd or Path.cwd()) if path is None else path
    if not file.exists():
        raise AppNotFound(f"Path does not exist {file}")
    module_name, directory = _module_name(file)
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    module = importlib.import_module(module_name)
    source = AUTO_DISCOVERED if path is None and app_name is None else "path argument"
    return Target(module_name, _find_app(module, app_name), directory, source)


class ConfigError(Exception):
    """The `[tool.ferroapi]` / `[tool.fastapi]` table of ./pyproject.toml is not usable."""


def configured_entrypoint(cwd: Path | None = None) -> tuple[str, str] | None:
    """`entrypoint` from ./pyproject.toml and the table it came from: `[tool.ferroapi]`, else
    `[tool.fastapi]` (the key fastapi-cli reads, so a project configured for it needs nothing more)."""
    pyproject = (cwd or Path.cwd()) / "pyproject.toml"
    if not pyproject.is_file():
        return None
    with pyproject.open("rb") as file:
        tool = tomllib.load(file).get("tool", {})
    for table in ("ferroapi", "fastapi"):
        config = tool.get(table, {})
        if "entrypoint" in config:
            if not isinstance(config["entrypoint"], str):
                raise ConfigError(f"tool.{table}.entrypoint in {pyproject}: Input should be a valid string")
            return config["entrypoint"], f"tool.{table}"
    return None


def _entrypoint_target(entrypoint: str, source: str) -> Target:
    module, _, attribute = entrypoint.partition(":")
    if not module or not attribute:
        raise AppNotFound("Import string must be in the format module.submodule:app_name")
    return Target(module, attribute, Path.cwd().resolve(), source)


def _target(options: argparse.Namespace) -> Target:
    """fastapi-cli's order: a path or --app, else --entrypoint, else pyproject.toml, else discovery."""
    if options.entrypoint and (options.path or options.app):
        raise AppNotFound("Cannot use --entrypoint together with path or --app arguments")
    if options.path or options.app:
        return discover(options.path, app_name=options.app)
    if options.entrypoint:
        return _entrypoint_target(options.entrypoint, "--entrypoint")
    configured = configured_entrypoint()
    if configured is not None:
        entrypoint, table = configured
        return _entrypoint_target(entrypoint, f"entrypoint in pyproject.toml [{table}]")
    return discover(None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ferroapi", description="Serve a ferroapi (or unchanged FastAPI) app with uvicorn or granian."
    )
    parser.add_argument(
        "--version", action="version", version=f"ferroapi {__version__} (FastAPI {FASTAPI_VERSION} API)"
    )
    parser.add_argument("--verbose", action="store_true", help="show how the app was found; debug logs")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, host, reload, help_text in (
        ("run", "0.0.0.0", False, "serve for production: all interfaces, no reload"),
        ("dev", "127.0.0.1", True, "serve for development: localhost, reload on changes"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("path", nargs="?", type=Path, help="the app's file or package directory")
        command.add_argument("--app", help="the app's attribute name in that module")
        command.add_argument(
            "-e",
            "--entrypoint",
            help="module:attribute to import (default: [tool.ferroapi] or [tool.fastapi] "
            "entrypoint in ./pyproject.toml, else the app file is looked for)",
        )
        command.add_argument("--host", default=host)
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--reload", action=argparse.BooleanOptionalAction, default=reload)
        command.add_argument(
            "--reload-dir",
            dest="reload_dirs",
            action="append",
            type=Path,
            help="watch this directory instead of the current one (repeatable)",
        )
        command.add_argument("--workers", type=int, default=None)
        command.add_argument("--root-path", default="")
        command.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=True)
        command.add_argument(
            "--forwarded-allow-ips",
            help="comma-separated addresses trusted for proxy headers ('*': all; default: 127.0.0.1, "
            "or $FORWARDED_ALLOW_IPS under uvicorn)",
        )
        command.add_argument("--server", choices=SERVERS, default="uvicorn", help="the ASGI server")
        command.add_argument(  # SUPPRESS: `ferroapi --verbose run` is not undone by this default
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show how the app was found; debug logs",
        )
        command.add_argument(
            "--fastapi-alias",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="serve an app that imports fastapi on ferroapi (default: on)",
        )
    return parser


def _install_alias() -> None:
    """`fastapi` -> ferroapi here and in every process uvicorn starts (reload, workers)."""
    os.environ[ALIAS_ENV] = "1"
    install_as_fastapi()


def main(argv: Sequence[str] | None = None) -> None:
    """The command (`fastapi.cli.main`'s contract: it runs `cli_main`, which is ferroapi's own)."""
    if not cli_main:
        message = (
            'To use the fastapi command, please install "ferroapi[standard]":\n\n'
            '\tpip install "ferroapi[standard]"\n'
        )
        print(message)
        raise RuntimeError(message)
    cli_main(argv)


def _explain(target: Target, options: argparse.Namespace) -> None:
    """What fastapi-cli says about the app it found: the source always, the details with --verbose."""
    if options.verbose:
        print(f"Importing from {target.directory}", flush=True)
        print(f"Importing the app with: from {target.module} import {target.attribute}", flush=True)
        print(f"Import string from: {target.source}", flush=True)
    elif target.source == AUTO_DISCOVERED:
        print(f"Using import string {target.import_string} (auto-discovered, use --verbose to learn more)")
    if target.source == AUTO_DISCOVERED:
        print(
            "You can configure an entrypoint in pyproject.toml for this app with:\n\n"
            f'    [tool.fastapi]\n    entrypoint = "{target.import_string}"\n',
            flush=True,
        )


def serve(argv: Sequence[str] | None = None) -> None:
    """`ferroapi run|dev ...`: find the app and serve it with uvicorn or granian."""
    options = _parser().parse_args(argv)
    try:
        importlib.import_module(options.server)
    except ModuleNotFoundError:
        extra = '"ferroapi[standard]"' if options.server == "uvicorn" else "granian"
        sys.exit(f"ferroapi {options.command} --server {options.server}: pip install {extra}")
    try:
        if options.fastapi_alias:
            _install_alias()
        target = _target(options)
    except (AppNotFound, AliasError, ConfigError, tomllib.TOMLDecodeError) as exc:
        print(f"ferroapi {options.command}: {exc}", flush=True)  # on stdout, as fastapi-cli reports it
        sys.exit(1)
    _explain(target, options)
    url_host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
    print(f"Serving {target.import_string} on http://{url_host}:{options.port} (docs at /docs)", flush=True)
    reload_dirs = [str(path.resolve()) for path in options.reload_dirs] if options.reload_dirs else None
    if options.server == "granian":
        _serve_granian(target, options, reload_dirs)
        return
    # The servers are optional dependencies, imported for the one chosen.
    import uvicorn

    uvicorn.run(
        target.import_string,
        host=options.host,
        port=options.port,
        reload=options.reload,
        reload_dirs=reload_dirs,
        workers=options.workers,
        root_path=options.root_path,
        proxy_headers=options.proxy_headers,
        forwarded_allow_ips=options.forwarded_allow_ips,
        log_level="debug" if options.verbose else None,
        app_dir=str(target.directory),
    )


# Read by `granian_app` in granian's worker processes (spawned: they inherit the environment only).
_GRANIAN_TARGET_ENV = "FERROAPI_SERVE_TARGET"


def _serve_granian(target: Target, options: argparse.Namespace, reload_dirs: list[str] | None) -> None:
    # The servers are optional dependencies, imported for the one chosen.
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    os.environ[_GRANIAN_TARGET_ENV] = json.dumps(
        {
            "module": target.module,
            "attribute": target.attribute,
            "directory": str(target.directory),
            "proxy_headers": options.proxy_headers,
            "forwarded_allow_ips": options.forwarded_allow_ips or "127.0.0.1",
        }
    )
    Granian(
        "ferroapi.cli:granian_app",
        factory=True,
        address=options.host,
        port=options.port,
        interface=Interfaces.ASGI,
        workers=options.workers or 1,
        reload=options.reload,
        reload_paths=[Path(path) for path in reload_dirs] if reload_dirs else None,
        url_path_prefix=options.root_path or None,
        log_level=LogLevels.debug if options.verbose else LogLevels.info,
    ).serve()


def granian_app() -> Any:
    """granian's factory target for `--server granian`: the app named in the environment, imported
    with its directory on sys.path (uvicorn's `app_dir`), behind granian's proxy-headers wrapper when
    `--proxy-headers` is on (uvicorn's own `proxy_headers` / `forwarded_allow_ips`)."""
    spec = json.loads(os.environ[_GRANIAN_TARGET_ENV])
    if spec["directory"] not in sys.path:
        sys.path.insert(0, spec["directory"])
    app = getattr(importlib.import_module(spec["module"]), spec["attribute"])
    if not spec["proxy_headers"]:
        return app
    # granian is an optional dependency (this runs in its workers only).
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    return wrap_asgi_with_proxy_headers(app, trusted_hosts=spec["forwarded_allow_ips"])


# FastAPI's name for the command's implementation (fastapi-cli's `main` there; ferroapi's own here).
cli_main: Callable[[Sequence[str] | None], None] | None = serve
