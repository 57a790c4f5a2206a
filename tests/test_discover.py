"""`discover` against the local fake APIs and real recorded answers, queueing into a real SQLite store; and the
store's `origin` column."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import load_corpus
from survey_taxonomy.models.triage import Triage, triage_for
from survey_taxonomy.sources import open_sources
from survey_taxonomy.sources.discovery import DiscoverReport, discover
from survey_taxonomy.submissions import SubmissionStore
from tests.fake_scholarly import FakeScholarly, FakeWork, recorded

TOKEN = "t" * 32


@pytest.fixture(scope="module")
def triage(tiny_dir: Path) -> Triage:
    """The triage `discover` trains by default, trained once for the module (the CLI test below trains its own)."""
    return triage_for(load_corpus(tiny_dir))


def run(
    server: FakeScholarly, data: Path, store: SubmissionStore, tmp_path: Path, triage: Triage, names: tuple[str, ...] = ("openalex", "semanticscholar")
) -> DiscoverReport:
    settings = Settings(data_dir=data, openalex_url=server.openalex_url, s2_url=server.s2_url, scholarly_cache=str(tmp_path / "cache.sqlite"), http_timeout=5)
    http, sources = open_sources(settings, names, attempts=2, backoff=0.01)
    try:
        return discover(load_corpus(data), sources, store, settings, min_links=2, triage=triage)
    finally:
        http.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SubmissionStore]:
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()


def test_discover_queues_the_expected_candidates_with_evidence_and_never_twice(
    fake_scholarly: FakeScholarly, tiny_copy: Path, store: SubmissionStore, tmp_path: Path, triage: Triage
) -> None:
    report = run(fake_scholarly, tiny_copy, store, tmp_path, triage)
    queued = {s.title: s for s in store.find(origin="discovered")}
    assert set(queued) == {
        "Attention Based Drafting for Faster Generation",  # cited by 3 dataset papers
        "Small Models as Curators of Scholarly Data",  # cites the survey
        "Speculative Decoding with Tiny Draft Models on Phones",  # cites 2 dataset papers
        "An Older Paper Citing Two Drafting Works",  # cites 2 dataset papers
        "Preference Data for Choosing Between Language Models",  # cited by 2 dataset papers, per Semantic Scholar
    }
    # The proceedings version of a dataset paper is a duplicate; a paper citing one dataset paper is no candidate.
    assert any("already known" in line and "xia2024unlocking" in line for line in report.skipped)
    assert "A Paper Citing One Router Only" not in queued
    phones = queued["Speculative Decoding with Tiny Draft Models on Phones"]
    assert phones.status == "pending" and phones.origin == "discovered"
    assert phones.evidence is not None
    assert phones.evidence["cites"] == ["leviathan2023fast", "chen2023accelerating"] and phones.evidence["source"] == "openalex"
    assert phones.claimed_cites == ("leviathan2023fast", "chen2023accelerating")
    node, confidence = phones.evidence["suggested"][0]
    assert phones.paper.taxonomy == (node,) and 0 < confidence <= 1
    assert (queued["Attention Based Drafting for Faster Generation"].evidence or {})["cited_by"] == ["chen2024what", "xia2024unlocking", "ong2024routellm"]
    assert (queued["Small Models as Curators of Scholarly Data"].evidence or {})["cites_survey"] is True
    # A rejected candidate is not queued again, nor is a pending one.
    store.review(phones.id, "reject", token=TOKEN, admin_token=TOKEN)
    again = run(fake_scholarly, tiny_copy, store, tmp_path, triage)
    assert again.queued == [] and len(store.find(origin="discovered")) == 5


def test_approving_a_discovered_paper_goes_through_the_merge(
    fake_scholarly: FakeScholarly, tiny_copy: Path, store: SubmissionStore, tmp_path: Path, triage: Triage
) -> None:
    run(fake_scholarly, tiny_copy, store, tmp_path, triage, names=("openalex",))
    submission = next(s for s in store.find(origin="discovered") if s.title.startswith("Speculative Decoding with Tiny"))
    store.review(submission.id, "approve", token=TOKEN, admin_token=TOKEN, corpus=load_corpus(tiny_copy))
    written, problems = store.merge(tiny_copy)
    assert [p.key for p in written] == [submission.key] and not [p for p in problems if p.severity == "error"]
    merged = load_corpus(tiny_copy).by_key[submission.key]
    assert merged.arxiv == "2504.00012" and merged.relation == "community"


def test_old_stores_get_an_origin_for_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SubmissionStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:  # a store from before the column: drop it, as the old schema had none
        db.execute("ALTER TABLE submissions DROP COLUMN origin")
        db.execute("ALTER TABLE submissions DROP COLUMN evidence")
        for i, source in enumerate(("form", "BibTeX", "papers.bib", "stdin")):
            db.execute(
                "INSERT INTO submissions (key, status, title, payload, bibtex, source, session_hash, created_at)"
                " VALUES (?, 'pending', 't', '{}', '', ?, 'h', '2026-01-01')",
                (f"k{i}", source),
            )
    store = SubmissionStore(f"sqlite:///{path}")
    assert [s.origin for s in store.find()] == ["form", "bibtex", "bibtex", "form"]
    assert [s.key for s in store.find(origin="bibtex")] == ["k1", "k2"]
    store.close()


# --- Real recorded answers and a hostile server ---


def _settings(server: FakeScholarly, data: Path, tmp_path: Path, **more: Any) -> Settings:
    return Settings(
        data_dir=data, openalex_url=server.openalex_url, s2_url=server.s2_url, scholarly_cache=str(tmp_path / "cache.sqlite"), http_timeout=5, **more
    )


def test_a_paper_only_semantic_scholar_finds_is_queued_with_its_full_record(
    fake_scholarly: FakeScholarly, tiny_copy: Path, store: SubmissionStore, tmp_path: Path, triage: Triage
) -> None:
    """Recorded S2 papers cite two dataset papers; the citations endpoint gives only the fields asked for."""
    papers = [p for p in recorded("s2_batch_full_records.json")["body"] if p]
    key = "s2-key-Z9q8W7e6R5t4"
    papers[0] = dict(papers[0], abstract=papers[0]["abstract"] + f" Echoed key: {key}.")  # a server that echoes the API key
    fake_scholarly.add_s2(papers)
    for cited in ("leviathan2023fast", "chen2023accelerating"):
        fake_scholarly.s2_cite(fake_scholarly.world[cited].s2, [p["paperId"] for p in papers])
    settings = _settings(fake_scholarly, tiny_copy, tmp_path, s2_api_key=key)
    http, sources = open_sources(settings, ("semanticscholar",), attempts=2, backoff=0.01)
    try:
        discover(load_corpus(tiny_copy), sources, store, settings, min_links=2, triage=triage)
    finally:
        http.close()
    queued = {s.title: s for s in store.find(origin="discovered")}
    trust = queued["How Much Should We Trust Differences-in-Differences Estimates?"]
    assert trust.paper.authors == ("Marianne Bertrand", "E. Duflo", "S. Mullainathan")
    assert trust.paper.summary.startswith("Most Difference-in-Difference (DD) papers rely on many years of data")
    assert trust.evidence is not None
    assert trust.evidence["cites"] == ["leviathan2023fast", "chen2023accelerating"] and trust.evidence["source"] == "semanticscholar"
    assert "The Miracle of Microfinance? Evidence from a Randomized Evaluation" in queued
    stored = (tmp_path / "store.db").read_bytes() + (tmp_path / "cache.sqlite").read_bytes()
    assert key.encode() not in stored and b"Echoed key: ***" in stored


def test_a_merged_prior_work_is_followed_and_queued_once(
    fake_scholarly: FakeScholarly, tiny_copy: Path, store: SubmissionStore, tmp_path: Path, triage: Triage
) -> None:
    """Dataset papers still list prior1 under a merged id; the API answers with the canonical work."""
    fake_scholarly.world["prior1"].oa = "W4999999999"
    fake_scholarly.merge_openalex("W2900000101", "W4999999999")
    run(fake_scholarly, tiny_copy, store, tmp_path, triage, names=("openalex",))
    drafting = next(s for s in store.find(origin="discovered") if s.title == "Attention Based Drafting for Faster Generation")
    assert drafting.evidence is not None
    assert drafting.evidence["work_id"] == "W4999999999"
    assert drafting.evidence["cited_by"] == ["chen2024what", "xia2024unlocking", "ong2024routellm"]


def test_a_preprint_and_its_journal_version_are_one_candidate_with_both_ids(
    fake_scholarly: FakeScholarly, tiny_copy: Path, store: SubmissionStore, tmp_path: Path, triage: Triage
) -> None:
    """Recorded ChemCrow: OpenAlex's journal work (no arXiv id) and Semantic Scholar's record (arXiv id and DOI)."""
    fake_scholarly.add_openalex(recorded("openalex_chemcrow_two_versions.json")["body"]["results"])
    match = recorded("s2_match_chemcrow.json")["body"]["data"][0]
    fake_scholarly.add_s2([match])
    for cited in ("leviathan2023fast", "chen2023accelerating"):
        fake_scholarly.s2_cite(fake_scholarly.world[cited].s2, [match["paperId"]])
    run(fake_scholarly, tiny_copy, store, tmp_path, triage)
    chem = [s for s in store.find(origin="discovered") if "chemistry tools" in s.title]
    assert len(chem) == 1
    paper = chem[0].paper
    assert paper.title == "Augmenting large language models with chemistry tools"
    assert (paper.doi, paper.arxiv, paper.year) == ("10.1038/s42256-024-00832-8", "2304.05376", 2024)
    assert paper.summary.startswith("Large language models (LLMs) have shown strong performance")


def test_since_is_inclusive_at_its_precision_and_notes_and_output_are_clean(
    fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--since 2025` keeps a preprint dated 2025-01-01 (a year-only date); a capped S2 paper stops nothing else."""
    from survey_taxonomy import cli
    from survey_taxonomy.sources import commands as source_commands

    world = fake_scholarly.world
    world["newB"].date = "2025-01-01"
    world["newB"].title = "Speculative Decoding with Tiny Draft Models on Phones\x1b[2J\x1b]0;owned\x07"
    many = [FakeWork(f"m{i}", f"Citing paper {i}", 2025, s2=f"{i:040x}", cites=["xia2024unlocking"]) for i in range(10_050)]
    world.update({w.name: w for w in many})
    for name, value in {"SURVEY_DATA_DIR": tiny_copy, "SURVEY_OPENALEX_URL": fake_scholarly.openalex_url, "SURVEY_S2_URL": fake_scholarly.s2_url}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("SURVEY_SCHOLARLY_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.setenv("SURVEY_DB_URL", f"sqlite:///{tmp_path / 'cli-store.db'}")
    monkeypatch.setattr(source_commands, "open_sources", functools.partial(open_sources, attempts=2, backoff=0.01))
    assert cli.main(["discover", "--source", "all", "--since", "2025", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Speculative Decoding with Tiny Draft Models on Phones" in out and "\x1b" not in out and "\x07" not in out
    assert "An Older Paper Citing Two Drafting Works" not in out  # 2023
    assert "note: Semantic Scholar: xia2024unlocking (8c8134503bc4d22bca7d0076e1370f5a288d5420) has more citing works than its API lists" in out


def test_a_background_discover_queues_what_a_direct_run_queues(fake_scholarly: FakeScholarly, tiny_copy: Path, store: SubmissionStore, tmp_path: Path) -> None:
    """What the Review page's Discover button runs (`Jobs.start_discover`, the triage trained by the job itself)."""
    from survey_taxonomy.sources.jobs import Jobs

    settings = Settings(
        data_dir=tiny_copy, openalex_url=fake_scholarly.openalex_url, s2_url=fake_scholarly.s2_url, scholarly_cache=str(tmp_path / "cache.sqlite")
    )
    job = Jobs().start_discover(settings, store, ("openalex", "semanticscholar"))
    assert job.wait(120) and job.state == "done", job.error
    assert len(store.find(origin="discovered")) == 5 and job.requests == fake_scholarly.count()
    assert "queued" in job.report
