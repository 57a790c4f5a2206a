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

import networkx as nx
import numpy as np
import pandas as pd

from .corpus import Corpus, category_of
from .model import Paper
from .search import SearchIndex

MODES = ("citations", "coauthors", "similarity")


def _paper_attrs(corpus: Corpus, paper: Paper) -> dict:
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
    index = index if index is not None else SearchIndex.build(corpus.papers)
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


def layout(graph: nx.Graph, seed: int = 7, center: str | None = None) -> dict[str, tuple[float, float]]:
    """Force-directed positions; `center` (the survey) is pinned at the origin so the eye finds it first."""
    if graph.number_of_nodes() == 0:
        return {}
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    iterations = 50 if len(graph) <= 3000 else 25
    if center is not None and center in graph:
        pos = nx.spring_layout(undirected, pos={center: (0.0, 0.0)}, fixed=[center], seed=seed, iterations=iterations)
    else:
        pos = nx.spring_layout(undirected, seed=seed, iterations=iterations)
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}


def neighbours(graph: nx.Graph, node: str) -> dict[str, list[str]]:
    """What a node links to and from: `cites`/`cited_by` for directed graphs, `linked` otherwise."""
    if node not in graph:
        return {}
    if graph.is_directed():
        return {"cites": sorted(graph.successors(node)), "cited_by": sorted(graph.predecessors(node))}
    return {"linked": sorted(graph.neighbors(node))}


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
