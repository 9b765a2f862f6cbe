"""Path templates: the format and convertors a route needs at registration, the regex only on demand.

ferroapi dispatches through its native route table, which reads `path_format` and `param_convertors`;
the compiled `path_regex` is only used by starlette's own `Route.matches` (custom route classes, code
walking `app.routes` itself). Compiling it for every route (twice per included route) was a sixth of
building a large app, so `compile_path_lazily` returns a stand-in that compiles on first use, with
starlette's `compile_path` (the regex is exactly starlette's).
"""

from __future__ import annotations

import re
from typing import Any, cast

from starlette.convertors import CONVERTOR_TYPES, Convertor
from starlette.routing import PARAM_REGEX, compile_path

__all__ = ["LazyPathRegex", "compile_path_lazily"]


class LazyPathRegex:
    """Behaves as the `re.Pattern` starlette's `compile_path(path)` returns; compiled on first use."""

    __slots__ = ("_compiled", "_path")

    def __init__(self, path: str) -> None:
        self._path = path
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = compile_path(self._path)[0]
        return compiled

    def match(self, string: str, *args: Any) -> re.Match[str] | None:
        return self.compiled.match(string, *args)

    def fullmatch(self, string: str, *args: Any) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, *args)

    def search(self, string: str, *args: Any) -> re.Match[str] | None:
        return self.compiled.search(string, *args)

    @property
    def pattern(self) -> str:
        return self.compiled.pattern

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyPathRegex):
            other = other.compiled
        return self.compiled == other

    def __hash__(self) -> int:
        return hash(self.compiled)

    def __repr__(self) -> str:
        return repr(self.compiled)


def compile_path_lazily(path: str) -> tuple[re.Pattern[str], str, dict[str, Convertor[Any]]]:
    """starlette's `compile_path(path)` (same format, convertors and errors), the regex left lazy
    (typed as the pattern it stands in for)."""
    path_format = ""
    convertors: dict[str, Convertor[Any]] = {}
    duplicated: set[str] = set()
    index = 0
    for match in PARAM_REGEX.finditer(path):
        name, convertor_type = match.groups("str")
        convertor_type = convertor_type.lstrip(":")
        assert convertor_type in CONVERTOR_TYPES, f"Unknown path convertor '{convertor_type}'"
        path_format += path[index : match.start()] + "{" + name + "}"
        if name in convertors:
            duplicated.add(name)
        convertors[name] = CONVERTOR_TYPES[convertor_type]
        index = match.end()
    if duplicated:
        # starlette's message, word for word.
        names = ", ".join(sorted(duplicated))
        ending = "s" if len(duplicated) > 1 else ""
        raise ValueError(f"Duplicated param name{ending} {names} at path {path}")
    return cast("re.Pattern[str]", LazyPathRegex(path)), path_format + path[index:], convertors
