"""The package's layout: no module imports another that imports it back, however lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "survey_taxonomy"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module of the package that `path` imports: at the top, inside functions and under TYPE_CHECKING."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rsplit(".", 1)[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
            for alias in node.names:  # `from . import x` names a module; `from .m import f` names m
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _is_module(candidate) else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("survey_taxonomy") and name != here}


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def module_graph() -> nx.DiGraph:
    """Modules and what they import; edges into or out of a package's __init__ (its re-exports) left out."""
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        for target in imports_of(path):
            graph.add_edge(module_name(path), target)
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    graph.remove_edges_from([(a, b) for a, b in list(graph.edges) if b in packages or a in packages])
    return graph


def test_no_import_cycles_between_modules() -> None:
    assert list(nx.simple_cycles(module_graph())) == []


def test_the_check_sees_imports_inside_functions_and_would_find_a_cycle() -> None:
    graph = module_graph()
    assert graph.has_edge("survey_taxonomy.data.provenance", "survey_taxonomy.data.corpus")
    assert graph.has_edge("survey_taxonomy.models.category", "survey_taxonomy.data.corpus")
    graph.add_edge("survey_taxonomy.data.corpus", "survey_taxonomy.data.provenance")  # the lazy import issue 22 found
    assert list(nx.simple_cycles(graph))


def unit(module: str) -> str:
    """A module's subpackage (`data`, `query`, ...), or the top-level module itself (`cli`, `config`, `errors`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else module


def unit_graph() -> nx.DiGraph:
    """Subpackages and top-level modules, an edge where a module of one imports a module of another, the
    subpackages' own `__init__` included; the library's root `__init__` (its re-exports) left out."""
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        source = module_name(path)
        for target in imports_of(path) - {"survey_taxonomy"}:
            if source != "survey_taxonomy" and unit(source) != unit(target):
                graph.add_edge(unit(source), unit(target))
    return graph


def test_subpackages_are_layers_with_no_circle_between_them() -> None:
    graph = unit_graph()
    assert list(nx.simple_cycles(graph)) == []
    assert graph.has_edge("sources", "submissions")  # through `submissions/__init__`, which the module check leaves out
    graph.add_edge("data", "query")  # what corpus did before topics moved to `data.words`
    assert list(nx.simple_cycles(graph))


def test_the_data_layer_imports_no_other_part_of_the_library_but_its_errors() -> None:
    assert set(unit_graph().successors("data")) == {"errors"}


def test_the_folder_tree_is_the_architecture() -> None:
    """The subpackages the README's architecture paragraph names, and only the entry points and the shared base
    (errors, settings, terminal output) outside them."""
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == {"data", "query", "graphs", "export", "sources", "models", "submissions"}
    assert {p.stem for p in PACKAGE.glob("*.py")} == {"__init__", "__main__", "cli", "config", "console", "errors"}
