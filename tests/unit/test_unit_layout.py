"""Unit test files mirror the modules they test: `test_<module>[_<aspect>].py`, where `<module>` is the
module's dotted path under `ferroapi` with each part's leading underscores dropped and the dots written
as `_` (`_pipeline/streaming/handoff.py` -> `test_pipeline_streaming_handoff.py`). A reader looking for
the tests of a module finds them by its name; a file named after nothing is a test that lost its module.

The few files that check the package as a whole are listed here, each with what it covers.
"""

from __future__ import annotations

from pathlib import Path

import ferroapi

ROOT = Path(ferroapi.__file__).resolve().parent
UNIT = Path(__file__).resolve().parent

PACKAGE_WIDE = {
    "docs_sources": "the user documentation against the README and the recorded benches",
    "fastapi_helpers": "FastAPI's public helpers across modules, compared with FastAPI's",
    "fastapi_private_helpers": "FastAPI's private names extensions import, compared with FastAPI's",
    "fastapi_surface": "every public name FastAPI exports, module by module",
    "hostile_request_input": "request input chosen to hurt the server, through the whole pipeline",
    "import_layers": "the import graph of every module",
    "no_request_cycles": "that a served request leaves no reference cycle, whichever modules it crossed",
    "unit_layout": "this rule",
}


def module_names() -> set[str]:
    names: set[str] = set()
    for path in [*ROOT.rglob("*.py"), *ROOT.rglob("*.pyi")]:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            names.add("_".join(part.lstrip("_") for part in parts))
    return names


def module_under_test(stem: str, modules: set[str]) -> str | None:
    """The longest module name that `stem` (without `test_`) is, or starts with followed by `_`."""
    name = stem.removeprefix("test_")
    words = name.split("_")
    for end in range(len(words), 0, -1):
        candidate = "_".join(words[:end])
        if candidate in modules:
            return candidate
    return None


def test_every_unit_test_file_names_its_module() -> None:
    modules = module_names()
    orphans = [
        path.name
        for path in sorted(UNIT.glob("test_*.py"))
        if path.stem.removeprefix("test_") not in PACKAGE_WIDE
        and module_under_test(path.stem, modules) is None
    ]
    assert orphans == [], f"unit test files named after no module of ferroapi: {orphans}"


def test_the_package_wide_list_names_existing_files() -> None:
    missing = [name for name in PACKAGE_WIDE if not (UNIT / f"test_{name}.py").exists()]
    assert missing == []


def test_the_rule_reads_names_as_documented() -> None:
    modules = {"pipeline", "pipeline_streaming_handoff", "limits_body", "gc_pause"}
    assert module_under_test("test_pipeline_streaming_handoff", modules) == "pipeline_streaming_handoff"
    assert module_under_test("test_limits_body_default_warning", modules) == "limits_body"
    assert module_under_test("test_gc_pause", modules) == "gc_pause"
    assert module_under_test("test_pipelines", modules) is None
