"""Path templates: the format and convertors a route needs at registration, the regex only on demand.

ferroapi dispatches through its native route table, which reads `path_format` and `param_convertors`;
the compiled `path_regex` is only used by starlette's own `Route.matches` (custom route classes, code
walking `app.routes` itself). Compiling it for every route (twice per included route) was a sixth of
building a large app, so `compile_path_lazily` returns a stand-in that compiles on first use, with
starlette's `compile_path` (the regex is exactly starlette's).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any, cast

from starlette.convertors import CONVERTOR_TYPES, Convertor, IntegerConvertor
from starlette.routing import PARAM_REGEX, compile_path

__all__ = ["LazyPathRegex", "compile_path_lazily", "int_param_over_digit_limit"]

# The smallest digit limit of int() besides 0 (none): sys.set_int_max_str_digits refuses less.
_MIN_INT_DIGIT_LIMIT = 640
# Before 3.10.7 int() has no limit.
_int_digit_limit = getattr(sys, "get_int_max_str_digits", lambda: 0)


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


def int_param_over_digit_limit(
    path_regex: re.Pattern[str], param_convertors: Mapping[str, Convertor[Any]], route_path: str
) -> bool:
    """Whether `route_path` matches the template with an `{x:int}` parameter of more digits than
    `int()` takes (`sys.get_int_max_str_digits()`).

    starlette's convertor would raise ValueError there (FastAPI answers 500). ferroapi's routes do
    not match such a path instead, as its native route table decides: as if the regex had failed.
    Free for paths of up to 640 characters (no limit is lower), which is nearly every request.
    """
    if len(route_path) <= _MIN_INT_DIGIT_LIMIT:
        return False
    limit = _int_digit_limit()
    if not limit or len(route_path) <= limit:
        return False
    match = path_regex.match(route_path)
    if match is None:
        return False
    return any(
        len(value) > limit and isinstance(param_convertors.get(name), IntegerConvertor)
        for name, value in match.groupdict().items()
    )
