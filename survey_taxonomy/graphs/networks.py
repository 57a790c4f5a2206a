"""Networks over the corpus, built with networkx, and their metrics and layouts.

Graphs:
- *paper network* (the Graph page's default): papers as nodes, joined by every known *citation link* between two
  of them and, for a paper with no citation link, by links to its nearest neighbours in text (*similar* links).
  The survey is not part of it unless asked for (its key among the keys): then it is a *frame*, joined to the
  papers it lists and to the papers citing it by *survey* links.
- *citation graph* (directed): the citation and survey links only, citing -> cited (see `Corpus.edges`).
- *co-authorship graph*: authors as nodes, joined when they wrote a paper together; `weight` = papers shared.
  An author is a full name as written; papers of one name join one node only when they are connected through
  shared co-authors (see `author_groups`), so namesakes who never wrote with a common colleague stay apart.
- *similarity graph*: each paper joined to its `k` nearest neighbours in text (`nearest_papers`).

Link kinds (`LINK_KINDS`, the edge attribute `kind`): `citation` (a named page or scholarly index shows that one
paper cites the other; the edge's `note` names it), `similar` (similar wording; never a citation; `weight` is the
score) and `survey` (a link of the survey's own lists). Node attributes used by the figures: `label`, `title`, `year`,
`category`, `relation`, `kind`.

*Similarity*: the cosine of TF-IDF vectors (title, summary, topics, authors; `search.document`) plus
TAXONOMY_BONUS for each shared taxonomy node, computed a block of rows at a time (BLOCK_CELLS scores) and kept as
the top k per paper, so memory grows with n·k, not n² (the dense matrix the similarity graph used to build added
1.9 GB at 10,000 papers; benchmarks/run.py measures both). Time still grows with (papers asking) × n.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from ..data.corpus import Corpus, category_of
from ..data.counts import PROVIDERS
from ..data.provenance import edge_notes
from ..data.records import Citation, Paper

if TYPE_CHECKING:  # scikit-learn takes ~1 s to import; only the similarity links need it
    from ..query.search import SearchIndex

MODES = ("network", "citations", "similarity", "coauthors")
LINK_KINDS = {
    "citation": "Citation (a named page or index shows it)",
    "similar": "Similar text (nearest neighbour, not a citation)",
    "survey": "The survey's own lists (its frame)",
}
SIMILAR_K = 2  # nearest neighbours given to a paper with no citation link in the paper network
SIMILARITY_THRESHOLD = 0.08  # below this, two papers share little more than common words
TAXONOMY_BONUS = 0.1  # added to the similarity of two papers per shared taxonomy node
BLOCK_CELLS = 1 << 22  # scores computed at once (rows × papers): 16 MB of float32, whatever the corpus size


def _paper_attrs(corpus: Corpus, paper: Paper) -> dict[str, Any]:
    return {
        "label": paper.key,
        "title": paper.title,
        "year": paper.year,
        "category": category_of(corpus.taxonomy, paper),
        "relation": paper.relation,
        "kind": "paper",
        "authors": paper.authors,
    }


def _survey_key(corpus: Corpus) -> str:
    return corpus.survey.key if corpus.survey is not None else ""


def citation_graph(corpus: Corpus, keys: Iterable[str] | None = None, include_isolates: bool = False) -> nx.DiGraph:
    """Directed citation graph over `keys` (all papers if None), each edge with its `kind` and `note`.

    The survey is drawn only when its key is among `keys` (or `keys` is None): it frames the papers, it is not
    one of them. Papers without a link are left out unless `include_isolates`.
    """
    wanted = set(keys) if keys is not None else set(corpus.by_key)
    survey = _survey_key(corpus)
    graph = nx.DiGraph()
    for paper in corpus.papers:
        if paper.key in wanted:
            graph.add_node(paper.key, **_paper_attrs(corpus, paper))
    edges = [(a, b) for a, b in corpus.edges() if a in wanted and b in wanted]
    notes = edge_notes(corpus, edges)
    graph.add_edges_from((a, b, {"kind": "survey" if survey in (a, b) else "citation", "note": notes[(a, b)]}) for a, b in edges)
    if not include_isolates:
        graph.remove_nodes_from([n for n in list(graph) if graph.degree(n) == 0 and n != survey])
    return graph


def paper_network(corpus: Corpus, keys: Iterable[str] | None = None, k: int = SIMILAR_K, index: SearchIndex | None = None) -> nx.DiGraph:
    """The citation graph of `keys`, plus for each paper with no citation link to another paper its `k` nearest
    neighbours among `keys` as `similar` links (directed from that paper to its neighbour). Papers left without
    any link are left out (`isolated` lists them)."""
    graph = citation_graph(corpus, keys, include_isolates=True)
    survey = _survey_key(corpus)
    papers = [n for n in graph if n != survey]
    alone = {n for n in papers if not any(kind == "citation" for _, _, kind in _links(graph, n))}
    if alone:
        for key, found in nearest_papers(corpus, papers, k, index=index, only=alone).items():
            for other, score in found:
                if not graph.has_edge(key, other) and not graph.has_edge(other, key):
                    graph.add_edge(key, other, kind="similar", weight=score, note=similar_note(score))
    graph.remove_nodes_from([n for n in papers if graph.degree(n) == 0])
    return graph


def similar_note(score: float) -> str:
    """What a similar link says when hovered: its score, and that it is no citation.

    >>> similar_note(0.2349)
    'similar text (score 0.23: TF-IDF cosine plus 0.1 per shared taxonomy node); not a citation'
    """
    return f"similar text (score {score:.2f}: TF-IDF cosine plus {TAXONOMY_BONUS:g} per shared taxonomy node); not a citation"


def _links(graph: nx.Graph, node: str) -> Iterable[tuple[str, str, str]]:
    """Every edge at `node`, both directions, as (source, target, kind)."""
    if graph.is_directed():
        return itertools.chain(graph.out_edges(node, data="kind", default=""), graph.in_edges(node, data="kind", default=""))
    links: Iterable[tuple[str, str, str]] = graph.edges(node, data="kind", default="")
    return links


def nearest_papers(
    corpus: Corpus,
    keys: Iterable[str],
    k: int,
    threshold: float = SIMILARITY_THRESHOLD,
    index: SearchIndex | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, list[tuple[str, float]]]:
    """For each paper of `only` (default: all of `keys`), its `k` most similar papers among `keys` whose score
    passes `threshold`, as (key, score), best first (ties by key order). `index` is the TF-IDF index of the
    corpus (built when None)."""
    wanted = set(keys)
    if index is None:
        from ..query.search import SearchIndex

        index = SearchIndex.build(corpus.papers)
    rows = [i for i, p in enumerate(index.papers) if p.key in wanted]
    if len(rows) < 2:
        return {}
    papers = [index.papers[i] for i in rows]
    matrix = _with_taxonomy(index.matrix[rows], [p.taxonomy for p in papers])
    asked = set(only) if only is not None else wanted
    which = np.array([i for i, p in enumerate(papers) if p.key in asked], dtype=np.int64)
    near, scores = top_k_similar(matrix, k, which)
    out: dict[str, list[tuple[str, float]]] = {}
    for row, found, values in zip(which, near, scores, strict=True):
        out[papers[row].key] = [(papers[j].key, float(s)) for j, s in zip(found, values, strict=True) if j >= 0 and s >= threshold]
    return out


def _with_taxonomy(matrix: Any, nodes: Sequence[Sequence[str]]) -> Any:
    """`matrix` (L2-normalised TF-IDF rows) with one column per taxonomy node, so that the dot product of two rows
    gains TAXONOMY_BONUS per node they share (a paper with m nodes spreads its bonus as 1/sqrt(m) per node)."""
    from scipy import sparse

    ids = {node: i for i, node in enumerate(dict.fromkeys(n for row in nodes for n in row))}
    indptr, columns, values = [0], [], []
    for row in nodes:
        own = list(dict.fromkeys(row))
        columns += [ids[n] for n in own]
        values += [float(np.sqrt(TAXONOMY_BONUS / len(own)))] * len(own) if own else []
        indptr.append(len(columns))
    extra = sparse.csr_matrix((values, columns, indptr), shape=(len(nodes), max(len(ids), 1)))
    return sparse.hstack([matrix, extra], format="csr")


def top_k_similar(matrix: Any, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The `k` rows of `matrix` with the highest dot product with each row of `rows` (all by default), itself
    excluded: (indices, scores), each of shape (len(rows), k), best first; index -1 where fewer than k exist.

    The scores are computed for a block of rows at a time (BLOCK_CELLS scores), so memory stays bounded:
    never the n × n matrix.

    >>> from scipy import sparse
    >>> near, scores = top_k_similar(sparse.csr_matrix([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]), 1)
    >>> near.ravel().tolist(), scores.ravel().round(2).tolist()
    ([1, 0, 1], [0.8, 0.8, 0.6])
    """
    n = matrix.shape[0]
    asked = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    kept = min(k, n - 1)
    near = np.full((len(asked), k), -1, dtype=np.int64)
    scores = np.zeros((len(asked), k))
    if kept <= 0:
        return near, scores
    matrix = matrix.tocsr().astype(np.float32)  # half the memory of float64, and scores need no more digits
    transposed = matrix.T.tocsr()
    block = max(1, BLOCK_CELLS // n)
    for start in range(0, len(asked), block):
        part = asked[start : start + block]
        dense = (matrix[part] @ transposed).toarray()
        dense[np.arange(len(part)), part] = -np.inf  # a paper is not its own neighbour
        best = np.argpartition(dense, n - kept, axis=1)[:, n - kept :]
        values = np.take_along_axis(dense, best, axis=1)
        order = np.lexsort((best, -values), axis=1)  # best first; ties by index, so the result is stable
        near[start : start + len(part), :kept] = np.take_along_axis(best, order, axis=1)
        scores[start : start + len(part), :kept] = np.take_along_axis(values, order, axis=1)
    return near, scores


def author_groups(papers: Iterable[Paper]) -> dict[str, list[list[str]]]:
    """Per author name, its papers in groups that are one person as far as the data can tell: two papers with the
    same full name (exactly as written) are joined when they share another co-author, directly or through a chain
    of such papers. Names on papers with no co-author in common give two groups: two namesakes, or one person who
    changed teams; without author ids (ORCID) the data cannot tell, so the graph draws them apart rather than
    claim a collaboration it cannot show. Spelling variants of one name ("J. Smith") are never joined.

    >>> from survey_taxonomy.data.records import Paper
    >>> def p(key, *authors): return Paper(key=key, title=key, authors=authors)
    >>> author_groups([p("a", "Wei Li", "Ann Bo"), p("b", "Wei Li", "Ann Bo"), p("c", "Wei Li", "Cy Do")])["Wei Li"]
    [['a', 'b'], ['c']]
    """
    by_name: dict[str, list[Paper]] = {}
    for paper in papers:
        for name in dict.fromkeys(paper.authors):
            by_name.setdefault(name, []).append(paper)
    groups: dict[str, list[list[str]]] = {}
    for name, own in by_name.items():
        joined = nx.Graph()
        joined.add_nodes_from(p.key for p in own)
        for first, second in itertools.combinations(own, 2):
            if (set(first.authors) & set(second.authors)) - {name}:
                joined.add_edge(first.key, second.key)
        order = {p.key: i for i, p in enumerate(own)}
        parts = [sorted(part, key=order.__getitem__) for part in nx.connected_components(joined)]
        groups[name] = sorted(parts, key=lambda part: order[part[0]])
    return groups


def coauthor_graph(papers: Iterable[Paper], min_papers: int = 1) -> nx.Graph:
    """Authors joined by shared papers; authors with fewer than `min_papers` papers are dropped.

    A node is one group of `author_groups`: its id is the name, or "name [i]" for the i-th group of a name
    that has several (`namesakes` says how many), so a namesake never joins two teams that share nobody.
    """
    papers = list(papers)
    groups = author_groups(papers)
    node_of: dict[tuple[str, str], str] = {}
    for name, parts in groups.items():
        for i, part in enumerate(parts, start=1):
            for key in part:
                node_of[(name, key)] = name if len(parts) == 1 else f"{name} [{i}]"
    graph = nx.Graph()
    for paper in papers:
        names = list(dict.fromkeys(paper.authors))
        for name in names:
            node = node_of[(name, paper.key)]
            if node in graph:
                graph.nodes[node]["papers"].append(paper.key)
            else:
                graph.add_node(node, label=name, title=name, papers=[paper.key], year=paper.year, kind="author", namesakes=len(groups[name]))
            graph.nodes[node]["year"] = max(graph.nodes[node]["year"] or 0, paper.year or 0) or None
        for a, b in itertools.combinations([node_of[(name, paper.key)] for name in names], 2):
            weight = graph.edges[a, b]["weight"] + 1 if graph.has_edge(a, b) else 1
            graph.add_edge(a, b, weight=weight)
    for node in list(graph):
        count = len(graph.nodes[node]["papers"])
        graph.nodes[node]["n_papers"] = count
        graph.nodes[node]["category"] = f"{count} paper{'s' if count > 1 else ''}" if count < 3 else "3+ papers"
        if count < min_papers:
            graph.remove_node(node)
    return graph


def similarity_graph(
    corpus: Corpus, keys: Iterable[str] | None = None, k: int = 4, threshold: float = SIMILARITY_THRESHOLD, index: SearchIndex | None = None
) -> nx.Graph:
    """Each paper of `keys` (all if None; the survey only when among them) joined to its `k` most similar papers
    whose score passes `threshold` (`nearest_papers`); the edge's `weight` is the score."""
    wanted = set(keys) if keys is not None else set(corpus.by_key)
    papers = [p for p in corpus.papers if p.key in wanted]
    graph = nx.Graph()
    for paper in papers:
        graph.add_node(paper.key, **_paper_attrs(corpus, paper))
    for key, found in nearest_papers(corpus, [p.key for p in papers], k, threshold, index).items():
        for other, score in found:
            if not graph.has_edge(key, other):
                graph.add_edge(key, other, kind="similar", weight=score, note=similar_note(score))
    return graph


def graph_metrics(graph: nx.Graph) -> pd.DataFrame:
    """Degree and PageRank per node, highest PageRank first; for graphs with citation links also `cites` and
    `cited_by`, which count citation links only (a similar link is no citation)."""
    if graph.number_of_nodes() == 0:
        return pd.DataFrame(columns=["node", "degree", "pagerank"])
    pagerank = nx.pagerank(graph, weight="weight") if graph.number_of_edges() else dict.fromkeys(graph, 1 / len(graph))
    frame = pd.DataFrame({"node": list(graph), "degree": [graph.degree(n) for n in graph], "pagerank": [pagerank[n] for n in graph]})
    if graph.is_directed():
        cites = Counter(a for a, _, kind in graph.edges(data="kind", default="citation") if kind != "similar")
        cited_by = Counter(b for _, b, kind in graph.edges(data="kind", default="citation") if kind != "similar")
        frame["cited_by"] = [cited_by[n] for n in graph]
        frame["cites"] = [cites[n] for n in graph]
        frame["similar"] = [sum(1 for _, _, kind in _links(graph, n) if kind == "similar") for n in graph]
    return frame.sort_values(["pagerank", "node"], ascending=[False, True]).reset_index(drop=True)


METRIC_LABELS = {
    "degree": "Links here",
    "cites": "Cites (here)",
    "cited_by": "Cited by (here)",
    "similar": "Similar-text links",
    "pagerank": "PageRank",
}


def central_table(graph: nx.Graph, metrics: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The `n` most central nodes for people: title (or author's name), year and the metrics under their labels
    (METRIC_LABELS), not node keys and column names."""
    top = metrics.head(n)
    name = "Author" if any(graph.nodes[node].get("kind") == "author" for node in top["node"]) else "Paper"
    table = pd.DataFrame({name: [node_name(graph, node) for node in top["node"]], "Year": [graph.nodes[node].get("year") for node in top["node"]]})
    for column, label in METRIC_LABELS.items():
        if column in top:
            table[label] = top[column].to_numpy()
    table["Year"] = table["Year"].astype("Int64")
    return table


def node_name(graph: nx.Graph, node: str) -> str:
    """A node as people name it: a paper's title, an author's name (with "papers group i of n" where a name is
    drawn as several nodes, see `author_groups`)."""
    data = graph.nodes[node]
    if data.get("kind") == "author" and data.get("namesakes", 1) > 1:
        number = node.rsplit("[", 1)[-1].rstrip("]")
        return f"{data['title']} (papers group {number} of {data['namesakes']})"
    return str(data.get("title", node))


def search_label(graph: nx.Graph, node: str) -> str:
    """What the graph's search box shows and matches for a node: a paper's title, year and all its authors (so
    typing an author's name finds the paper), or an author's name."""
    data = graph.nodes[node]
    if data.get("kind") == "author":
        return node_name(graph, node)
    year = f" ({data['year']})" if data.get("year") else ""
    authors = ", ".join(data.get("authors", ()))
    return f"{data.get('title', node)}{year} — {authors}" if authors else f"{data.get('title', node)}{year}"


@dataclass(frozen=True)
class NetworkFigures:
    """How much of a selection the drawing connects, and how much of it hangs on one node.

    `papers`: papers of the selection (the survey not counted); `linked`: those with a link to another paper
    (not to the survey); `links`: every link drawn; `busiest`: the node with most links, holding `busiest_links`.
    """

    papers: int
    linked: int
    links: int
    citation_links: int
    similar_links: int
    busiest: str
    busiest_links: int

    @property
    def linked_share(self) -> float:
        return self.linked / self.papers if self.papers else 0.0

    @property
    def busiest_share(self) -> float:
        return self.busiest_links / self.links if self.links else 0.0

    def describe(self, busiest_name: str = "") -> str:
        """One sentence for the page, with the two figures as the README reports them."""
        if not self.papers:
            return "No papers in this selection."
        return (
            f"{self.linked} of {self.papers} papers ({self.linked_share:.0%}) are linked to another paper; "
            f"the busiest node{f' ({busiest_name})' if busiest_name else ''} holds {self.busiest_links} of {self.links} links "
            f"({self.busiest_share:.0%})."
        )


def network_figures(graph: nx.Graph, keys: Iterable[str], survey: str = "") -> NetworkFigures:
    """The figures of `graph` drawn for the papers `keys` (`survey`, the survey's key, is not counted as a paper
    nor as a link partner).

    >>> g = nx.DiGraph([("a", "b"), ("c", "b")])
    >>> f = network_figures(g, ["a", "b", "c", "d"])
    >>> f.linked, f.papers, f.busiest, f.busiest_links, f.links
    (3, 4, 'b', 2, 2)
    """
    papers = [k for k in dict.fromkeys(keys) if k != survey]
    linked = sum(1 for k in papers if k in graph and any(other != survey for other in nx.all_neighbors(graph, k)))
    kinds = Counter(kind for _, _, kind in graph.edges(data="kind", default="citation"))
    busiest, most = "", 0
    for node in sorted(graph):
        if graph.degree(node) > most:
            busiest, most = node, graph.degree(node)
    return NetworkFigures(len(papers), linked, graph.number_of_edges(), kinds["citation"], kinds["similar"], busiest, most)


_EVIDENCE_KIND = re.compile(r"^([a-z' ]+):")
EVIDENCE_KINDS = {
    "reference list": "from the citing paper's reference list",
    "paper text": "from the citing paper's text",
    "authors' repository": "from the authors' repositories",
    "scholarly index": "from a scholarly index",
    "indirect": "indirect (weaker signs)",
}


REFRESH_HINT = "The command python -m survey_taxonomy citations refresh fills in the rest from OpenAlex and Semantic Scholar (needs internet)."


def describe_citation_links(corpus: Corpus) -> str:
    """How many citation links between papers are known, by evidence kind, and when they were recorded, and that
    the refresh fills in the rest: the line above the paper network (links to and from the survey left out)."""
    survey = _survey_key(corpus)
    rows: dict[tuple[str, str], Citation] = {}
    for citation in corpus.citations:  # an edge counts once, by its first row (hand-curated rows come first)
        if survey not in (citation.citing, citation.cited):
            rows.setdefault((citation.citing, citation.cited), citation)
    between = [edge for edge in corpus.edges() if survey not in edge]
    kinds: Counter[str] = Counter()
    for edge in between:
        row = rows.get(edge)
        if row is None:
            kinds["the cites field of papers.bib"] += 1
        elif row.provider:
            kinds[f"from {PROVIDERS.get(row.provider, row.provider)}"] += 1
        else:
            match = _EVIDENCE_KIND.match(row.evidence)
            kinds[EVIDENCE_KINDS.get(match.group(1), match.group(1)) if match else "of unstated kind"] += 1
    days = sorted(row.retrieved for row in rows.values() if row.retrieved)
    when = f", recorded between {days[0]} and {days[-1]}" if len(set(days)) > 1 else f", recorded on {days[0]}" if days else ""
    if not between:
        return f"No citation link between two papers of the dataset is known yet; {REFRESH_HINT}"
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda item: (-item[1], item[0])))
    undated = sum(1 for row in rows.values() if not row.retrieved)
    undated_text = f" ({undated} with no day recorded)" if undated and days else ""
    return (
        f"{len(between)} citation links between papers are known: {parts}{when}{undated_text}. Each names the page that shows it (hover a link). {REFRESH_HINT}"
    )


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
    """What a node links to, by kind: `cites`/`cited_by` (citation and survey links), `similar` (similar text,
    either direction) for paper graphs; `linked` for the co-author graph. Empty lists are left out."""
    if node not in graph:
        return {}
    if graph.nodes[node].get("kind") == "author":
        return {"linked": sorted(graph.neighbors(node))}
    out: dict[str, list[str]] = {"cites": [], "cited_by": [], "similar": []}
    for a, b, kind in _links(graph, node):
        other = b if a == node else a
        if kind == "similar":
            out["similar"].append(other)
        elif graph.is_directed():
            out["cites" if a == node else "cited_by"].append(other)
    return {name: sorted(set(found)) for name, found in out.items() if found}


def isolated(corpus: Corpus, mode: str, keys: Iterable[str], graph: nx.Graph) -> list[str]:
    """The papers of `keys` that `graph` leaves out for having no link (none in the co-author graph, whose
    nodes are authors), so a page can list them instead of dropping them silently."""
    if mode == "coauthors":
        return []
    return [k for k in keys if k in corpus.by_key and k not in graph]


def build_graph(corpus: Corpus, mode: str, keys: Iterable[str] | None = None) -> nx.Graph:
    """The graph of `mode` (one of MODES) restricted to `keys` (all papers if None); the survey is drawn only
    when its key is among `keys`."""
    keys = list(keys) if keys is not None else None
    if mode == "network":
        return paper_network(corpus, keys)
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
    as (key, how many selected papers cite it), most cited first, then by key. Uses every known edge but the
    survey's: the survey frames the dataset, so it is never a prior or derivative work of a selection."""
    return _rank(_outside_links(corpus, keys, 0), n)


def derivative_works(corpus: Corpus, keys: Iterable[str], n: int = 10) -> list[tuple[str, int]]:
    """Connected Papers' *derivative works*: the dataset papers outside the selection that cite most of it, as
    (key, how many selected papers it cites), most first, then by key; never the survey (see `prior_works`)."""
    return _rank(_outside_links(corpus, keys, 1), n)


def _outside_links(corpus: Corpus, keys: Iterable[str], side: int) -> dict[str, int]:
    """Per paper outside the selection, how many selected papers it is linked to: `side` 0 follows the papers
    the selection cites, 1 the papers citing it. Links to or from the survey do not count."""
    survey = _survey_key(corpus)
    selected = set(keys) - {survey}
    counts: dict[str, int] = {}
    for key in selected:
        for other in corpus.links_of(key)[side]:
            if other not in selected and other != survey:
                counts[other] = counts.get(other, 0) + 1
    return counts
