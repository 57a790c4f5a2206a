"""`discover`: papers the dataset lacks, found in the scholarly indexes, triaged by the small model, queued for review.

Terms:
- *candidate*: a work that is not a dataset paper and either cites the survey, cites at least `min_links`
  dataset papers (*derivative*), or is cited by at least `min_links` dataset papers (*prior work*); with
  `since` (`sources.Since`: a year, month or day), only works published then or later, at that precision.
  Versions of one paper (`sources.base.are_versions`: a preprint and its journal version, or one paper found
  by two sources) are one candidate: the publisher version's facts, the arXiv id, the evidence of both, and
  what either record lacks (authors, abstract) filled in from the other. `build_candidates` makes them.
- *evidence*: which dataset papers the candidate cites and which cite it, per the source that said so; stored
  with the submission for the reviewer (`Submission.evidence`).
- *triage*: `models.triage`, the same code as `python -m survey_taxonomy triage`, judges each candidate from
  its title and abstract: relevance, in or out of scope, the three best taxonomy nodes and the reason. The top
  node becomes the draft's node; the verdict goes in the evidence (`evidence["triage"]`), where the Review page
  reads it. Out-of-scope candidates are queued too, marked so, for the reviewer to reject in bulk.
- *queue*: each candidate that passes the acceptance rule (`acceptance.check_papers`, applied by
  `SubmissionStore.submit` against the dataset and the open submissions) becomes a pending submission with
  origin `discovered`. Candidates that `acceptance.find_duplicates` finds among the dataset and every stored
  submission, a rejected one included, are skipped, so no run queues a paper twice.

Candidates need an author list and an abstract to become a valid draft; those without are reported, not queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..config import Settings
from ..data.acceptance import find_duplicates
from ..data.corpus import Corpus
from ..data.records import Paper
from ..errors import SubmissionError
from ..submissions import Draft, SubmissionStore
from .base import ScholarlySource, Since, Work, are_versions, fuller, join_versions, version_keys

if TYPE_CHECKING:  # the model stack loads only when a discover run triages
    from ..models.triage import Triage

ORIGIN = "discovered"


@dataclass
class Candidate:
    """A work worth a reviewer's look, with the dataset papers it cites and that cite it."""

    work: Work
    cites: list[str] = field(default_factory=list)
    cited_by: list[str] = field(default_factory=list)
    cites_survey: bool = False

    def join(self, other: Candidate) -> Candidate:
        """One candidate of two versions of a paper: joined records, the evidence of both."""
        work = join_versions(self.work, other.work) if self.work.source == other.work.source else _across(self.work, other.work)
        return Candidate(
            work,
            cites=list(dict.fromkeys([*self.cites, *other.cites])),
            cited_by=list(dict.fromkeys([*self.cited_by, *other.cited_by])),
            cites_survey=self.cites_survey or other.cites_survey,
        )

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
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would queue" if self.dry_run else "queued"
        lines = [f"{self.found} candidates found, {len(self.queued)} {verb} for review, {len(self.skipped)} skipped"]
        lines += [f"  + {line}" for line in self.queued] + [f"  - {line}" for line in self.skipped]
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


def _across(a: Work, b: Work) -> Work:
    """One record of a paper that two sources found: the publisher version's, gaps filled from the other."""
    main, other = (b, a) if a.is_preprint and not b.is_preprint else (a, b)
    return replace(fuller(other, main), arxiv=main.arxiv or other.arxiv)


def find_candidates(corpus: Corpus, source: ScholarlySource, *, min_links: int = 2, since: Since | None = None) -> list[Candidate]:
    """Candidates from one source (see the module docstring), strongest evidence first. Raises `SourceError`."""
    found = source.resolve(corpus.papers)
    key_of = {work_id: key for key, work in found.items() for work_id in work.ids}
    survey = corpus.survey
    survey_ids = set(found[survey.key].ids) if survey is not None and survey.key in found else set()
    candidates: dict[str, Candidate] = {}
    for work in source.citing(sorted(key_of), since):
        if work.id in key_of:
            continue
        cites = list(dict.fromkeys(key_of[r] for r in work.references or () if r in key_of))
        candidates[work.id] = Candidate(work, cites=cites, cites_survey=bool(survey_ids & set(work.references or ())))
    cited_by: dict[str, list[str]] = {}
    for key, work in found.items():
        for ref in dict.fromkeys(work.references or ()):
            if ref not in key_of and key not in cited_by.get(ref, []):
                cited_by.setdefault(ref, []).append(key)
    prior = [ref for ref, keys in cited_by.items() if len(keys) >= min_links]
    for asked, work in source.works(prior).items():
        if work.id in key_of or (since is not None and not since.admits(work.date, work.year)):  # merged into a dataset paper
            continue
        old = candidates.get(work.id)  # also a citing work: keep the fuller record and both kinds of evidence
        candidate = Candidate(fuller(old.work, work) if old else work, cites=old.cites if old else [], cites_survey=bool(old and old.cites_survey))
        candidate.cited_by = list(dict.fromkeys([*(old.cited_by if old else []), *cited_by[asked]]))
        candidates[work.id] = candidate
    return join_candidates(list(candidates.values()))


def join_candidates(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates with versions of one paper joined (see the module docstring), strongest evidence first.

    Only candidates that share a `version_keys` key are compared, so that a paper with ten thousand citing works
    costs ten thousand look-ups, not fifty million comparisons."""
    joined: list[Candidate] = []
    slots: dict[str, int] = {}
    for candidate in candidates:
        keys = version_keys(candidate.work)
        same = next((slots[k] for k in keys if k in slots and are_versions(joined[slots[k]].work, candidate.work)), None)
        if same is None:
            joined.append(candidate)
            same = len(joined) - 1
        else:
            joined[same] = joined[same].join(candidate)
        for k in (*keys, *version_keys(joined[same].work)):
            slots.setdefault(k, same)
    return sorted(joined, key=lambda c: (-(len(c.cites) + len(c.cited_by) + 2 * c.cites_survey), c.work.title))


def build_candidates(corpus: Corpus, sources: Sequence[ScholarlySource], *, min_links: int = 2, since: Since | None = None) -> list[Candidate]:
    """Candidates of every source with enough evidence (`Candidate.reasons`), one per paper. Raises `SourceError`."""
    found = join_candidates([c for source in sources for c in find_candidates(corpus, source, min_links=min_links, since=since)])
    return [c for c in found if c.reasons(min_links)]


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
    triage: Triage | None = None,
) -> DiscoverReport:
    """Triage each candidate and store it as a pending `discovered` submission, unless the store or the dataset
    already has it. `triage` defaults to `models.triage.triage_for(corpus)`; a `suggest(title, summary)` given
    without it only proposes nodes, with no relevance (a cheap stand-in for tests)."""
    if suggest is None and triage is None:
        from ..models.triage import triage_for  # scikit-learn and the embeddings load only when discovering

        triage = triage_for(corpus)
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
        verdict = triage.assess(work.id, work.title, work.abstract or work.gist) if triage is not None else None
        if verdict is not None:
            suggestions = list(zip(verdict.nodes, verdict.node_scores, strict=True))
        elif suggest is not None:
            suggestions = suggest(work.title, work.gist)
        node, confidence = suggestions[0]
        reasons = candidate.reasons(min_links)
        scope = "" if verdict is None else f" {'In' if verdict.in_scope else 'OUT OF'} scope (relevance {verdict.relevance:.2f})."
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
        if verdict is not None:
            evidence["triage"] = verdict.to_dict()
        why = f"Discovered in {work.source}: {', '.join(reasons)}. Suggested node {node} (p = {confidence:.2f}).{scope}"
        paper = candidate_paper(candidate, node)
        draft = Draft(paper, why=why[:1000], source="discover", label=work.id, cites=tuple(candidate.cites), origin=ORIGIN, evidence=evidence)
        if dry_run:
            report.queued.append(f"{label} -> {node} ({confidence:.2f}):{scope} {', '.join(reasons)}")
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
        report.queued.append(f"#{stored.id} {stored.key}: {label} -> {node} ({confidence:.2f}):{scope} {', '.join(reasons)}")
    return report


def discover(
    corpus: Corpus,
    sources: Sequence[ScholarlySource],
    store: SubmissionStore,
    settings: Settings,
    *,
    min_links: int = 2,
    since: Since | None = None,
    dry_run: bool = False,
    triage: Triage | None = None,
) -> DiscoverReport:
    """Find candidates in every source (one paper found by two sources counts once) and queue them, judged by
    `triage` (trained on `corpus` when not given)."""
    candidates = build_candidates(corpus, sources, min_links=min_links, since=since)
    report = queue_candidates(candidates, corpus, store, settings, min_links=min_links, dry_run=dry_run, triage=triage)
    report.notes = [note for source in sources for note in source.notes]
    return report
