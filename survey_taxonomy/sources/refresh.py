"""`citations refresh`: the citations between dataset papers, their ids and citation counts, from scholarly indexes.

Terms:
- *fetch*: ask each source for the work of every paper with its references and count (`fetch_citations`);
  all network traffic happens here, before anything is written, so a failing source leaves every file as it was.
- *reported edge*: `citing -> cited` when the source lists the work of `cited` among those the work of `citing`
  cites. Its row in `citations.csv` names the provider, both work ids, the citing work's public page and the
  day the answer was fetched (see `provenance`). A paper that a source knows as two works (arXiv and
  publisher versions, `sources.base.join_versions`) has the references of both: each edge names the version
  that lists it, and a reference to either version counts. Its id and citation count are the publisher
  version's; the report names these papers.
- *merge*: reported edges, ids and counts laid over what the files hold now (`merge_citations`). Hand-curated
  rows are kept as they are. A row of a refreshed provider that it no longer reports is *stale*: kept, and
  removed only with `prune`; the same holds for counts. Ids are set or changed, never removed.
- *diff*: for edges, ids and counts, what was added, changed, unchanged (and stale), printed by the CLI.
- *write*: under the data folder's writers' lock, each file that changed is replaced atomically (`files`); a
  run stopped before the write leaves the old files, and a rerun finds its answers in the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from ..data.abstracts import ABSTRACTS_FILE, Abstract, format_abstracts, read_abstracts
from ..data.bibedit import set_fields
from ..data.corpus import CITATION_COLUMNS, load_corpus, read_citations
from ..data.counts import COUNTS_FILE, PROVIDERS, CitationCount, format_citation_counts, read_citation_counts
from ..data.files import format_table, write_atomic, write_lock
from ..data.records import Citation, Paper
from ..data.words import plural
from ..errors import SurveyDataError
from .base import ScholarlySource

MATCHED_BY = {"arxiv": "arXiv id", "doi": "DOI", "title": "title", "arxiv+doi": "arXiv id and DOI"}  # how a paper was found in an index, as a report says it
EVIDENCE = "scholarly index: {label} lists {cited_id} among the works that {citing_id} cites"


@dataclass(frozen=True)
class Fetched:
    """What the sources reported for the dataset, before it meets the files."""

    providers: tuple[str, ...]
    edges: tuple[Citation, ...]
    ids: dict[str, dict[str, str]]  # key -> {"openalex": ..., "s2": ...}
    counts: tuple[CitationCount, ...]
    abstracts: tuple[Abstract, ...]
    matched: dict[str, dict[str, str]]  # provider -> key -> how it was found (id, arxiv, doi, title)
    unresolved: dict[str, tuple[str, ...]]  # provider -> keys not found
    versions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # provider -> keys found as two works
    notes: tuple[str, ...] = ()  # what a source left out or cut short


@dataclass
class Diff:
    """Added, changed, unchanged and stale items of one kind (edges, ids or counts), as printable lines."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    stale: list[str] = field(default_factory=list)

    def summary(self, name: str, pruned: bool) -> str:
        stale = f", {len(self.stale)} stale {'removed' if pruned else 'kept (--prune removes them)'}" if self.stale else ""
        return f"{name}: {len(self.added)} added, {len(self.changed)} changed, {self.unchanged} unchanged{stale}"


@dataclass
class RefreshReport:
    """What a refresh found and did; `describe()` is what the CLI prints."""

    fetched: Fetched
    edges: Diff
    ids: Diff
    counts: Diff
    abstracts: Diff
    prune: bool
    dry_run: bool
    written: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(d.added or d.changed or (self.prune and d.stale) for d in (self.edges, self.ids, self.counts, self.abstracts))

    def describe(self) -> str:
        lines = []
        for provider in self.fetched.providers:
            how: dict[str, int] = {}
            for kind in self.fetched.matched[provider].values():
                how[kind] = how.get(kind, 0) + 1
            missing = self.fetched.unresolved[provider]
            found = ", ".join(f"{n} by {MATCHED_BY.get(kind, kind)}" for kind, n in sorted(how.items()))
            lines.append(f"{PROVIDERS[provider]}: {plural(len(self.fetched.matched[provider]), 'paper')} found ({found or 'none'}), {len(missing)} not found")
            if missing:
                lines.append("  not found: " + ", ".join(missing))
            if two := self.fetched.versions.get(provider):
                lines.append(
                    f"  {plural(len(two), 'paper')} found as two works (arXiv and publisher versions): the references of both are used;"
                    " the id and citation count are the publisher version's"
                )
                lines.append("  two versions: " + ", ".join(two))
        lines += [f"note: {note}" for note in self.fetched.notes]
        for name, diff in (("edges", self.edges), ("ids", self.ids), ("citation counts", self.counts), ("abstracts", self.abstracts)):
            lines.append(diff.summary(name, self.prune))
            lines += [f"  + {line}" for line in diff.added] + [f"  ~ {line}" for line in diff.changed]
            lines += [f"  {'-' if self.prune else '?'} {line}" for line in diff.stale]
        if self.dry_run:
            lines.append("dry run: nothing written")
        else:
            lines.append("wrote " + ", ".join(self.written) if self.written else "nothing changed")
        return "\n".join(lines)


def fetch_citations(papers: Sequence[Paper], sources: Sequence[ScholarlySource]) -> Fetched:
    """Ask every source for the papers' works, references and counts. Raises `SourceError` when one fails."""
    edges: list[Citation] = []
    ids: dict[str, dict[str, str]] = {}
    counts: list[CitationCount] = []
    abstracts: list[Abstract] = []
    matched: dict[str, dict[str, str]] = {}
    versions: dict[str, tuple[str, ...]] = {}
    for source in sources:
        found = source.resolve(papers)
        key_of = {work_id: key for key, work in found.items() for work_id in work.ids}
        for key, work in found.items():
            ids.setdefault(key, {})[source.id_field] = work.id
            day = work.retrieved.isoformat() if work.retrieved else ""
            if work.citation_count is not None:
                counts.append(CitationCount(key, source.name, work.id, work.citation_count, day))
            if work.abstract:  # cleaned where the source built the record (`abstracts.plain_abstract`)
                abstracts.append(Abstract(key, source.name, work.id, day, work.abstract))
            seen: set[str] = set()
            for ref in dict.fromkeys(work.references or ()):
                cited = key_of.get(ref)
                if cited is not None and cited != key and cited not in seen:
                    seen.add(cited)  # one edge per pair, from the first version that lists it
                    citing_id = work.listed_by(ref)
                    evidence = EVIDENCE.format(label=source.label, cited_id=ref, citing_id=citing_id)
                    edges.append(Citation(key, cited, source.work_url(citing_id), evidence, source.name, citing_id, ref, day))
        matched[source.name] = {key: work.matched_by for key, work in found.items()}
        versions[source.name] = tuple(sorted(key for key, work in found.items() if work.versions))
    providers = tuple(s.name for s in sources)
    unresolved = {name: tuple(p.key for p in papers if p.key not in matched[name]) for name in providers}
    notes = tuple(note for source in sources for note in source.notes)
    return Fetched(providers, tuple(edges), ids, tuple(counts), tuple(abstracts), matched, unresolved, versions, notes)


def _edge_line(c: Citation) -> str:
    return f"{c.citing} -> {c.cited} ({c.provider} {c.citing_id} -> {c.cited_id}, {c.retrieved})"


def merge_citations(
    fetched: Fetched, citations: Sequence[Citation], counts: Sequence[CitationCount], papers: Sequence[Paper], prune: bool
) -> tuple[list[Citation], list[CitationCount], dict[str, dict[str, str]], Diff, Diff, Diff]:
    """The new rows of both files and the id updates, with their diffs (see the module docstring)."""
    refreshed = set(fetched.providers)
    edges_diff, ids_diff, counts_diff = Diff(), Diff(), Diff()
    old = {(c.citing, c.cited, c.provider): c for c in citations if c.provider}
    new = {(c.citing, c.cited, c.provider): c for c in fetched.edges}
    for edge, row in new.items():
        if edge not in old:
            edges_diff.added.append(_edge_line(row))
        elif old[edge] != row:
            edges_diff.changed.append(_edge_line(row))
        else:
            edges_diff.unchanged += 1
    stale = {key: row for key, row in old.items() if key not in new and row.provider in refreshed}
    edges_diff.stale = [_edge_line(row) for row in stale.values()]
    kept = {key: row for key, row in old.items() if key not in new and (key not in stale or not prune)}
    api_rows = sorted({**kept, **new}.values(), key=lambda c: (c.citing, c.cited, c.provider))
    rows = [c for c in citations if not c.provider] + api_rows

    by_key = {p.key: p for p in papers}
    updates: dict[str, dict[str, str]] = {}
    for key, found in sorted(fetched.ids.items()):
        paper = by_key.get(key)
        for name, value in found.items():
            if paper is None:
                continue
            before = getattr(paper, name)
            if before == value:
                ids_diff.unchanged += 1
                continue
            (ids_diff.changed if before else ids_diff.added).append(f"{key} {name} = {value}" + (f" (was {before})" if before else ""))
            updates.setdefault(key, {})[name] = value

    merged_counts, counts_diff = merge_per_paper(counts, fetched.counts, refreshed, prune, lambda c: f"{c.key}: {c.label}", lambda c: f" (was {c.count})")
    return rows, merged_counts, updates, edges_diff, ids_diff, counts_diff


class PerPaper(Protocol):
    """A row kept per paper and provider: a citation count or an abstract."""

    @property
    def key(self) -> str: ...

    @property
    def provider(self) -> str: ...


R = TypeVar("R", bound=PerPaper)


def merge_per_paper(
    old: Sequence[R], new: Sequence[R], refreshed: set[str], prune: bool, line: Callable[[R], str], was: Callable[[R], str]
) -> tuple[list[R], Diff]:
    """Rows of `new` laid over `old` by (key, provider), with their diff: an old row of a refreshed provider that
    `new` lacks is stale, kept unless `prune`. `line` and `was` word a row and the row it replaces for the diff."""
    diff = Diff()
    before = {(r.key, r.provider): r for r in old}
    after = {(r.key, r.provider): r for r in new}
    for slot, row in after.items():
        if slot not in before:
            diff.added.append(line(row))
        elif before[slot] != row:
            diff.changed.append(line(row) + was(before[slot]))
        else:
            diff.unchanged += 1
    stale = {slot: r for slot, r in before.items() if slot not in after and r.provider in refreshed}
    diff.stale = [line(r) for r in stale.values()]
    kept = [r for slot, r in before.items() if slot not in after and (slot not in stale or not prune)]
    return kept + list(after.values()), diff


def format_citations(rows: Iterable[Citation]) -> str:
    """The text of `citations.csv` with every column of `CITATION_COLUMNS`."""
    return format_table(CITATION_COLUMNS, ((c.citing, c.cited, c.source, c.evidence, c.provider, c.citing_id, c.cited_id, c.retrieved) for c in rows))


def refresh_citations(data_dir: str | Path, sources: Sequence[ScholarlySource], *, dry_run: bool = False, prune: bool = False) -> RefreshReport:
    """Fetch from `sources`, merge into the data folder's files and write those that changed (not with `dry_run`).

    Raises `SourceError` (nothing written) when a source fails, `SurveyDataError` when the files have problems
    a rewrite would lose (fix them first: `validate` names them), `DataWriteError` when the folder is not writable.
    """
    data = Path(data_dir)
    corpus = load_corpus(data)
    unreadable = [p for p in corpus.problems if p.source in ("citations.csv", COUNTS_FILE, ABSTRACTS_FILE) and p.severity == "error" and p.line is not None]
    if unreadable:
        raise SurveyDataError(f"{unreadable[0]}; fix the rows that `python -m survey_taxonomy validate` names before a refresh rewrites the file")
    fetched = fetch_citations(corpus.papers, sources)
    paths = {"bib": data / "papers.bib", "citations": data / "citations.csv", "counts": data / COUNTS_FILE, "abstracts": data / ABSTRACTS_FILE}
    with write_lock(paths["bib"]):
        targets = {name: path.resolve() for name, path in paths.items()}
        old = {name: target.read_text(encoding="utf-8") if target.exists() else "" for name, target in targets.items()}
        citations, problems = read_citations(targets["citations"])
        counts, count_problems = read_citation_counts(targets["counts"])
        abstracts, abstract_problems = read_abstracts(targets["abstracts"])
        if problems or count_problems or abstract_problems:
            raise SurveyDataError(f"{(problems + count_problems + abstract_problems)[0]}; fix it first (nothing was written)")
        papers = load_corpus(data).papers  # the file as it is now, under the lock
        rows, merged_counts, updates, edges, ids, count_diff = merge_citations(fetched, citations, counts, papers, prune)
        merged_abstracts, abstract_diff = merge_per_paper(
            abstracts, fetched.abstracts, set(fetched.providers), prune, lambda a: f"{a.key}: {a.label}", lambda a: f" (was fetched {a.retrieved})"
        )
        report = RefreshReport(fetched, edges, ids, count_diff, abstract_diff, prune, dry_run)
        new = {
            "bib": set_fields(old["bib"], updates, paths["bib"].name) if updates else old["bib"],
            "citations": format_citations(rows) if (edges.added or edges.changed or (prune and edges.stale)) else old["citations"],
            "counts": format_citation_counts(merged_counts) if merged_counts or old["counts"] else "",
            "abstracts": format_abstracts(merged_abstracts) if merged_abstracts or old["abstracts"] else "",
        }
        for name, text in new.items():
            if text != old[name] and not dry_run:
                write_atomic(targets[name], text)
                report.written.append(paths[name].name)
    return report
