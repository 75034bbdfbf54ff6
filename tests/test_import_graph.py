"""synloom's own imports, read from the source with `ast`: no cycle between modules, and the
packages import one way, lower layers never importing higher ones (docs/architecture.md).

Every import counts, also those inside functions and under `TYPE_CHECKING`: a lazy import still
ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "src"

# Lowest first. A package may import its own layer's modules and any lower layer, never a higher
# one; packages that share a layer must not form a cycle (the cycle check sees to that).
LAYERS: list[set[str]] = [
    {"synloom", "errors", "progress"},
    {"spec", "devices", "batching", "extras", "sampling", "seeds"},
    {"prompts", "store", "embeddings"},
    {"backends"},
    {"recipes"},
    {"generate"},
    {"quality"},
    {"train", "adapt"},
    {"curate"},
    {"evaluate"},
    {"report"},
    {"testing", "quickstart_data"},
    {"api"},
    {"cli", "__main__"},
]
# The one import that goes up on purpose: the package root re-exports the Python API
# (`synloom.api`) lazily, from inside its module `__getattr__` and its callable subpackages'
# `__call__`; `import synloom` imports nothing of it (`test_import_synloom_stays_light`).
LAZY_REEXPORTS = {("synloom", "synloom.api")}
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / "synloom").rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The synloom modules `name` imports (a `from pkg import mod` counts `pkg` and `pkg.mod`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    for module, target in LAZY_REEXPORTS:
        graph[module].discard(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_graph_sees_synloom_imports():
    graph = import_graph()
    assert "synloom.train.loop" in graph["synloom.train.finetune"]
    assert "synloom.cli.generate" in graph["synloom.cli.app"]


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert _cycles(import_graph()) == []


def test_every_package_has_a_layer():
    assert {_package(m) for m in _modules()} <= set(RANK)


def test_lower_layers_never_import_higher_ones():
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if RANK[_package(target)] > RANK[_package(module)]
    )
    assert upward == []


def test_import_synloom_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, synloom\n"
        "print(sorted(m for m in sys.modules if m.startswith('synloom')))\n"
        "synloom.load_spec\n"
        "print('synloom.api' in sys.modules, 'torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split("\n")[:2] == ["['synloom']", "True False"]


def test_the_lazy_reexport_is_the_only_upward_import_of_the_root():
    modules = _modules()
    root = _imports("synloom", modules["synloom"], modules)
    assert root == {target for _, target in LAZY_REEXPORTS}
