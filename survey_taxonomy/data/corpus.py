"""The corpus: the taxonomy, the papers and the citation edges, checked together, as objects and a frame.

Terms:
- *edge*: `citing -> cited`, both dataset keys. Edges come from `citations.csv` (each with the public
  source that shows it, and for those a scholarly index reported, its provider, work ids and retrieval day;
  see `provenance`), from `cites` fields, and implicitly from `relation` (the survey cites every
  `cited-by-survey` paper; every `cites-survey` paper cites the survey).
- *counts*: per paper and provider, how many works cite it (`citation_counts.csv`, written by the refresh).
- *signature*: a value computed from everything a corpus was built from (taxonomy, papers, citations, counts,
  abstracts), so that a view cached under it can never outlive a change of any input file.
- *topics* are normalised once, here (`words.topic_labels`): one display form per case-folded topic.
- *frame*: one row per paper with list columns kept as tuples and precomputed lowercase text columns
  (`search_text`, `taxonomy_text`, `topics_text`, `relations_text`) so that filters are vectorised string tests, and
  `sort_rank`, the row's place in the explorer's order (newest first, then by title), so that ordering a
  selection is an integer argsort instead of a two-key sort of every column.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SurveyDataError
from .abstracts import ABSTRACTS_FILE, Abstract, read_abstracts
from .acceptance import check_papers
from .bibliography import load_bibliography
from .counts import COUNTS_FILE, CitationCount, check_provenance, read_citation_counts
from .files import read_table
from .records import Citation, Paper, Problem
from .taxonomy import Taxonomy, load_taxonomy
from .words import stem_text, topic_key, topic_labels

# The last four are the provenance of an edge a scholarly index reported; empty in hand-curated rows, and
# absent from files written before them, which stay valid.
CITATION_COLUMNS = ("citing", "cited", "source", "evidence", "provider", "citing_id", "cited_id", "retrieved")
DATA_FILES = ("taxonomy.yaml", "papers.bib", "citations.csv", COUNTS_FILE, ABSTRACTS_FILE)  # what `load_corpus` reads (`files_signature`)
UNCLASSIFIED = "Unclassified"


@dataclass(frozen=True)
class Corpus:
    """Everything the app shows; build it with `load_corpus` or `build_corpus`.

    Derived views (`by_key`, `survey`, the edges) are computed once per corpus: pages ask for them on
    every rerun and for every row, which at 10k papers would otherwise cost seconds.
    """

    taxonomy: Taxonomy
    papers: tuple[Paper, ...]
    citations: tuple[Citation, ...] = ()
    problems: tuple[Problem, ...] = ()
    frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    counts: tuple[CitationCount, ...] = ()
    abstracts: tuple[Abstract, ...] = ()

    def __len__(self) -> int:
        return len(self.papers)

    @cached_property
    def by_key(self) -> dict[str, Paper]:
        return {p.key: p for p in self.papers}

    def get(self, key: str) -> Paper | None:
        return self.by_key.get(key)

    @cached_property
    def signature(self) -> tuple[int, ...]:
        """A value that changes whenever any input does (taxonomy, papers, citations, counts, abstracts): what
        caches of derived views are keyed on (never `id()`, which Python reuses once a corpus is gone). The
        graph, the retriever and the classifier all read the taxonomy, so a signature without it served an old
        tree after `taxonomy.yaml` was edited."""
        tax = self.taxonomy
        return (
            len(self.papers),
            hash(self.papers),
            hash(self.citations),
            hash((tuple(tax.nodes.items()), tax.roots, repr(sorted(tax.survey.items())))),
            hash(self.counts),
            hash(self.abstracts),
        )

    @cached_property
    def topics(self) -> frozenset[str]:
        """Every topic some paper carries, in its display form: the values the topic filter accepts."""
        return frozenset(t for p in self.papers for t in p.topics)

    def topic(self, name: str) -> str | None:
        """The display form of the topic `name` names in any case or spacing (an older link's "Model Routing"),
        or None when no paper carries it."""
        return self._topic_forms.get(topic_key(name))

    @cached_property
    def _topic_forms(self) -> dict[str, str]:
        return {topic_key(t): t for t in self.topics}

    @cached_property
    def venue_names(self) -> frozenset[str]:
        """Every venue name of the frame: the values the venue filter accepts."""
        return frozenset(self.frame["venue_name"]) if "venue_name" in self.frame else frozenset()

    @cached_property
    def survey(self) -> Paper | None:
        return next((p for p in self.papers if p.relation == "survey"), None)

    def edges(self) -> list[tuple[str, str]]:
        """All known citation edges (citing, cited) between dataset papers, without repeats."""
        return list(self._edges)

    def links_of(self, key: str) -> tuple[list[str], list[str]]:
        """(keys this paper cites, keys that cite it) within the dataset."""
        cites, cited_by = self._links.get(key, ((), ()))
        return list(cites), list(cited_by)

    @cached_property
    def _edges(self) -> tuple[tuple[str, str], ...]:
        out: dict[tuple[str, str], None] = {}
        survey = self.survey
        keys = self.by_key
        for p in self.papers:
            if survey is not None and p.relation == "cited-by-survey":
                out[(survey.key, p.key)] = None
            if survey is not None and p.relation == "cites-survey":
                out[(p.key, survey.key)] = None
            for cited in p.cites:
                if cited in keys:
                    out[(p.key, cited)] = None
        return tuple(out)

    @cached_property
    def _links(self) -> dict[str, tuple[list[str], list[str]]]:
        """Per key, its out- and in-neighbours in edge order (what `links_of` used to find by scanning the edges)."""
        links: dict[str, tuple[list[str], list[str]]] = {}
        for a, b in self._edges:
            links.setdefault(a, ([], []))[0].append(b)
            links.setdefault(b, ([], []))[1].append(a)
        return links

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def category_of(taxonomy: Taxonomy, paper: Paper) -> str:
    return taxonomy.category(paper.taxonomy[0]) if paper.taxonomy and paper.taxonomy[0] in taxonomy else UNCLASSIFIED


def build_frame(papers: Sequence[Paper], taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per paper; list fields as tuples, plus lowercase text columns for fast filtering."""
    relations = survey_relations(papers)
    rows: dict[str, Any] = {  # column -> values (lists, and a nullable integer array for `year`)
        "key": [p.key for p in papers],
        "title": [p.title for p in papers],
        "authors": [p.authors for p in papers],
        "authors_text": [", ".join(p.authors) for p in papers],
        "year": pd.array([p.year for p in papers], dtype="Int64"),
        "venue": [p.venue for p in papers],
        "venue_name": [venue_name(p.venue) for p in papers],
        "relation": [p.relation for p in papers],
        "taxonomy": [p.taxonomy for p in papers],
        "topics": [p.topics for p in papers],
        "category": [category_of(taxonomy, p) for p in papers],
        "arxiv": [p.arxiv for p in papers],
        "doi": [p.doi for p in papers],
        "url": [p.link for p in papers],
        "code": [p.code for p in papers],
        "has_code": [bool(p.code) for p in papers],
        "summary": [p.summary for p in papers],
        "cites": [p.cites for p in papers],
        "taxonomy_text": ["|" + "|".join(p.taxonomy) + "|" for p in papers],
        "topics_text": ["|" + "|".join(topic_key(t) for t in p.topics) + "|" for p in papers],
        "relations": relations,
        "relations_text": ["|" + "|".join(r) + "|" for r in relations],
        "search_text": [" ".join((p.key, p.title, " ".join(p.authors), p.summary, " ".join(p.topics), p.venue)).lower() for p in papers],
    }
    rows["search_stems"] = [stem_text(text) for text in rows["search_text"]]
    frame = pd.DataFrame(rows, index=pd.Index(rows["key"], name="_key"))
    order = frame.reset_index(drop=True).sort_values(["year", "title"], ascending=[False, True], na_position="last").index.to_numpy()
    rank = np.empty(len(frame), dtype=np.int64)
    rank[order] = np.arange(len(frame))
    frame["sort_rank"] = rank
    return frame


def survey_relations(papers: Sequence[Paper]) -> list[tuple[str, ...]]:
    """Per paper, its `relation` and, when a citation edge links it to the survey the other way too,
    "cites-survey" or "cited-by-survey": the rule of `Corpus._edges` (a relation is an edge, and so is a key in
    `cites`), read per paper. Papers need their `cites` joined with citations.csv first (`build_corpus`)."""
    survey = next((p for p in papers if p.relation == "survey"), None)
    out: list[tuple[str, ...]] = []
    for p in papers:
        relations: list[str] = [p.relation]
        if survey is not None and p is not survey:
            if survey.key in p.cites and p.relation != "cites-survey":
                relations.append("cites-survey")
            if p.key in survey.cites and p.relation != "cited-by-survey":
                relations.append("cited-by-survey")
        out.append(tuple(relations))
    return out


def normal_topics(papers: Sequence[Paper]) -> list[Paper]:
    """The papers with every topic in its one display form (`words.topic_labels`), repeats within a paper
    dropped; papers whose topics are already so are returned as they are."""
    spellings = Counter(t for p in papers for t in p.topics)  # each spelling is labelled once, however many papers use it
    labels = topic_labels(spellings.elements())
    shown = {t: labels.get(topic_key(t), "") for t in spellings}
    normal: dict[tuple[str, ...], tuple[str, ...]] = {}  # papers share their topic tuples: each is rebuilt once
    out = []
    for p in papers:
        if p.topics not in normal:
            normal[p.topics] = tuple(dict.fromkeys(shown[t] for t in p.topics if shown[t]))
        topics = normal[p.topics]
        out.append(p if topics == p.topics else replace(p, topics=topics))
    return out


_YEAR_AT_END = re.compile(r"\s+\d{4}(\s+\([^()]*\))?$")  # see `venue_name`


def venue_name(venue: str) -> str:
    """The venue without its year, for the venue facet: a year at the end goes, and so does a year followed by the
    edition's details in brackets at the end (a workshop's number, a journal's volume). A year inside a name stays.

    >>> venue_name("Findings of ACL 2024"), venue_name("arXiv 2023"), venue_name("")
    ('Findings of ACL', 'arXiv', '')
    >>> venue_name("PVLDB 2025 (Proc. VLDB Endowment, Vol. 18, No. 11)"), venue_name("NeurIPS 2022 Datasets and Benchmarks")
    ('PVLDB', 'NeurIPS 2022 Datasets and Benchmarks')
    """
    return _YEAR_AT_END.sub("", " ".join(venue.split()))


def read_citations(path: Path) -> tuple[list[Citation], list[Problem]]:
    """Read `citations.csv`; a missing file means no extra edges (files with only the first four columns are valid)."""
    rows, problems = read_table(path, CITATION_COLUMNS, required=CITATION_COLUMNS[:3])
    citations = []
    for line, row in rows:
        citing, cited, source = (row[c] for c in CITATION_COLUMNS[:3])
        if not (citing and cited and source):
            problems.append(Problem("needs citing, cited and source", path.name, line, hint="every edge names the page that shows it"))
            continue
        provider, citing_id, cited_id, retrieved = (row[c] for c in CITATION_COLUMNS[4:])
        if provider and (why := check_provenance(provider, [("citing_id", citing_id), ("cited_id", cited_id)], retrieved)):
            problems.append(Problem(why, path.name, line, citing, "provider", "rerun `python -m survey_taxonomy citations refresh`"))
            continue
        citations.append(Citation(citing, cited, source, row["evidence"], provider, citing_id, cited_id, retrieved))
    return citations, problems


def check_corpus(taxonomy: Taxonomy, papers: Sequence[Paper], citations: Iterable[Citation], source: str) -> list[Problem]:
    """Problems that need the whole dataset: the acceptance rule over all papers as one batch (field rules,
    taxonomy ids, `cites` keys, repeated identifiers or titles as warnings), unknown keys in edges, no survey entry."""
    problems = check_papers(papers, set(taxonomy.nodes), source=source, strict=False, near_titles=False)
    keys = {p.key for p in papers}
    for c in citations:
        for role, key in (("citing", c.citing), ("cited", c.cited)):
            if key not in keys:
                problems.append(Problem(f"{role} key {key!r} is not in the dataset", "citations.csv", None, key, role, "fix the key or add the paper"))
    if not any(p.relation == "survey" for p in papers):
        problems.append(Problem("no entry has relation = survey", source, hint="add the survey's own entry", severity="warning"))
    return problems


def build_corpus(
    taxonomy: Taxonomy,
    papers: Sequence[Paper],
    citations: Sequence[Citation] = (),
    problems: Sequence[Problem] = (),
    source: str = "papers.bib",
    counts: Sequence[CitationCount] = (),
    abstracts: Sequence[Abstract] = (),
) -> Corpus:
    """Join papers with the edges of `citations`, check everything (and that counts and abstracts name known keys),
    and build the frame."""
    extra: dict[str, list[str]] = {}
    for c in citations:
        extra.setdefault(c.citing, []).append(c.cited)
    joined = normal_topics([replace(p, cites=tuple(dict.fromkeys([*p.cites, *extra.get(p.key, [])]))) if p.key in extra else p for p in papers])
    all_problems = [*problems, *check_corpus(taxonomy, joined, citations, source)]
    keys = {p.key for p in papers}
    for name, rows in ((COUNTS_FILE, counts), (ABSTRACTS_FILE, abstracts)):
        all_problems += [Problem(f"key {r.key!r} is not in the dataset", name, None, r.key, "key", "rerun the refresh") for r in rows if r.key not in keys]
    return Corpus(taxonomy, tuple(joined), tuple(citations), tuple(all_problems), build_frame(joined, taxonomy), tuple(counts), tuple(abstracts))


def files_signature(data_dir: str | Path) -> tuple[tuple[str, int | None, int | None], ...]:
    """(path, size, mtime) of every file `load_corpus` reads: what a cache of loaded corpora is keyed on (atlas_ui.cache)."""
    out: list[tuple[str, int | None, int | None]] = []
    for path in (Path(data_dir) / name for name in DATA_FILES):
        try:
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append((str(path), None, None))
    return tuple(out)


def load_corpus(data_dir: str | Path, extra_papers: Sequence[Paper] = ()) -> Corpus:
    """Load taxonomy, papers and citations from `data_dir` (`Settings.data_dir`), plus `extra_papers` (approved
    submissions). Every call parses the files: the caller caches (the app in atlas_ui.cache, keyed on `files_signature`);
    the CLI loads once per command.
    """
    data = Path(data_dir)
    if not data.is_dir():
        raise SurveyDataError(f"{data} is not a folder; set SURVEY_DATA_DIR (or --data) to the folder with papers.bib and taxonomy.yaml")
    paths = tuple(data / name for name in DATA_FILES)
    taxonomy = load_taxonomy(paths[0])
    parsed = load_bibliography(paths[1])
    citations, cite_problems = read_citations(paths[2])
    counts, count_problems = read_citation_counts(paths[3])
    abstracts, abstract_problems = read_abstracts(paths[4])
    problems = [*parsed.problems, *cite_problems, *count_problems, *abstract_problems]
    base = build_corpus(taxonomy, parsed.papers, citations, problems, counts=counts, abstracts=abstracts)
    known = set(base.by_key)
    extra = [p for p in extra_papers if p.key not in known]
    if not extra:
        return base
    papers = tuple(normal_topics([*base.papers, *extra]))  # checked when they were approved; the dataset's problems stay its own
    return Corpus(base.taxonomy, papers, base.citations, base.problems, build_frame(papers, base.taxonomy), base.counts, base.abstracts)
