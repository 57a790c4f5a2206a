"""`citations refresh` on copies of the tiny dataset, against the local fake APIs; and the library views of its data."""
# ruff: noqa: F811  (the `fake_scholarly` fixture is imported from tests.fake_scholarly, then requested by name)

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pytest

from survey_taxonomy import citations_cli, cli
from survey_taxonomy.abstracts import abstract_of
from survey_taxonomy.config import Settings
from survey_taxonomy.corpus import load_corpus, read_citations
from survey_taxonomy.errors import SourceError
from survey_taxonomy.graphs import derivative_works, prior_works
from survey_taxonomy.provenance import citation_counts, edge_provenance, freshness
from survey_taxonomy.refresh import refresh_citations
from survey_taxonomy.sources import open_sources
from tests.fake_scholarly import FakeScholarly, fake_scholarly  # noqa: F401  (the fixture)

FILES = ("papers.bib", "citations.csv", "citation_counts.csv", "abstracts.csv")


def s2(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def settings_for(server: FakeScholarly, data: Path, cache: Path) -> Settings:
    return Settings(data_dir=data, openalex_url=server.openalex_url, s2_url=server.s2_url, scholarly_cache=str(cache), http_timeout=5)


def run(server: FakeScholarly, data: Path, cache: Path, names=("openalex", "semanticscholar"), **options):
    http, sources = open_sources(settings_for(server, data, cache), names, attempts=2, backoff=0.01)
    try:
        return refresh_citations(data, sources, **options)
    finally:
        http.close()


def snapshot(data: Path) -> dict[str, bytes | None]:
    return {name: (data / name).read_bytes() if (data / name).exists() else None for name in FILES}


EXPECTED_OPENALEX = {
    ("chen2024what", "leviathan2023fast"),
    ("chen2024what", "chen2023accelerating"),
    ("chen2024what", "xia2024unlocking"),
    ("chen2024what", "chen2023frugalgpt"),
    ("chen2024what", "ong2024routellm"),
    ("chen2023accelerating", "leviathan2023fast"),
    ("xia2024unlocking", "leviathan2023fast"),
    ("xia2024unlocking", "chen2023accelerating"),
    ("ong2024routellm", "chen2023frugalgpt"),
}
# Semantic Scholar also knows LightRouter (OpenAlex does not), so it reports its three citations as well.
EXPECTED_S2 = EXPECTED_OPENALEX | {
    ("zhang2025lightrouter", "chen2024what"),
    ("zhang2025lightrouter", "ong2024routellm"),
    ("zhang2025lightrouter", "chen2023frugalgpt"),
}


def test_refresh_writes_exactly_the_expected_edges_ids_and_counts(fake_scholarly, tiny_copy, tmp_path):
    hand = read_citations(tiny_copy / "citations.csv")[0]
    report = run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    assert report.written == list(FILES)
    rows, problems = read_citations(tiny_copy / "citations.csv")
    assert problems == []
    assert rows[: len(hand)] == hand  # hand-curated rows first, untouched
    by_provider = {p: {(c.citing, c.cited) for c in rows if c.provider == p} for p in ("openalex", "semanticscholar")}
    assert by_provider == {"openalex": EXPECTED_OPENALEX, "semanticscholar": EXPECTED_S2}
    row = next(c for c in rows if c.provider == "openalex" and c.citing == "xia2024unlocking" and c.cited == "leviathan2023fast")
    assert (row.citing_id, row.cited_id, row.source) == ("W4390000004", "W4310000002", "https://openalex.org/W4390000004")
    assert row.evidence.startswith("scholarly index: OpenAlex lists W4310000002") and len(row.retrieved) == 10
    corpus = load_corpus(tiny_copy)
    assert corpus.errors == []
    papers = corpus.by_key
    assert papers["grinsztajn2022tree"].openalex == "W4280000007"  # found by title
    assert papers["zhang2025lightrouter"].openalex == "" and papers["zhang2025lightrouter"].s2 == s2("zhang2025lightrouter")
    assert papers["chen2023frugalgpt"].s2 == s2("chen2023frugalgpt")
    assert {(c.key, c.provider): c.count for c in corpus.counts}[("leviathan2023fast", "openalex")] == 900
    assert len(corpus.counts) == 15
    # abstracts: the tags and the zero-width space are gone, one with `javascript:` and the empty ones are not kept
    abstracts = {(a.key, a.provider): a for a in corpus.abstracts}
    assert abstracts[("leviathan2023fast", "openalex")].text == "A made-up abstract for the tests: draft tokens, checked in parallel."
    assert abstracts[("leviathan2023fast", "openalex")].work_id == "W4310000002"
    assert abstracts[("zhang2025lightrouter", "semanticscholar")].text == "We study small models. They help large ones."
    assert not {k for k, _ in abstracts} & {"chen2023frugalgpt", "grinsztajn2022tree"} and len(abstracts) == 11
    assert abstract_of(corpus.abstracts, "leviathan2023fast").provider == "openalex"  # OpenAlex first
    assert abstract_of(corpus.abstracts, "zhang2025lightrouter").provider == "semanticscholar"  # only S2 knows it
    # only the ids were added to papers.bib: every other line is still there, in order
    old = (Path(__file__).parent / "fixtures" / "tiny" / "papers.bib").read_text(encoding="utf-8").splitlines()
    new = (tiny_copy / "papers.bib").read_text(encoding="utf-8").splitlines()
    assert [line for line in new if not line.strip().startswith(("openalex =", "s2 ="))] == _with_commas(old)


def _with_commas(lines: list[str]) -> list[str]:
    """The old lines, where each entry's last field now ends with a comma (a field was added after it)."""
    out = list(lines)
    for i, line in enumerate(out):
        if line == "}" and i and not out[i - 1].rstrip().endswith(","):
            out[i - 1] += ","
    return out


def test_a_second_run_sends_no_request_and_changes_nothing(fake_scholarly, tiny_copy, tmp_path):
    run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    before, sent = snapshot(tiny_copy), fake_scholarly.count()
    report = run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    assert fake_scholarly.count() == sent
    assert snapshot(tiny_copy) == before
    assert not report.changed and report.written == [] and "nothing changed" in report.describe()
    assert report.edges.unchanged == len(EXPECTED_OPENALEX) + len(EXPECTED_S2)


def test_a_failing_source_leaves_the_files_byte_identical_and_a_rerun_resumes(fake_scholarly, tiny_copy, tmp_path, monkeypatch, capsys):
    before = snapshot(tiny_copy)
    fake_scholarly.fail("/s2")
    cache = tmp_path / "cache.sqlite"
    with pytest.raises(SourceError, match="server error 503"):
        run(fake_scholarly, tiny_copy, cache)
    assert snapshot(tiny_copy) == before
    openalex_sent = fake_scholarly.count("/openalex")
    # The CLI says what failed, in one line, and that nothing was written.
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tiny_copy))
    monkeypatch.setenv("SURVEY_OPENALEX_URL", fake_scholarly.openalex_url)
    monkeypatch.setenv("SURVEY_S2_URL", fake_scholarly.s2_url)
    monkeypatch.setenv("SURVEY_SCHOLARLY_CACHE", str(cache))
    monkeypatch.setattr(citations_cli, "open_sources", functools.partial(open_sources, attempts=2, backoff=0.01))
    assert cli.main(["citations", "refresh", "--source", "semanticscholar"]) == 1
    err = capsys.readouterr().err
    assert "error: Semantic Scholar, looking up " in err and "127.0.0.1" in err and "server error 503" in err and "No file was written." in err
    assert snapshot(tiny_copy) == before
    # The source is back: the rerun asks OpenAlex nothing (its answers are cached) and writes what a fresh run writes.
    fake_scholarly.failing.clear()
    run(fake_scholarly, tiny_copy, cache)
    assert fake_scholarly.count("/openalex") == openalex_sent
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for name in ("papers.bib", "citations.csv", "taxonomy.yaml"):
        (fresh / name).write_bytes((Path(__file__).parent / "fixtures" / "tiny" / name).read_bytes())
    run(fake_scholarly, fresh, tmp_path / "fresh-cache.sqlite")
    assert snapshot(tiny_copy) == snapshot(fresh)


def test_dry_run_writes_nothing_and_prune_removes_only_stale_index_rows(fake_scholarly, tiny_copy, tmp_path):
    before = snapshot(tiny_copy)
    report = run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite", dry_run=True)
    assert snapshot(tiny_copy) == before and report.edges.added and "dry run: nothing written" in report.describe()
    run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    # OpenAlex drops xia -> leviathan: the row is stale, kept without --prune, removed with it; hand rows stay.
    fake_scholarly.world["xia2024unlocking"].cites.remove("leviathan2023fast")
    kept = run(fake_scholarly, tiny_copy, tmp_path / "other-cache.sqlite", names=("openalex",))
    assert len(kept.edges.stale) == 1 and not kept.written
    run(fake_scholarly, tiny_copy, tmp_path / "other-cache.sqlite", names=("openalex",), prune=True)
    rows = read_citations(tiny_copy / "citations.csv")[0]
    assert ("xia2024unlocking", "leviathan2023fast", "openalex") not in {(c.citing, c.cited, c.provider) for c in rows}
    assert ("xia2024unlocking", "leviathan2023fast", "") in {(c.citing, c.cited, c.provider) for c in rows}
    assert ("xia2024unlocking", "leviathan2023fast", "semanticscholar") in {(c.citing, c.cited, c.provider) for c in rows}


def test_validate_names_a_bad_provenance_row(tiny_copy):
    from survey_taxonomy.refresh import format_citations

    rows = read_citations(tiny_copy / "citations.csv")[0]
    text = format_citations(rows) + "xia2024unlocking,chen2024what,https://openalex.org/W1,scholarly index: x,openalex,W1,not-an-id,2026-01-01\n"
    (tiny_copy / "citations.csv").write_text(text, encoding="utf-8")
    (tiny_copy / "citation_counts.csv").write_text("key,provider,work_id,count,retrieved\nchen2024what,openalex,W1,many,2026-01-01\n", encoding="utf-8")
    messages = [str(p) for p in load_corpus(tiny_copy).problems]
    assert any("citations.csv:4" in m and "cited_id 'not-an-id' is not a work id of OpenAlex" in m for m in messages)
    assert any("citation_counts.csv:2" in m and "count 'many' is not a whole number" in m for m in messages)
    assert cli.main(["--data", str(tiny_copy), "validate"]) == 1


def test_provenance_counts_freshness_and_related_works(fake_scholarly, tiny_copy, tmp_path):
    assert freshness(load_corpus(tiny_copy)) == []
    run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    corpus = load_corpus(tiny_copy)
    records = edge_provenance(corpus, "xia2024unlocking", "leviathan2023fast")
    assert [c.provider for c in records] == ["", "openalex", "semanticscholar"]  # the hand-curated row, then the indexes
    assert edge_provenance(corpus, "chen2024what", "leviathan2023fast")[-1].evidence.startswith("relation: in the survey's own paper list")
    assert citation_counts(corpus, "leviathan2023fast")[0].label.startswith("cited by 900 (")
    fresh = freshness(corpus)
    assert [f.provider for f in fresh] == ["openalex", "semanticscholar"] and fresh[0].edges == len(EXPECTED_OPENALEX)
    assert prior_works(corpus, ["xia2024unlocking", "chen2023accelerating"], 3)[0] == ("leviathan2023fast", 2)
    assert derivative_works(corpus, ["leviathan2023fast", "chen2023accelerating"], 2)[0] == ("xia2024unlocking", 2)  # never the survey


def test_a_background_refresh_reports_progress_and_its_result(fake_scholarly, tiny_copy, tmp_path):
    from survey_taxonomy.jobs import current_job, start_refresh

    seen: list[str] = []
    job = start_refresh(settings_for(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite"), ("openalex",))
    assert start_refresh(settings_for(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")) is job or job.state != "running"  # one at a time
    assert job.wait(30) and current_job("refresh") is job
    seen.append(job.stage)
    assert job.state == "done" and "wrote papers.bib, citations.csv, citation_counts.csv" in job.report, job.error
    assert job.summary.splitlines()[0].startswith("OpenAlex: ") and "edges: " in job.summary and " -> " not in job.summary
    assert " -> " in job.report  # the items stay in the whole report
    assert job.requests == fake_scholarly.count() and seen[0].startswith("OpenAlex")
