"""The package's layers point one way: no import cycles, solvers below designers, the CLI on top.

Every ``import`` statement counts, those inside functions too (a lazy import
is still a dependency).
"""
import ast
from pathlib import Path

import isacsim

PACKAGE = Path(isacsim.__file__).parent


def _modules():
    """``{dotted name: path}`` of every module of the package."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("isacsim",) + path.relative_to(PACKAGE).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _runtime_nodes(tree):
    """The nodes of ``tree`` that run: ``if TYPE_CHECKING:`` blocks (imports for type checkers only) left out."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _import_graph():
    """``{module: set of isacsim modules it imports}``."""
    modules = _modules()
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else [])) if node.level else node.module
                targets = [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports():
    graph = _import_graph()
    assert "isacsim.solvers.structured" in graph["isacsim.designers.base"] or "isacsim.solvers.registry" in graph["isacsim.designers.base"]
    assert "isacsim.cli.common" in graph["isacsim.cli.solve"]


def test_no_import_cycles():
    assert _cycles(_import_graph()) == []


def test_a_planted_cycle_is_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_solvers_never_import_designers():
    graph = _import_graph()
    offenders = {m: sorted(t for t in targets if t.startswith("isacsim.designers")) for m, targets in graph.items() if m.startswith("isacsim.solvers")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_nothing_outside_the_cli_imports_it():
    graph = _import_graph()
    offenders = sorted(m for m, targets in graph.items() if not m.startswith("isacsim.cli") and any(t.startswith("isacsim.cli") for t in targets))
    assert offenders == []


def test_type_checking_imports_are_left_out():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\nelse:\n    import sys\nimport json\n")
    imported = {alias.name for node in _runtime_nodes(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported == {"sys", "json"}
