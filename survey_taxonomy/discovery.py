"""`discover`: papers the dataset lacks, found in the scholarly indexes, triaged by the small model, queued for review.

Terms:
- *candidate*: a work that is not a dataset paper and either cites the survey, cites at least `min_links`
  dataset papers (*derivative*), or is cited by at least `min_links` dataset papers (*prior work*); with
  `since`, only works published on or after that day.
- *evidence*: which dataset papers the candidate cites and which cite it, per the source that said so; stored
  with the submission for the reviewer (`Submission.evidence`).
- *triage*: the category classifier (`models.category`, trained on the dataset, offline) suggests the
  taxonomy node and its probability; the top node becomes the draft's node, the three best go in the evidence.
- *queue*: each candidate that passes the acceptance rule (`acceptance.check_papers`, applied by
  `SubmissionStore.submit` against the dataset and the open submissions) becomes a pending submission with
  origin `discovered`. Candidates that `acceptance.find_duplicates` finds among the dataset and every stored
  submission, a rejected one included, are skipped, so no run queues a paper twice.

Candidates need an author list and an abstract to become a valid draft; those without are reported, not queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .acceptance import find_duplicates
from .config import Settings
from .corpus import Corpus
from .errors import SubmissionError
from .records import Paper
from .sources.base import ScholarlySource, Work
from .submissions import Draft, SubmissionStore

ORIGIN = "discovered"


@dataclass
class Candidate:
    """A work worth a reviewer's look, with the dataset papers it cites and that cite it."""

    work: Work
    cites: list[str] = field(default_factory=list)
    cited_by: list[str] = field(default_factory=list)
    cites_survey: bool = False

    def reasons(self, min_links: int) -> list[str]:
        out = ["cites the survey"] if self.cites_survey else []
        if len(self.cites) >= min_links:
            out.append(f"cites {len(self.cites)} dataset papers")
        if len(self.cited_by) >= min_links:
            out.append(f"is cited by {len(self.cited_by)} dataset papers")
        return out


@dataclass
class DiscoverReport:
    """What `discover` found and queued; `describe()` is what the CLI prints."""

    found: int = 0
    queued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would queue" if self.dry_run else "queued"
        lines = [f"{self.found} candidates found, {len(self.queued)} {verb} for review, {len(self.skipped)} skipped"]
        lines += [f"  + {line}" for line in self.queued] + [f"  - {line}" for line in self.skipped]
        return "\n".join(lines)


def _published_since(work: Work, since: date | None) -> bool:
    if since is None:
        return True
    return (work.date or f"{work.year or 0:04d}-12-31") >= since.isoformat()


def find_candidates(corpus: Corpus, source: ScholarlySource, *, min_links: int = 2, since: date | None = None) -> list[Candidate]:
    """Candidates from one source (see the module docstring), strongest evidence first. Raises `SourceError`."""
    found = source.resolve(corpus.papers)
    key_of = {work.id: key for key, work in found.items()}
    survey = corpus.survey
    survey_id = found[survey.key].id if survey is not None and survey.key in found else ""
    candidates: dict[str, Candidate] = {}
    for work in source.citing(sorted(key_of), since):
        if work.id in key_of or not _published_since(work, since):
            continue
        cites = [key_of[r] for r in dict.fromkeys(work.references or ()) if r in key_of]
        candidate = Candidate(work, cites=cites, cites_survey=survey_id in (work.references or ()))
        if candidate.reasons(min_links):
            candidates[work.id] = candidate
    cited_by: dict[str, list[str]] = {}
    for key, work in found.items():
        for ref in dict.fromkeys(work.references or ()):
            if ref not in key_of:
                cited_by.setdefault(ref, []).append(key)
    prior = [ref for ref, keys in cited_by.items() if len(keys) >= min_links]
    for work_id, work in source.works(prior).items():
        if _published_since(work, since):
            candidate = candidates.setdefault(work_id, Candidate(work))
            candidate.cited_by = cited_by[work_id]
    return sorted(candidates.values(), key=lambda c: (-(len(c.cites) + len(c.cited_by) + 2 * c.cites_survey), c.work.title))


def _probe(work: Work) -> Paper:
    """What the duplicate check compares of a work: its identifiers and title."""
    return Paper(key=work.id, title=work.title, arxiv=work.arxiv, doi=work.doi)


def candidate_paper(candidate: Candidate, node: str) -> Paper:
    """The draft paper of a candidate under taxonomy `node`; its summary is the source's TL;DR or first sentence."""
    work = candidate.work
    link = f"https://arxiv.org/abs/{work.arxiv}" if work.arxiv else f"https://doi.org/{work.doi}" if work.doi else ""
    return Paper(
        key="discovered",
        title=work.title,
        authors=work.authors,
        year=work.year,
        entry_type="misc",
        arxiv=work.arxiv,
        doi="" if work.doi.startswith("10.48550/") else work.doi,
        url=link,
        taxonomy=(node,),
        relation="community",
        summary=work.gist,
        note=f"Found by `discover` in {work.source} ({work.id}); summary taken from the source's abstract or TL;DR, to be rewritten.",
    )


def queue_candidates(
    candidates: Sequence[Candidate],
    corpus: Corpus,
    store: SubmissionStore,
    settings: Settings,
    *,
    min_links: int = 2,
    dry_run: bool = False,
    suggest: Callable[[str, str], list[tuple[str, float]]] | None = None,
) -> DiscoverReport:
    """Triage each candidate and store it as a pending `discovered` submission, unless the store or the dataset
    already has it; `suggest(title, summary)` defaults to the dataset's category classifier."""
    if suggest is None:
        from .models.category import classifier_for  # scikit-learn and the embeddings load only when discovering

        suggest = classifier_for(corpus).suggest
    report = DiscoverReport(found=len(candidates), dry_run=dry_run)
    known = [*corpus.papers, *(Paper(key=f"submission #{s.id}", title=s.title, arxiv=s.paper.arxiv, doi=s.paper.doi) for s in store.find())]
    for candidate in candidates:
        work = candidate.work
        label = f"{work.title[:80]} ({work.source} {work.id})"
        exact = [m for m in find_duplicates([_probe(work)], known)[0] if m.is_exact]
        if exact:
            report.skipped.append(f"{label}: already known, {exact[0].describe()}")
            continue
        if not work.authors or not work.gist:
            report.skipped.append(f"{label}: the source gives no {'authors' if not work.authors else 'abstract'}, so no valid entry can be drafted")
            continue
        suggestions = suggest(work.title, work.gist)
        node, confidence = suggestions[0]
        reasons = candidate.reasons(min_links)
        evidence = {
            "source": work.source,
            "work_id": work.id,
            "retrieved": work.retrieved.isoformat() if work.retrieved else "",
            "cites": candidate.cites,
            "cited_by": candidate.cited_by,
            "cites_survey": candidate.cites_survey,
            "reasons": reasons,
            "suggested": [[n, round(p, 3)] for n, p in suggestions],
            "citation_count": work.citation_count,
        }
        why = f"Discovered in {work.source}: {', '.join(reasons)}. Suggested node {node} (p = {confidence:.2f})."
        paper = candidate_paper(candidate, node)
        draft = Draft(paper, why=why[:1000], source="discover", label=work.id, cites=tuple(candidate.cites), origin=ORIGIN, evidence=evidence)
        if dry_run:
            report.queued.append(f"{label} -> {node} ({confidence:.2f}): {', '.join(reasons)}")
            continue
        try:
            result = store.submit([draft], corpus, session="discover", per_minute=None, max_pending=settings.max_pending, source="discover")
        except SubmissionError as exc:  # the review queue is full: stop, the rest waits for the next run
            report.skipped.append(f"{label}: {exc}")
            break
        if not result.ok:
            report.skipped.append(f"{label}: {result.errors[0]}")
            continue
        stored = result.submissions[0]
        known.append(Paper(key=f"submission #{stored.id}", title=work.title, arxiv=work.arxiv, doi=work.doi))
        report.queued.append(f"#{stored.id} {stored.key}: {label} -> {node} ({confidence:.2f}): {', '.join(reasons)}")
    return report


def discover(
    corpus: Corpus,
    sources: Sequence[ScholarlySource],
    store: SubmissionStore,
    settings: Settings,
    *,
    min_links: int = 2,
    since: date | None = None,
    dry_run: bool = False,
) -> DiscoverReport:
    """Find candidates in every source (one paper found by two sources counts once) and queue them."""
    found = [candidate for source in sources for candidate in find_candidates(corpus, source, min_links=min_links, since=since)]
    matches = find_duplicates([_probe(c.work) for c in found])
    merged = [candidate for candidate, same in zip(found, matches, strict=True) if not any(m.is_exact for m in same)]
    return queue_candidates(merged, corpus, store, settings, min_links=min_links, dry_run=dry_run)
