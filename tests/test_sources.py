"""The scholarly clients against the local fake APIs (tests/fake_scholarly.py): resolution, batching, paging, faults."""
# ruff: noqa: F811  (the `fake_scholarly` fixture is imported from tests.fake_scholarly, then requested by name)

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.errors import SourceError
from survey_taxonomy.records import Paper
from survey_taxonomy.sources import HttpClient, OpenAlex, SemanticScholar
from tests.fake_scholarly import FakeScholarly, FakeWork, fake_scholarly  # noqa: F401  (the fixture)

CLIENTS = {"openalex": OpenAlex, "semanticscholar": SemanticScholar}


def client(server: FakeScholarly, name: str, cache: Path | None = None, **options) -> OpenAlex | SemanticScholar:
    http = HttpClient(cache, timeout=options.pop("timeout", 5), backoff=0.01, **options)
    return CLIENTS[name](http, server.openalex_url if name == "openalex" else server.s2_url)


@pytest.mark.parametrize(
    "name, how",
    [
        ("openalex", {"grinsztajn2022tree": "title", "chen2024what": "arxiv"}),  # OpenAlex files the NeurIPS paper under no arXiv DOI
        ("semanticscholar", {"chen2023frugalgpt": "title", "zhang2025lightrouter": "arxiv"}),  # S2 lists no arXiv id for FrugalGPT
    ],
    ids=["openalex", "semanticscholar"],
)
def test_resolve_by_arxiv_then_title_and_leave_unknown_out(fake_scholarly, tiny_dir, name, how):
    papers = load_corpus(tiny_dir).papers
    found = client(fake_scholarly, name).resolve(papers)
    for key, matched_by in how.items():
        assert found[key].matched_by == matched_by
    if name == "openalex":
        assert "zhang2025lightrouter" not in found and len(found) == 7  # unknown to OpenAlex, and no title match
        assert found["xia2024unlocking"].references == ("W4310000002", "W4320000003", "W2900000101")
        assert found["chen2024what"].citation_count == 120
    else:
        assert len(found) == 8
        assert found["chen2023frugalgpt"].id == hashlib.sha1(b"chen2023frugalgpt").hexdigest()


def test_title_search_needs_the_same_year(fake_scholarly):
    paper = Paper("x", "Why do tree-based models still outperform deep learning on tabular data?", year=2023)  # the world says 2022
    assert client(fake_scholarly, "openalex").resolve([paper]) == {}
    assert client(fake_scholarly, "semanticscholar").resolve([paper]) == {}


def _world(n: int) -> tuple[list[FakeWork], list[Paper]]:
    """`n` papers: most with an arXiv id, every tenth with a DOI only, three with a title only; each cites the two before."""
    works, papers = [], []
    for i in range(n):
        name = f"p{i}"
        kind = "title" if i in (7, 77, 147) else "doi" if i % 10 == 5 else "arxiv"
        arxiv = f"2401.{i:05d}" if kind == "arxiv" else ""
        doi = f"10.5555/fake.{i}" if kind == "doi" else ""
        title = f"Synthetic paper number {i} on small models"
        works.append(
            FakeWork(
                name,
                title,
                2024,
                oa=f"W{5000 + i}",
                s2=hashlib.sha1(name.encode()).hexdigest(),
                arxiv=arxiv,
                doi=doi,
                cites=[f"p{j}" for j in (i - 1, i - 2) if j >= 0],
            )
        )
        papers.append(Paper(name, title, year=2024, arxiv=arxiv, doi=doi))
    return works, papers


@pytest.mark.parametrize("name", CLIENTS)
def test_metadata_and_references_of_150_papers_take_at_most_20_requests(name):
    works, papers = _world(150)
    server = FakeScholarly(works)
    try:
        found = client(server, name).resolve(papers)
        requests = server.count()
    finally:
        server.close()
    assert len(found) == 150
    assert all(len(found[f"p{i}"].references) == min(i, 2) for i in range(150))
    assert requests <= 20, requests
    print(
        f"{name}: {requests} requests for 150 papers"
    )  # measured: openalex 7 (3 arXiv batches, 1 DOI batch, 3 titles); S2 8 (2 batches, 3 matches, 3 look-ups)


@pytest.mark.parametrize("name, pages", [("openalex", 3), ("semanticscholar", 2)])
def test_citing_works_follow_every_page(name, pages):
    cited = FakeWork("cited", "A much cited paper", 2020, oa="W1", s2="a" * 40, arxiv="2001.00001")
    many = 1100 if name == "semanticscholar" else 450  # S2 pages hold 1000, OpenAlex pages 200
    citing = [
        FakeWork(f"c{i}", f"Citing paper {i}", 2024, oa=f"W{100 + i}", s2=hashlib.sha1(str(i).encode()).hexdigest(), cites=["cited"]) for i in range(many)
    ]
    server = FakeScholarly([cited, *citing])
    try:
        source = client(server, name)
        works = source.citing(["W1" if name == "openalex" else "a" * 40])
        assert len(works) == many
        assert server.count() == pages
    finally:
        server.close()


@pytest.mark.parametrize("name", CLIENTS)
def test_429_waits_for_retry_after_then_succeeds(fake_scholarly, tiny_dir, name):
    fake_scholarly.script("/openalex" if name == "openalex" else "/s2", "429")
    start = time.monotonic()
    found = client(fake_scholarly, name).resolve(load_corpus(tiny_dir).papers[:1])
    assert time.monotonic() - start >= 1.0  # Retry-After: 1
    assert "chen2024what" in found and fake_scholarly.count() == 2


@pytest.mark.parametrize("name", CLIENTS)
def test_500_then_success(fake_scholarly, tiny_dir, name):
    fake_scholarly.script("/openalex" if name == "openalex" else "/s2", "500")
    assert "chen2024what" in client(fake_scholarly, name).resolve(load_corpus(tiny_dir).papers[:1])
    assert fake_scholarly.count() == 2


def test_a_read_that_never_answers_times_out_with_a_clear_message(fake_scholarly, tiny_dir):
    fake_scholarly.script("/openalex", "hang", "hang")
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"127\.0\.0\.1:\d+ failed: no answer within 0\.3 s .*2 tries"):
        client(fake_scholarly, "openalex", timeout=0.3, attempts=2).resolve(load_corpus(tiny_dir).papers[:1])
    assert time.monotonic() - start < 5


def test_malformed_json_is_retried_and_never_cached(fake_scholarly, tiny_dir, tmp_path):
    fake_scholarly.script("/s2", "malformed")
    papers = load_corpus(tiny_dir).papers[:1]
    assert "chen2024what" in client(fake_scholarly, "semanticscholar", tmp_path / "cache.sqlite").resolve(papers)
    assert fake_scholarly.count() == 2
    fake_scholarly.script("/s2", "malformed", "malformed")
    with pytest.raises(SourceError, match="malformed JSON"):
        client(fake_scholarly, "semanticscholar", None, attempts=2).resolve(papers)


def test_a_second_client_on_the_same_cache_sends_nothing(fake_scholarly, tiny_dir, tmp_path):
    papers = load_corpus(tiny_dir).papers
    first = {name: client(fake_scholarly, name, tmp_path / "cache.sqlite").resolve(papers) for name in CLIENTS}
    sent = fake_scholarly.count()
    again = {name: client(fake_scholarly, name, tmp_path / "cache.sqlite").resolve(papers) for name in CLIENTS}
    assert fake_scholarly.count() == sent and again == first  # same works, same retrieval days
