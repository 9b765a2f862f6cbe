"""`ferroapi run` and `ferroapi dev`: serve an app with uvicorn, as `fastapi run` / `fastapi dev` do.

    ferroapi dev                      # ./main.py (or app.py, api.py, app/main.py...), 127.0.0.1, reload
    ferroapi run src/shop/main.py     # 0.0.0.0:8000, no reload, proxy headers trusted
    ferroapi run --entrypoint shop.main:app --root-path /api/v1

The app is found the way FastAPI's CLI finds it: a file (or a package directory) is imported under
its package-qualified module name, with the first directory above its packages put on `sys.path`;
in it, the object named by `--app`, else `app`, else `api`, else the only FerroAPI instance. uvicorn
is then given the `module:attribute` import string, so `--reload` and `--workers` work. uvicorn
comes with the `standard` extra (`pip install "ferroapi[standard]"`).

An app written for FastAPI runs unchanged: `fastapi` resolves to ferroapi (`install_as_fastapi()`) in
this process and, through `FERROAPI_FASTAPI_ALIAS=1`, in uvicorn's reload and worker processes.
`--no-fastapi-alias` turns that off.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferroapi._alias import ALIAS_ENV, AliasError, install_as_fastapi

__all__ = ["AppNotFound", "Target", "cli_main", "discover", "main", "serve"]

DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
DEFAULT_NAMES = ("app", "api")


class AppNotFound(Exception):
    """No app where the command looked: the message says where and what to pass instead."""


@dataclass(frozen=True)
class Target:
    module: str
    attribute: str
    directory: Path  # put on sys.path so `module` imports (also in uvicorn's reload/worker processes)

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
    return Target(module_name, _find_app(module, app_name), directory)


def _target(options: argparse.Namespace) -> Target:
    if options.entrypoint:
        module, _, attribute = options.entrypoint.partition(":")
        if not module or not attribute:
            raise AppNotFound("--entrypoint takes module:attribute, e.g. shop.main:app")
        return Target(module, attribute, Path.cwd())
    return discover(options.path, app_name=options.app)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ferroapi", description="Serve a ferroapi app with uvicorn.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, host, reload, help_text in (
        ("run", "0.0.0.0", False, "serve for production: all interfaces, no reload"),
        ("dev", "127.0.0.1", True, "serve for development: localhost, reload on changes"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("path", nargs="?", type=Path, help="the app's file or package directory")
        command.add_argument("--app", help="the app's attribute name in that module")
        command.add_argument("--entrypoint", help="module:attribute to import instead of a path")
        command.add_argument("--host", default=host)
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--reload", action=argparse.BooleanOptionalAction, default=reload)
        command.add_argument("--workers", type=int, default=None)
        command.add_argument("--root-path", default="")
        command.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=True)
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


def serve(argv: Sequence[str] | None = None) -> None:
    """`ferroapi run|dev ...`: find the app and serve it with uvicorn."""
    options = _parser().parse_args(argv)
    try:
        import uvicorn
    except ModuleNotFoundError:
        sys.exit('The ferroapi command serves with uvicorn: pip install "ferroapi[standard]"')
    try:
        if options.fastapi_alias:
            _install_alias()
        target = _target(options)
    except (AppNotFound, AliasError) as exc:
        print(f"ferroapi {options.command}: {exc}", flush=True)  # on stdout, as fastapi-cli reports it
        sys.exit(1)
    url_host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
    print(f"Serving {target.import_string} on http://{url_host}:{options.port} (docs at /docs)", flush=True)
    uvicorn.run(
        target.import_string,
        host=options.host,
        port=options.port,
        reload=options.reload,
        workers=options.workers,
        root_path=options.root_path,
        proxy_headers=options.proxy_headers,
        app_dir=str(target.directory),
    )


# FastAPI's name for the command's implementation (fastapi-cli's `main` there; ferroapi's own here).
cli_main: Callable[[Sequence[str] | None], None] | None = serve
