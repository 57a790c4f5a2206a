"""`discover` against the local fake APIs, queueing into a real SQLite store; and the store's `origin` column."""
# ruff: noqa: F811  (the `fake_scholarly` fixture is imported from tests.fake_scholarly, then requested by name)

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from survey_taxonomy.config import Settings
from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.discovery import discover
from survey_taxonomy.sources import open_sources
from survey_taxonomy.submissions import SubmissionStore
from tests.fake_scholarly import FakeScholarly, fake_scholarly  # noqa: F401  (the fixture)

TOKEN = "t" * 32


def run(server: FakeScholarly, data: Path, store: SubmissionStore, tmp_path: Path, names=("openalex", "semanticscholar")):
    settings = Settings(data_dir=data, openalex_url=server.openalex_url, s2_url=server.s2_url, scholarly_cache=str(tmp_path / "cache.sqlite"), http_timeout=5)
    http, sources = open_sources(settings, names, attempts=2, backoff=0.01)
    try:
        return discover(load_corpus(data), sources, store, settings, min_links=2)
    finally:
        http.close()


@pytest.fixture
def store(tmp_path: Path):
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()


def test_discover_queues_the_expected_candidates_with_evidence_and_never_twice(fake_scholarly, tiny_copy, store, tmp_path):
    report = run(fake_scholarly, tiny_copy, store, tmp_path)
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
    assert phones.evidence["cites"] == ["leviathan2023fast", "chen2023accelerating"] and phones.evidence["source"] == "openalex"
    assert phones.claimed_cites == ("leviathan2023fast", "chen2023accelerating")
    node, confidence = phones.evidence["suggested"][0]
    assert phones.paper.taxonomy == (node,) and 0 < confidence <= 1
    assert queued["Attention Based Drafting for Faster Generation"].evidence["cited_by"] == ["chen2024what", "xia2024unlocking", "ong2024routellm"]
    assert queued["Small Models as Curators of Scholarly Data"].evidence["cites_survey"] is True
    # A rejected candidate is not queued again, nor is a pending one.
    store.review(phones.id, "reject", token=TOKEN, admin_token=TOKEN)
    again = run(fake_scholarly, tiny_copy, store, tmp_path)
    assert again.queued == [] and len(store.find(origin="discovered")) == 5


def test_approving_a_discovered_paper_goes_through_the_merge(fake_scholarly, tiny_copy, store, tmp_path):
    run(fake_scholarly, tiny_copy, store, tmp_path, names=("openalex",))
    submission = next(s for s in store.find(origin="discovered") if s.title.startswith("Speculative Decoding with Tiny"))
    store.review(submission.id, "approve", token=TOKEN, admin_token=TOKEN, corpus=load_corpus(tiny_copy))
    written, problems = store.merge(tiny_copy)
    assert [p.key for p in written] == [submission.key] and not [p for p in problems if p.severity == "error"]
    merged = load_corpus(tiny_copy).by_key[submission.key]
    assert merged.arxiv == "2504.00012" and merged.relation == "community"


def test_old_stores_get_an_origin_for_every_row(tmp_path):
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
