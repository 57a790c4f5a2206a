"""Where the citation data come from: each edge's provenance, each paper's citation count, and their freshness.

Terms:
- *provider*: a scholarly index that `citations refresh` asks (`PROVIDERS`); an edge or count from one names it,
  with the work ids it read and the day the answer was fetched (`retrieved`, YYYY-MM-DD).
- *hand-curated edge*: a row of `citations.csv` without a provider, found by a person on a public page; a
  refresh never changes or removes one.
- *implicit edge*: one that follows from `relation` (the survey cites every `cited-by-survey` paper; every
  `cites-survey` paper cites the survey); its provenance is the survey's paper list or citation network.
- *citation count*: how many works cite a paper according to one provider on one day (`citation_counts.csv`).
- *freshness*: per provider, the last day its answers were fetched, and how many edges and counts rest on it.

Nothing here touches the network; the files are written by `refresh`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .corpus import Corpus
from .counts import PROVIDERS, CitationCount
from .records import Citation


@dataclass(frozen=True)
class Freshness:
    """When and how much one provider last contributed to the citation data."""

    provider: str
    label: str
    retrieved: str  # the latest retrieval day of its edges and counts
    edges: int
    counts: int

    def describe(self) -> str:
        return f"{self.label}, fetched {self.retrieved}: {self.edges} edges, {self.counts} citation counts"


def citation_counts(corpus: Corpus, key: str) -> list[CitationCount]:
    """The counts of paper `key`, one per provider, highest first (empty when no refresh has counted it)."""
    return sorted((c for c in corpus.counts if c.key == key), key=lambda c: (-c.count, c.provider))


def edge_provenance(corpus: Corpus, citing: str, cited: str, recorded: Sequence[Citation] | None = None) -> list[Citation]:
    """Every record of the edge `citing -> cited`: rows of `citations.csv` (hand-curated or from a provider;
    `recorded` when the caller has them already), then the implicit edge of `relation`, if any. Empty when the
    corpus has no such edge.
    """
    rows = list(recorded) if recorded is not None else [c for c in corpus.citations if c.citing == citing and c.cited == cited]
    survey = corpus.survey
    paper = corpus.get(citing if survey is not None and cited == survey.key else cited)
    if survey is not None and paper is not None:
        if citing == survey.key and paper.relation == "cited-by-survey":
            rows.append(Citation(citing, cited, survey.link, "relation: in the survey's own paper list (cited-by-survey)"))
        elif cited == survey.key and paper.relation == "cites-survey":
            rows.append(Citation(citing, cited, survey.link, "relation: in the citation network of the survey's public page (cites-survey)"))
    if not rows and citing in corpus.by_key and cited in corpus.by_key[citing].cites:
        rows.append(Citation(citing, cited, "papers.bib", f"the `cites` field of {citing}"))
    return rows


def freshness(corpus: Corpus) -> list[Freshness]:
    """Per provider that contributed edges or counts, when its answers were last fetched; [] before any refresh."""
    out = []
    for provider, label in PROVIDERS.items():
        edges = [c.retrieved for c in corpus.citations if c.provider == provider]
        counts = [c.retrieved for c in corpus.counts if c.provider == provider]
        if edges or counts:
            out.append(Freshness(provider, label, max(edges + counts), len(edges), len(counts)))
    return out


def edge_note(corpus: Corpus, citing: str, cited: str) -> str:
    """One line on where an edge comes from, for a hover: "OpenAlex, 2026-11-30", or the page a person read.

    >>> from survey_taxonomy.data.records import Citation
    >>> class _C:  # the two attributes edge_provenance reads of a corpus
    ...     citations = (Citation("a", "b", "https://arxiv.org/abs/1", "reference list: entry [3]"),)
    ...     survey, by_key = None, {}
    ...     def get(self, key): return None
    >>> edge_note(_C(), "a", "b")
    'reference list: entry [3] (https://arxiv.org/abs/1)'
    """
    return _note(edge_provenance(corpus, citing, cited))


def edge_notes(corpus: Corpus, edges: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """`edge_note` of many edges: the rows of `citations.csv` are grouped once, where asking `edge_note` per edge
    scans them all each time (10,000 edges × 10,000 rows at 10k papers)."""
    recorded: dict[tuple[str, str], list[Citation]] = {}
    for row in corpus.citations:
        recorded.setdefault((row.citing, row.cited), []).append(row)
    return {(a, b): _note(edge_provenance(corpus, a, b, recorded.get((a, b), []))) for a, b in edges}


def _note(rows: Iterable[Citation]) -> str:
    notes = []
    for row in rows:
        if row.provider:
            notes.append(f"{PROVIDERS.get(row.provider, row.provider)}, {row.retrieved}")
        else:
            notes.append(f"{row.evidence} ({row.source})" if row.source else row.evidence)
    return "; ".join(dict.fromkeys(notes)) or "source not recorded"


def describe_sources(corpus: Corpus) -> str:
    """Where the citation links come from and how fresh they are, in one sentence for a caption."""
    curated = sum(1 for c in corpus.citations if not c.provider)
    fresh = freshness(corpus)
    parts = [f"{curated} hand-curated from public pages (each names its page)"]
    parts += [f.describe() for f in fresh]
    tail = "" if fresh else "; no scholarly index refreshed yet (the maintainers' citations refresh command fills them in online)"
    return "Citation links beyond the survey's own lists: " + "; ".join(parts) + tail + "."


def highest_counts(corpus: Corpus) -> dict[str, int]:
    """Per paper, the highest citation count any provider gave (papers never counted are left out)."""
    out: dict[str, int] = {}
    for count in corpus.counts:
        out[count.key] = max(out.get(count.key, 0), count.count)
    return out
