"""Networks over the corpus, built with networkx, and their metrics and layouts.

Graphs:
- *citation graph* (directed): papers as nodes, an edge citing -> cited for every known citation (see
  `Corpus.edges`): the survey cites its references, citing papers cite the survey, plus sourced edges.
- *co-authorship graph*: authors as nodes, joined when they wrote a paper together; `weight` = papers shared.
- *similarity graph*: papers joined to their nearest neighbours by TF-IDF cosine similarity (text), with a
  bonus for sharing a taxonomy node, so that clusters follow both wording and the survey's structure.
Node attributes used by the figures: `label`, `title`, `year`, `category`, `relation`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from .corpus import Corpus, category_of
from .records import Paper

if TYPE_CHECKING:  # scikit-learn takes ~1 s to import; only the similarity graph needs it
    from .search import SearchIndex

MODES = ("citations", "coauthors", "similarity")


def _paper_attrs(corpus: Corpus, paper: Paper) -> dict[str, Any]:
    return {
        "label": paper.key,
        "title": paper.title,
        "year": paper.year,
        "category": category_of(corpus.taxonomy, paper),
        "relation": paper.relation,
        "kind": "paper",
    }


def citation_graph(corpus: Corpus, keys: Iterable[str] | None = None, include_isolates: bool = False) -> nx.DiGraph:
    """Directed citation graph over `keys` (all papers if None); the survey is always kept as the hub."""
    wanted = set(keys) if keys is not None else set(corpus.by_key)
    if corpus.survey is not None:
        wanted.add(corpus.survey.key)
    graph = nx.DiGraph()
    for paper in corpus.papers:
        if paper.key in wanted:
            graph.add_node(paper.key, **_paper_attrs(corpus, paper))
    graph.add_edges_from((a, b) for a, b in corpus.edges() if a in wanted and b in wanted)
    if not include_isolates:
        graph.remove_nodes_from([n for n in list(graph) if graph.degree(n) == 0 and graph.nodes[n]["relation"] != "survey"])
    return graph


def coauthor_graph(papers: Iterable[Paper], min_papers: int = 1) -> nx.Graph:
    """Authors joined by shared papers; authors with fewer than `min_papers` papers are dropped."""
    graph = nx.Graph()
    for paper in papers:
        for name in paper.authors:
            if name in graph:
                graph.nodes[name]["papers"].append(paper.key)
            else:
                graph.add_node(name, label=name, title=name, papers=[paper.key], year=paper.year, kind="author")
            graph.nodes[name]["year"] = max(graph.nodes[name]["year"] or 0, paper.year or 0) or None
        for a, b in itertools.combinations(dict.fromkeys(paper.authors), 2):
            weight = graph.edges[a, b]["weight"] + 1 if graph.has_edge(a, b) else 1
            graph.add_edge(a, b, weight=weight)
    for name in list(graph):
        count = len(graph.nodes[name]["papers"])
        graph.nodes[name]["n_papers"] = count
        graph.nodes[name]["category"] = f"{count} paper{'s' if count > 1 else ''}" if count < 3 else "3+ papers"
        if count < min_papers:
            graph.remove_node(name)
    return graph


def similarity_graph(corpus: Corpus, keys: Iterable[str] | None = None, k: int = 4, threshold: float = 0.08, index: SearchIndex | None = None) -> nx.Graph:
    """Each paper joined to its `k` most similar papers whose score passes `threshold`."""
    wanted = set(keys) if keys is not None else set(corpus.by_key)
    papers = [p for p in corpus.papers if p.key in wanted]
    graph = nx.Graph()
    for paper in papers:
        graph.add_node(paper.key, **_paper_attrs(corpus, paper))
    if len(papers) < 2:
        return graph
    if index is None:
        from .search import SearchIndex

        index = SearchIndex.build(corpus.papers)
    rows = [i for i, p in enumerate(index.papers) if p.key in wanted]
    matrix = index.matrix[rows]
    sims = (matrix @ matrix.T).toarray()
    nodes = [set(index.papers[i].taxonomy) for i in rows]
    for i in range(len(rows)):
        for j in range(len(rows)):
            if i != j and nodes[i] & nodes[j]:
                sims[i, j] += 0.1
    np.fill_diagonal(sims, 0.0)
    for i, row in enumerate(sims):
        for j in np.argsort(-row)[:k]:
            if row[j] >= threshold:
                graph.add_edge(index.papers[rows[i]].key, index.papers[rows[j]].key, weight=float(row[j]))
    return graph


def graph_metrics(graph: nx.Graph) -> pd.DataFrame:
    """Degree (in, out and total for directed graphs) and PageRank per node, highest PageRank first."""
    if graph.number_of_nodes() == 0:
        return pd.DataFrame(columns=["node", "degree", "pagerank"])
    pagerank = nx.pagerank(graph, weight="weight") if graph.number_of_edges() else dict.fromkeys(graph, 1 / len(graph))
    frame = pd.DataFrame({"node": list(graph), "degree": [graph.degree(n) for n in graph], "pagerank": [pagerank[n] for n in graph]})
    if graph.is_directed():
        frame["cited_by"] = [graph.in_degree(n) for n in graph]
        frame["cites"] = [graph.out_degree(n) for n in graph]
    return frame.sort_values(["pagerank", "node"], ascending=[False, True]).reset_index(drop=True)


LARGE_GRAPH = 500  # nodes; from here networkx's spring layout costs O(n²) per step (12 s at 2,000 nodes, 2 min at 10,000)
NEIGHBOURS = 24  # nearest nodes that repel each node in the large-graph layout


def layout(graph: nx.Graph, seed: int = 7, center: str | None = None) -> dict[str, tuple[float, float]]:
    """Force-directed positions; `center` (the survey) is pinned at the origin so the eye finds it first.

    Each connected part is laid out on its own and the parts are packed: the one holding `center` (else the
    largest) fills the unit disc around the origin, the others sit in rows under it, each sized by its number of
    nodes. Laid out together, a few stray pairs drift far off and squeeze the main drawing into a corner.
    Parts of LARGE_GRAPH nodes or more are laid out by `_neighbour_layout`, the same forces with repulsion
    only from each node's nearest neighbours, which keeps a 10,000-node graph to about two seconds.
    """
    if graph.number_of_nodes() == 0:
        return {}
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    parts = sorted(nx.connected_components(undirected), key=lambda part: (center not in part, -len(part), min(part)))
    main = _fitted(_part_layout(undirected.subgraph(parts[0]), seed, center), 1.0, center)
    return main | _rows_under(main, [_part_layout(undirected.subgraph(part), seed, None) for part in parts[1:]], len(parts[0]))


PART_GAP = 0.12  # space between packed parts, in units of the main part's radius
SMALLEST_PART = 0.08  # radius of a one- or two-node part, in the same units


def _part_layout(part: nx.Graph, seed: int, center: str | None) -> dict[str, tuple[float, float]]:
    """Positions of one connected part, at whatever scale its layout gives."""
    if len(part) == 1:
        return {node: (0.0, 0.0) for node in part}
    if len(part) >= LARGE_GRAPH:
        return _neighbour_layout(part, seed, center if center in part else None)
    if center is not None and center in part:
        pos = nx.spring_layout(part, pos={center: (0.0, 0.0)}, fixed=[center], seed=seed, iterations=50)
    else:
        pos = nx.spring_layout(part, seed=seed, iterations=50)
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}


def _fitted(pos: dict[str, tuple[float, float]], radius: float, center: str | None = None) -> dict[str, tuple[float, float]]:
    """`pos` moved so that `center` (else the mean position) is at the origin, and scaled to `radius`.

    >>> _fitted({"a": (2.0, 2.0), "b": (4.0, 2.0)}, 0.5)
    {'a': (-0.5, 0.0), 'b': (0.5, 0.0)}
    """
    points = np.array(list(pos.values()), dtype=float)
    origin = np.array(pos[center]) if center in pos else points.mean(axis=0)
    reach = float(np.sqrt(((points - origin) ** 2).sum(axis=1)).max())
    scale = radius / reach if reach > 0 else 0.0
    return {n: (float((x - origin[0]) * scale), float((y - origin[1]) * scale)) for n, (x, y) in pos.items()}


def _rows_under(main: dict[str, tuple[float, float]], parts: list[dict[str, tuple[float, float]]], main_size: int) -> dict[str, tuple[float, float]]:
    """The smaller parts (largest first) in rows under the main one, each with a radius that grows as the square
    root of its nodes (so its area follows its size); rows span the main part's width, or more when there are
    so many parts that a square block of them is wider (a co-author graph is mostly small cliques)."""
    radii = [max(SMALLEST_PART, float(np.sqrt(len(part) / main_size))) for part in parts]
    left, right = min(x for x, _ in main.values()), max(x for x, _ in main.values())
    square = float(np.sqrt(sum((2 * r + PART_GAP) ** 2 for r in radii)))
    if square > right - left:  # centred under the main part
        left, right = (left + right - square) / 2, (left + right + square) / 2
    width = max(right - left, 2 * max(radii, default=0.0))
    top = min(y for _, y in main.values()) - 2 * PART_GAP
    placed: dict[str, tuple[float, float]] = {}
    x, row_height = left, 0.0
    for part, r in zip(parts, radii, strict=True):
        if x > left and x + 2 * r > left + width:  # this row is full: start the next one under it
            x, top, row_height = left, top - row_height - PART_GAP, 0.0
        inner = r / 2 if len(part) <= 2 else 0.8 * r  # a pair at half its cell reads as a pair, not as a row of dots
        for node, (px, py) in _fitted(part, inner).items():
            placed[node] = (x + r + px, top - r + py)
        x += 2 * r + PART_GAP
        row_height = max(row_height, 2 * r)
    return placed


def _neighbour_layout(graph: nx.Graph, seed: int, center: str | None, iterations: int = 50) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold with repulsion limited to the NEIGHBOURS nearest nodes (found with a k-d tree).

    Far nodes push each other too little to matter (the "grid variant" of the original paper makes the same
    cut), so each step costs O(n log n) instead of O(n²); attraction along edges and the cooling schedule are
    networkx's. Seeded, so the same graph always gets the same picture.
    """
    from scipy.spatial import cKDTree  # imported here: ~0.3 s that small graphs and app start-up need not pay

    nodes = list(graph)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    links = [(index[a], index[b], weight) for a, b, weight in graph.edges(data="weight", default=1.0) if a != b]
    edges = np.array([link[:2] for link in links], dtype=np.int64).reshape(-1, 2)
    weights = np.array([link[2] for link in links], dtype=float)[:, None]
    pos = np.random.RandomState(seed).rand(n, 2)
    movable = np.ones(n, dtype=bool)
    if center is not None:
        pos[index[center]] = 0.0
        movable[index[center]] = False
    k = np.sqrt(1.0 / n)  # networkx's optimal distance for a unit area
    temperature = 0.1 * max(np.ptp(pos[:, 0]), np.ptp(pos[:, 1]))
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        distance, near = cKDTree(pos).query(pos, k=min(n, NEIGHBOURS + 1))  # the first neighbour is the node itself
        delta = pos[:, None, :] - pos[near]
        shift = (delta * (k * k / np.maximum(distance * distance, 1e-8))[..., None]).sum(axis=1)
        along = pos[edges[:, 0]] - pos[edges[:, 1]]
        pull = weights * along * np.sqrt((along * along).sum(axis=1))[:, None] / k
        for axis in (0, 1):
            shift[:, axis] -= np.bincount(edges[:, 0], pull[:, axis], n) - np.bincount(edges[:, 1], pull[:, axis], n)
        length = np.maximum(np.sqrt((shift * shift).sum(axis=1)), 0.01)
        pos[movable] += (shift * (np.minimum(length, temperature) / length)[:, None])[movable]
        temperature -= cooling
    if center is None:
        pos = nx.rescale_layout(pos, scale=1)  # as spring_layout does when no node is pinned
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, pos, strict=True)}


def neighbours(graph: nx.Graph, node: str) -> dict[str, list[str]]:
    """What a node links to and from: `cites`/`cited_by` for directed graphs, `linked` otherwise."""
    if node not in graph:
        return {}
    if graph.is_directed():
        return {"cites": sorted(graph.successors(node)), "cited_by": sorted(graph.predecessors(node))}
    return {"linked": sorted(graph.neighbors(node))}


def isolated(corpus: Corpus, mode: str, keys: Iterable[str], graph: nx.Graph) -> list[str]:
    """The papers of `keys` that `graph` leaves out for having no link (none in the co-author graph, whose
    nodes are authors), so a page can list them instead of dropping them silently."""
    if mode == "coauthors":
        return []
    return [k for k in keys if k in corpus.by_key and k not in graph]


def build_graph(corpus: Corpus, mode: str, keys: Iterable[str] | None = None) -> nx.Graph:
    """The graph of `mode` (one of MODES) restricted to `keys`."""
    keys = list(keys) if keys is not None else None
    if mode == "citations":
        return citation_graph(corpus, keys)
    if mode == "coauthors":
        wanted = set(keys) if keys is not None else None
        return coauthor_graph(p for p in corpus.papers if wanted is None or p.key in wanted)
    if mode == "similarity":
        return similarity_graph(corpus, keys)
    raise ValueError(f"unknown graph mode {mode!r}; use one of {', '.join(MODES)}")


def _rank(counts: dict[str, int], n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def prior_works(corpus: Corpus, keys: Iterable[str], n: int = 10) -> list[tuple[str, int]]:
    """Connected Papers' *prior works* of a selection: the dataset papers outside it that its papers cite most,
    as (key, how many selected papers cite it), most cited first, then by key. Uses every known edge."""
    return _rank(_outside_links(corpus, keys, 0), n)


def derivative_works(corpus: Corpus, keys: Iterable[str], n: int = 10) -> list[tuple[str, int]]:
    """Connected Papers' *derivative works*: the dataset papers outside the selection that cite most of it, as
    (key, how many selected papers it cites), most first, then by key."""
    return _rank(_outside_links(corpus, keys, 1), n)


def _outside_links(corpus: Corpus, keys: Iterable[str], side: int) -> dict[str, int]:
    """Per paper outside the selection, how many selected papers it is linked to: `side` 0 follows the papers
    the selection cites, 1 the papers citing it."""
    selected = set(keys)
    counts: dict[str, int] = {}
    for key in selected:
        for other in corpus.links_of(key)[side]:
            if other not in selected:
                counts[other] = counts.get(other, 0) + 1
    return counts
