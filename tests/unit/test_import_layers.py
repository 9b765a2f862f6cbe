"""ferroapi's modules import each other without cycles, counting every import the code makes:
module-level, inside functions and under `TYPE_CHECKING` alike (an import hidden in a function or
behind `TYPE_CHECKING` is still a dependency; it only moves the cycle out of sight). The layers and
their allowed imports are described in docs/architecture.md.

`from pkg import name` is an edge to `pkg` unless `pkg.name` is a module (then it is an edge to that
module); the native module `ferroapi._ferroapi` counts as a module (its stub is `_ferroapi.pyi`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ferroapi

ROOT = Path(ferroapi.__file__).resolve().parent
PACKAGE = "ferroapi"

# Edges (importer, imported) left out of the cycle check, each with the reason the cycle is inherent.
# An entry whose edge no longer exists fails the test: the list only shrinks. Empty: no cycle is
# inherent (a module below a class it reads takes a protocol of what it reads instead).
ALLOWED_BACK_EDGES: dict[tuple[str, str], str] = {}

# The public modules no layer imports: FastAPI's module paths that re-export what the layers define
# (extensions import and patch names there), and the application. A layer imports the module that
# holds the code.
FACADES = {
    "ferroapi",
    "ferroapi._body_limit",
    "ferroapi._compat",
    "ferroapi._form_limits",
    "ferroapi.applications",
    "ferroapi.routing",
    "ferroapi.dependencies.utils",
}
# Modules above every layer, that may import a façade: the façades themselves and the command line.
FACADE_IMPORTERS_ALLOWED = FACADES | {"ferroapi.cli", "ferroapi.__main__"}

# The layers, lowest first (docs/architecture.md): a module imports modules of its own layer or of
# the layers below, never above. A module is in the layer of its longest matching prefix; the rest
# of the package (requests, responses, params, exceptions, _lifecycle, telemetry, security, the
# OpenAPI models, the request limits in _limits...) is the foundation: it may use the leaf helpers
# of `dependencies` and `_pipeline` (fieldinfo, json_text, streaming.raw) but imports nothing from
# `_routing` up.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ()),
    ("dependencies", ("ferroapi.dependencies",)),
    ("pipeline", ("ferroapi._pipeline",)),
    ("routing", ("ferroapi._routing",)),
    ("app entry", ("ferroapi._app",)),
    ("openapi", ("ferroapi.openapi.utils", "ferroapi.openapi.docs_routes")),
    ("application", ("ferroapi.applications",)),
    ("facades", tuple(sorted(FACADES))),
]


def module_files() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in sorted([*ROOT.rglob("*.py"), *ROOT.rglob("*.pyi")]):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules.setdefault(".".join(parts), path)
    return modules


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """Every ferroapi module that `module` imports anywhere in its source, with the line."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = module.split(".")
                if not is_package:
                    base.pop()
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            submodules = [f"{origin}.{a.name}" for a in node.names if f"{origin}.{a.name}" in modules]
            if len(submodules) < len(node.names):
                targets.append(origin)
            targets.extend(submodules)
        for target in targets:
            if target in modules and target != module:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, list[int]]]:
    modules = module_files()
    graph: dict[str, dict[str, list[int]]] = {name: {} for name in modules}
    for name, path in modules.items():
        for target, line in imported_modules(name, path, modules):
            graph[name].setdefault(target, []).append(line)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_analyzer_sees_every_kind_of_import() -> None:
    graph = import_graph()
    # module level, relative
    assert "ferroapi._pipeline.plan" in graph["ferroapi._pipeline.render"]
    # `from ferroapi import _ferroapi`: the native module, not the package
    assert "ferroapi._ferroapi" in graph["ferroapi.sse"]
    assert "ferroapi" not in graph["ferroapi.sse"]
    # under TYPE_CHECKING
    assert "ferroapi.applications" in graph["ferroapi"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    stale = [edge for edge in ALLOWED_BACK_EDGES if edge[1] not in graph.get(edge[0], {})]
    assert not stale, f"allowlisted edges that no longer exist (remove them): {stale}"
    pruned = {
        name: {t for t in targets if (name, t) not in ALLOWED_BACK_EDGES} for name, targets in graph.items()
    }
    cycles = strongly_connected(pruned)
    report = []
    for component in cycles:
        members = set(component)
        report.append(f"cycle of {len(component)} modules:")
        for name in component:
            for target in sorted(pruned[name] & members):
                report.append(f"    {name} -> {target} (line {', '.join(map(str, graph[name][target]))})")
    assert not cycles, "\n".join(report)


def test_layers_do_not_import_the_facades() -> None:
    graph = import_graph()
    offenders = [
        f"{name} -> {target} (line {', '.join(map(str, lines))})"
        for name, targets in sorted(graph.items())
        if name not in FACADE_IMPORTERS_ALLOWED
        for target, lines in sorted(targets.items())
        if target in FACADES and (name, target) not in ALLOWED_BACK_EDGES
    ]
    assert not offenders, "\n".join(offenders)


def _function_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports inside a function body (not under a module-level `if TYPE_CHECKING:`)."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield node


def _guarded_by_import_error(tree: ast.Module) -> set[int]:
    """Lines of imports in a `try:` that catches ImportError: probing an optional dependency."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            "ImportError" in ast.unparse(handler.type) for handler in node.handlers if handler.type
        ):
            for child in node.body:
                if isinstance(child, ast.Import | ast.ImportFrom):
                    lines.add(child.lineno)
    return lines


def test_function_level_imports_say_why() -> None:
    """An import inside a function hides a dependency: it is there only to defer a real start-up
    cost or an optional dependency, and a comment on it (or just above it) says which."""
    unexplained = []
    for name, path in module_files().items():
        if path.suffix != ".py":
            continue
        source = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(source), str(path))
        guarded = _guarded_by_import_error(tree)
        for node in _function_level_imports(tree):
            if node.lineno in guarded:
                continue
            nearby = source[max(0, node.lineno - 4) : node.lineno]
            if not any("#" in line for line in nearby):
                unexplained.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not unexplained, "\n".join(unexplained)


def layer_of(module: str) -> int:
    """The index in LAYERS of the layer `module` belongs to (its longest matching prefix)."""
    best, best_length = 0, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix not in FACADES and module.startswith(prefix + "."))
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def test_layers_import_only_downwards() -> None:
    graph = import_graph()
    upward = []
    for name, targets in sorted(graph.items()):
        if name in FACADE_IMPORTERS_ALLOWED:
            continue
        own = layer_of(name)
        for target, lines in sorted(targets.items()):
            above = layer_of(target)
            # The foundation sits below everything, except the leaf helpers it borrows.
            if own == 0 and LAYERS[above][0] in ("dependencies", "pipeline"):
                continue
            if above > own:
                upward.append(
                    f"{name} ({LAYERS[own][0]}) -> {target} ({LAYERS[above][0]}) "
                    f"(line {', '.join(map(str, lines))})"
                )
    assert not upward, "\n".join(upward)


def test_layer_assignment() -> None:
    assert LAYERS[layer_of("ferroapi.dependencies.solve")][0] == "dependencies"
    assert LAYERS[layer_of("ferroapi.dependencies.utils")][0] == "facades"
    assert LAYERS[layer_of("ferroapi._pipeline.streaming.raw")][0] == "pipeline"
    assert LAYERS[layer_of("ferroapi.openapi.models")][0] == "foundation"
    assert LAYERS[layer_of("ferroapi._lifecycle")][0] == "foundation"
    assert LAYERS[layer_of("ferroapi")][0] == "facades"
