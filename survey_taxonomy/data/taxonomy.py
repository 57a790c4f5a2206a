"""The survey's taxonomy: a tree of nodes read from `taxonomy.yaml`.

Terms:
- *node id*: a URL-safe slash path such as `collaboration/sm-enhance-llm/efficient-inference`; a child's id
  is its parent's id plus one segment, so "is X under Y" is a prefix test.
- *subtree* of a node: the node and all its descendants.
- *category*: the second-level node a paper falls under ("SMs enhance LLMs", "LLMs enhance SMs") or the
  top-level node where there is no second level (Competition); used for colours in figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import TaxonomyError
from .records import TaxonomyNode

_SEGMENT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Taxonomy:
    """The whole tree, with the survey's own metadata."""

    nodes: dict[str, TaxonomyNode]
    roots: tuple[str, ...]
    survey: dict[str, Any]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __getitem__(self, node_id: str) -> TaxonomyNode:
        return self.nodes[node_id]

    def walk(self, start: str | None = None) -> Iterator[TaxonomyNode]:
        """Nodes in depth-first, file order (the order of the survey's sections).

        >>> tax = parse_taxonomy({"nodes": [{"id": "a", "label": "A", "description": "d",
        ...     "children": [{"id": "a/b", "label": "B", "description": "d"}]}]})
        >>> [n.id for n in tax.walk()]
        ['a', 'a/b']
        """
        stack = list(reversed(self.roots if start is None else (start,)))
        while stack:
            node = self.nodes[stack.pop()]
            yield node
            stack.extend(reversed(node.children))

    def subtree(self, node_id: str) -> list[str]:
        """The ids of `node_id` and all its descendants."""
        return [n.id for n in self.walk(node_id)]

    def ancestors(self, node_id: str) -> list[str]:
        """Ids from the root down to the parent of `node_id`."""
        out: list[str] = []
        parent = self.nodes[node_id].parent
        while parent is not None:
            out.append(parent)
            parent = self.nodes[parent].parent
        return out[::-1]

    def path_labels(self, node_id: str) -> list[str]:
        """Labels from the root down to the node, for breadcrumbs."""
        return [self.nodes[i].label for i in [*self.ancestors(node_id), node_id]]

    def category(self, node_id: str) -> str:
        """The label of the node's colour group (see module docstring)."""
        parts = node_id.split("/")
        group = "/".join(parts[:2]) if parts[0] == "collaboration" and len(parts) > 1 else parts[0]
        return self.nodes[group].label if group in self.nodes else self.nodes[parts[0]].label


def parse_taxonomy(data: Any, source: str = "taxonomy") -> Taxonomy:
    """Build a `Taxonomy` from the parsed YAML mapping; raise `TaxonomyError` naming the bad node."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise TaxonomyError(f"{source}: expected a mapping with a 'nodes' list at the top")
    nodes: dict[str, TaxonomyNode] = {}

    def visit(raw: Any, parent: str | None, where: str) -> str:
        if not isinstance(raw, dict):
            raise TaxonomyError(f"{source}: {where} is not a mapping")
        node_id = raw.get("id")
        if not isinstance(node_id, str) or not all(_SEGMENT.match(s) for s in node_id.split("/")):
            raise TaxonomyError(f"{source}: {where} has id {node_id!r}; ids are lowercase slash paths like 'collaboration/weak-to-strong'")
        if parent is not None and not node_id.startswith(parent + "/"):
            raise TaxonomyError(f"{source}: node {node_id!r} must start with its parent's id {parent + '/'!r}")
        if parent is None and "/" in node_id:
            raise TaxonomyError(f"{source}: top-level node {node_id!r} must not contain '/'")
        if node_id in nodes:
            raise TaxonomyError(f"{source}: node id {node_id!r} appears twice")
        for required in ("label", "description"):
            if not isinstance(raw.get(required), str) or not raw[required].strip():
                raise TaxonomyError(f"{source}: node {node_id!r} needs a non-empty '{required}'")
        facets = raw.get("facets") or []
        if not isinstance(facets, list) or not all(isinstance(f, str) for f in facets):
            raise TaxonomyError(f"{source}: node {node_id!r} has 'facets' that is not a list of strings")
        nodes[node_id] = TaxonomyNode(id=node_id, label="", description="")  # reserve the id for duplicates
        children = tuple(visit(c, node_id, f"a child of {node_id!r}") for c in raw.get("children") or [])
        nodes[node_id] = TaxonomyNode(
            id=node_id,
            label=raw["label"].strip(),
            description=" ".join(raw["description"].split()),
            parent=parent,
            section=str(raw.get("section") or ""),
            facets=tuple(facets),
            children=children,
        )
        return node_id

    roots = tuple(visit(raw, None, f"top-level node #{i + 1}") for i, raw in enumerate(data["nodes"]))
    return Taxonomy(nodes=nodes, roots=roots, survey=dict(data.get("survey") or {}))


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and check `taxonomy.yaml`; raise `TaxonomyError` with the file and node at fault."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{path}: file not found; set SURVEY_DATA_DIR to the folder with taxonomy.yaml") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML: {exc}") from exc
    return parse_taxonomy(data, source=str(path))
