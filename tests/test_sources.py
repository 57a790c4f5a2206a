"""The scholarly clients against the local fake APIs (tests/fake_scholarly.py): resolution, batching, paging, faults,
real recorded answers (tests/fixtures/recorded) and a hostile server."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import load_corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.errors import SourceError
from survey_taxonomy.sources import HttpClient, OpenAlex, SemanticScholar, open_sources
from tests.fake_scholarly import FakeScholarly, FakeWork, recorded

CLIENTS: dict[str, type[OpenAlex] | type[SemanticScholar]] = {"openalex": OpenAlex, "semanticscholar": SemanticScholar}


def client(server: FakeScholarly, name: str, cache: Path | None = None, **options: Any) -> OpenAlex | SemanticScholar:
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
def test_resolve_by_arxiv_then_title_and_leave_unknown_out(fake_scholarly: FakeScholarly, tiny_dir: Path, name: str, how: dict[str, str]) -> None:
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


def test_title_search_needs_the_same_year(fake_scholarly: FakeScholarly) -> None:
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
def test_metadata_and_references_of_150_papers_take_at_most_20_requests(name: str) -> None:
    works, papers = _world(150)
    server = FakeScholarly(works)
    try:
        found = client(server, name).resolve(papers)
        requests = server.count()
    finally:
        server.close()
    assert len(found) == 150
    references = [found[f"p{i}"].references for i in range(150)]
    assert all(refs is not None and len(refs) == min(i, 2) for i, refs in enumerate(references))
    assert requests <= 20, requests
    print(
        f"{name}: {requests} requests for 150 papers"
    )  # measured: openalex 7 (3 arXiv batches, 1 DOI batch, 3 titles); S2 8 (2 batches, 3 matches, 3 look-ups)


@pytest.mark.parametrize("name, pages", [("openalex", 3), ("semanticscholar", 2)])
def test_citing_works_follow_every_page(name: str, pages: int) -> None:
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
def test_429_waits_for_retry_after_then_succeeds(fake_scholarly: FakeScholarly, tiny_dir: Path, name: str) -> None:
    fake_scholarly.script("/openalex" if name == "openalex" else "/s2", "429")
    start = time.monotonic()
    found = client(fake_scholarly, name).resolve(load_corpus(tiny_dir).papers[:1])
    assert time.monotonic() - start >= 1.0  # Retry-After: 1
    assert "chen2024what" in found and fake_scholarly.count() == 2


@pytest.mark.parametrize("name", CLIENTS)
def test_500_then_success(fake_scholarly: FakeScholarly, tiny_dir: Path, name: str) -> None:
    fake_scholarly.script("/openalex" if name == "openalex" else "/s2", "500")
    assert "chen2024what" in client(fake_scholarly, name).resolve(load_corpus(tiny_dir).papers[:1])
    assert fake_scholarly.count() == 2


def test_a_read_that_never_answers_times_out_with_a_clear_message(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    fake_scholarly.script("/openalex", "hang", "hang")
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"127\.0\.0\.1:\d+ failed: no answer within 0\.3 s .*2 tries"):
        client(fake_scholarly, "openalex", timeout=0.3, attempts=2).resolve(load_corpus(tiny_dir).papers[:1])
    assert time.monotonic() - start < 5


def test_malformed_json_is_retried_and_never_cached(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    fake_scholarly.script("/s2", "malformed")
    papers = load_corpus(tiny_dir).papers[:1]
    assert "chen2024what" in client(fake_scholarly, "semanticscholar", tmp_path / "cache.sqlite").resolve(papers)
    assert fake_scholarly.count() == 2
    fake_scholarly.script("/s2", "malformed", "malformed")
    with pytest.raises(SourceError, match="malformed JSON"):
        client(fake_scholarly, "semanticscholar", None, attempts=2).resolve(papers)


def test_a_second_client_on_the_same_cache_sends_nothing(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    papers = load_corpus(tiny_dir).papers
    first = {name: client(fake_scholarly, name, tmp_path / "cache.sqlite").resolve(papers) for name in CLIENTS}
    sent = fake_scholarly.count()
    again = {name: client(fake_scholarly, name, tmp_path / "cache.sqlite").resolve(papers) for name in CLIENTS}
    assert fake_scholarly.count() == sent and again == first  # same works, same retrieval days


# --- Real recorded answers (tests/fixtures/recorded) ---

CHEMCROW = Paper(
    "bran2024augmenting", "Augmenting large language models with chemistry tools", year=2024, arxiv="2304.05376", doi="10.1038/s42256-024-00832-8"
)  # the facts of the recorded answers: OpenAlex W4396723768 and W4365597205, Semantic Scholar 354dcdeb...


def test_both_versions_of_a_paper_are_resolved_and_their_references_united(fake_scholarly: FakeScholarly) -> None:
    """OpenAlex knows ChemCrow as two works; the arXiv one has no references (as recorded), the publisher one 57."""
    fake_scholarly.add_openalex(recorded("openalex_chemcrow_two_versions.json")["body"]["results"])
    source = client(fake_scholarly, "openalex")
    work = source.resolve([CHEMCROW])["bran2024augmenting"]
    assert (work.id, work.versions, work.matched_by) == ("W4396723768", ("W4365597205",), "arxiv+doi")
    assert work.arxiv == "2304.05376" and work.doi == "10.1038/s42256-024-00832-8"
    assert work.references is not None and len(work.references) == 57 and "W4310000002" in work.references
    assert work.citation_count == 236  # the publisher version's count (the arXiv version's is 106)
    assert work.listed_by("W4310000002") == "W4396723768"


def test_abstracts_are_cleaned_once_where_the_record_is_built(fake_scholarly: FakeScholarly) -> None:
    """Recorded inverted indexes: a double-escaped `&amp;lt;` and a leading "Abstract" heading word."""
    fake_scholarly.add_openalex(recorded("openalex_copper_double_escaped.json")["body"]["results"])
    fake_scholarly.add_openalex(recorded("openalex_chemcrow_two_versions.json")["body"]["results"])
    copper = Paper("copper", "Effect of native oxide layers on copper thin-film tensile properties", year=2015, doi="10.1063/1.4938384")
    found = client(fake_scholarly, "openalex").resolve([copper, CHEMCROW])
    text = found["copper"].abstract
    assert "(<75 K)" in text and "(<5%)" in text and "&" not in text
    assert found["bran2024augmenting"].abstract.startswith("Large language models (LLMs) have shown strong performance")


def test_titles_lose_their_html_where_the_record_is_built(fake_scholarly: FakeScholarly) -> None:
    """OpenAlex carries some titles with JATS or HTML markup; the recorded work, its title marked up that way."""
    work = recorded("openalex_copper_double_escaped.json")["body"]["results"][0]
    title = "Effect of native oxide layers on copper <i>thin-film</i> tensile properties: A reactive molecular dynamics study"
    fake_scholarly.add_openalex([dict(work, title=title)])
    copper = Paper("copper", "Effect of native oxide layers on copper thin-film tensile properties", year=2015, doi="10.1063/1.4938384")
    found = client(fake_scholarly, "openalex").resolve([copper])["copper"]
    assert found.title == "Effect of native oxide layers on copper thin-film tensile properties: A reactive molecular dynamics study"


def test_a_merged_openalex_id_is_followed_to_the_canonical_work(fake_scholarly: FakeScholarly) -> None:
    """A list filtered by a merged id answers with the canonical work; the client asks for the id alone (301)."""
    fake_scholarly.merge_openalex("W1111111111", "W4310000002")
    source = client(fake_scholarly, "openalex")
    works = source.works(["W1111111111", "W4320000003", "W2222222222"])
    assert works["W1111111111"].id == "W4310000002" and works["W4320000003"].id == "W4320000003"
    assert "W2222222222" not in works  # unknown: OpenAlex's recorded 404 is an HTML page, still "not found"
    assert any("W1111111111 was merged into W4310000002" in n for n in source.notes)


def test_max_age_zero_fetches_every_answer_again(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    papers = load_corpus(tiny_dir).papers
    client(fake_scholarly, "openalex", tmp_path / "cache.sqlite").resolve(papers)
    sent = fake_scholarly.count()
    client(fake_scholarly, "openalex", tmp_path / "cache.sqlite", max_age=dt.timedelta(days=7)).resolve(papers)
    assert fake_scholarly.count() == sent  # a warm cache sends nothing
    client(fake_scholarly, "openalex", tmp_path / "cache.sqlite", max_age=dt.timedelta(0)).resolve(papers)
    assert fake_scholarly.count() == 2 * sent


def test_semantic_scholar_paging_cap_keeps_the_first_9999_with_a_note() -> None:
    """offset + limit must stay below 10,000 (the API answers 400 past it): the client stops there, with a note."""
    cited = FakeWork("cited", "A much cited paper", 2020, oa="W1", s2="a" * 40)
    citing = [FakeWork(f"c{i}", f"Citing paper {i}", 2024, s2=f"{i:040x}", cites=["cited"]) for i in range(10_050)]
    other = FakeWork("other", "Another paper", 2021, s2="b" * 40)
    server = FakeScholarly([cited, other, *citing, FakeWork("x", "Citing the other", 2024, s2="c" * 40, cites=["other"])])
    try:
        source = client(server, "semanticscholar")
        works = source.citing(["a" * 40, "b" * 40])
        assert server.count() == 11  # 10 pages of the first paper (the last one 999 long), 1 of the other
    finally:
        server.close()
    assert sum(1 for w in works if w.references == ("a" * 40,)) == 9999
    assert any(w.references == ("b" * 40,) for w in works)  # the other paper is not stopped
    assert any("kept the first 9999" in n for n in source.notes)


def test_the_s2_rate_limit_answer_is_waited_for(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    fake_scholarly.script("/s2", "429")  # the recorded answer, with Retry-After: 1
    start = time.monotonic()
    assert "chen2024what" in client(fake_scholarly, "semanticscholar").resolve(load_corpus(tiny_dir).papers[:1])
    assert time.monotonic() - start >= 1.0


# --- Secrets ---


def test_the_api_key_and_e_mail_reach_neither_the_cache_nor_messages(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    key, mail = "s2-key-Z9q8W7e6R5t4", "maintainer@example.org"
    cache = tmp_path / "cache.sqlite"
    settings = Settings(openalex_url=fake_scholarly.openalex_url, s2_url=fake_scholarly.s2_url, scholarly_cache=str(cache), s2_api_key=key, contact_email=mail)
    logged: list[str] = []
    http, sources = open_sources(settings, ["openalex", "semanticscholar"], attempts=1, on_request=lambda method, url: logged.append(url))
    try:
        for source in sources:
            source.resolve(load_corpus(tiny_dir).papers)
        fake_scholarly.script("/s2", "away")
        with pytest.raises(SourceError) as refused:
            sources[1].resolve([Paper("k", "Some other title", year=2020, arxiv="2001.99999")])
    finally:
        http.close()
    # They were sent, where they belong ...
    assert any(h.get("x-api-key") == key for path, _, h in fake_scholarly.seen if path.startswith("/s2"))
    assert any("mailto=" in q for path, q, _ in fake_scholarly.seen if path.startswith("/openalex"))
    # ... and are nowhere on disk or in the message.
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in stored and mail.encode() not in stored and b"mailto" not in stored
    assert key not in str(refused.value) and mail not in str(refused.value)
    assert logged and not any(mail in url or "mailto" in url for url in logged)  # the request log


def test_a_cache_left_by_requests_cache_is_purged_of_its_secrets(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    with sqlite3.connect(cache) as db:  # the tables requests-cache kept, with a key in a stored request
        db.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, value BLOB)")
        db.execute("CREATE TABLE redirects (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO responses VALUES ('k', ?)", (b"x-api-key: s2-key-Z9q8W7e6R5t4",))
    db.close()
    HttpClient(cache).close()
    assert b"s2-key-Z9q8W7e6R5t4" not in cache.read_bytes()
    with sqlite3.connect(cache) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["answers"]
    db.close()


# --- A hostile or broken server ---


def test_an_oversized_answer_is_refused_as_it_streams_and_nothing_is_cached(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    fake_scholarly.huge_bytes = 3_000_000
    fake_scholarly.script("/openalex", "huge")
    with pytest.raises(SourceError, match=r"OpenAlex, looking up .* more than 1 MB; refused"):
        client(fake_scholarly, "openalex", tmp_path / "cache.sqlite", max_bytes=1_000_000).resolve(load_corpus(tiny_dir).papers)
    assert fake_scholarly.count() == 1  # a refusal is not retried
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (0,)


def test_a_10_mb_answer_is_refused_by_default_and_a_dry_run_caches_nothing(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    """The issue's hostile server: 10 MB answers, on a dry run, grew the cache by 1.6 GB."""
    fake_scholarly.huge_bytes = 10_000_000
    fake_scholarly.script("/openalex", "huge")
    with pytest.raises(SourceError, match=r"^OpenAlex, looking up .* more than 8 MB; refused"):
        client(fake_scholarly, "openalex", tmp_path / "cache.sqlite", store=False).resolve(load_corpus(tiny_dir).papers)
    assert (tmp_path / "cache.sqlite").stat().st_size < 100_000


def test_a_semantic_scholar_batch_past_the_cap_is_asked_for_in_halves(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    fake_scholarly.huge_bytes = 2_000_000
    fake_scholarly.script("/s2/graph/v1/paper/batch", "huge")
    found = client(fake_scholarly, "semanticscholar", max_bytes=1_000_000).resolve(load_corpus(tiny_dir).papers)
    assert len(found) == 8 and fake_scholarly.count("/s2/graph/v1/paper/batch") >= 3


def test_a_dry_run_reads_the_cache_but_adds_nothing(fake_scholarly: FakeScholarly, tiny_dir: Path, tmp_path: Path) -> None:
    client(fake_scholarly, "openalex", tmp_path / "cache.sqlite", store=False).resolve(load_corpus(tiny_dir).papers)
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (0,)


def test_a_server_that_drips_a_byte_a_second_cannot_hang_a_request(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    fake_scholarly.drip_every = 0.2
    fake_scholarly.script("/openalex", "drip", "drip")
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"OpenAlex, looking up .*no answer within 1 s .*2 tries"):
        client(fake_scholarly, "openalex", timeout=1, attempts=2).resolve(load_corpus(tiny_dir).papers[:1])
    assert time.monotonic() - start < 5


def test_a_redirect_to_another_host_is_refused_before_anything_is_sent_there(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    fake_scholarly.script("/openalex", "away")
    with pytest.raises(SourceError, match=r"redirected .* to another host .*refused"):
        client(fake_scholarly, "openalex").resolve(load_corpus(tiny_dir).papers[:1])
    assert [h["host"] for _, _, h in fake_scholarly.seen] == [f"127.0.0.1:{fake_scholarly.port}"]


def test_endless_paging_stops_at_the_page_cap_with_a_note(fake_scholarly: FakeScholarly) -> None:
    fake_scholarly.script("/openalex", *["loop"] * 60)
    source = client(fake_scholarly, "openalex")
    source.citing(["W4310000002"])
    assert fake_scholarly.count() == 50 and any("stopped after 50 pages" in n for n in source.notes)


def test_json_nested_too_deeply_is_refused_cleanly(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    fake_scholarly.script("/s2", "deep")
    with pytest.raises(SourceError, match=r"Semantic Scholar, looking up .*nested too deeply"):
        client(fake_scholarly, "semanticscholar").resolve(load_corpus(tiny_dir).papers[:1])


@pytest.mark.parametrize("fault", ["html", "malformed"])
def test_an_html_or_truncated_answer_is_refused_naming_the_source_and_the_papers(fake_scholarly: FakeScholarly, tiny_dir: Path, fault: str) -> None:
    fake_scholarly.script("/openalex", fault, fault)
    with pytest.raises(SourceError, match=r"^OpenAlex, looking up chen2024what by arxiv: 127\.0\.0\.1:\d+ failed: malformed JSON"):
        client(fake_scholarly, "openalex", attempts=2).resolve(load_corpus(tiny_dir).papers[:1])


def test_values_of_the_wrong_type_are_left_out_not_fatal(fake_scholarly: FakeScholarly) -> None:
    """The recorded work with its fields of the wrong types: the paper is still found, without those values."""
    work = recorded("openalex_copper_double_escaped.json")["body"]["results"][0]
    broken = dict(work, publication_year="2015", cited_by_count="many", authorships=5, referenced_works={"a": 1}, abstract_inverted_index=[1])
    fake_scholarly.add_openalex([broken])
    paper = Paper("copper", "Effect of native oxide layers on copper thin-film tensile properties", year=2015, doi="10.1063/1.4938384")
    found = client(fake_scholarly, "openalex").resolve([paper])["copper"]
    assert (found.id, found.year, found.citation_count, found.authors, found.references, found.abstract) == ("W2277923667", None, None, (), (), "")


def test_ids_that_are_not_ids_are_refused_and_never_reach_a_url(fake_scholarly: FakeScholarly, tiny_dir: Path) -> None:
    evil = dict(recorded("s2_batch_full_records.json")["body"][1], paperId="../../evil", externalIds={"ArXiv": "2409.06857"})
    fake_scholarly.add_s2([evil])  # answers for the survey's arXiv id
    source = client(fake_scholarly, "semanticscholar")
    found = source.resolve(load_corpus(tiny_dir).papers[:1])
    source.citing(["../../evil", *(w.id for w in found.values())])
    assert found["chen2024what"].matched_by == "title" and any("'../../evil'" in n for n in source.notes)  # the refused answer is not used
    assert all(path.startswith("/s2/graph/v1/paper/") and "evil" not in path for path, _, _ in fake_scholarly.seen)
