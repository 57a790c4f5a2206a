"""`citations refresh` on copies of the tiny dataset, against the local fake APIs; and the library views of its data."""

from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path

import pytest

from survey_taxonomy import cli
from survey_taxonomy.config import Settings
from survey_taxonomy.data.abstracts import abstract_of
from survey_taxonomy.data.corpus import load_corpus, read_citations
from survey_taxonomy.data.provenance import citation_counts, edge_provenance, freshness
from survey_taxonomy.errors import SourceError
from survey_taxonomy.graphs.networks import derivative_works, prior_works
from survey_taxonomy.sources import commands as source_commands
from survey_taxonomy.sources import open_sources
from survey_taxonomy.sources.refresh import RefreshReport, refresh_citations
from tests.fake_scholarly import FakeScholarly, recorded

FILES = ("papers.bib", "citations.csv", "citation_counts.csv", "abstracts.csv")


def s2(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def settings_for(server: FakeScholarly, data: Path, cache: Path) -> Settings:
    return Settings(data_dir=data, openalex_url=server.openalex_url, s2_url=server.s2_url, scholarly_cache=str(cache), http_timeout=5)


def run(server: FakeScholarly, data: Path, cache: Path, names: tuple[str, ...] = ("openalex", "semanticscholar"), **options: bool) -> RefreshReport:
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


def test_refresh_writes_exactly_the_expected_edges_ids_and_counts(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
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
    first, only_s2 = abstract_of(corpus.abstracts, "leviathan2023fast"), abstract_of(corpus.abstracts, "zhang2025lightrouter")
    assert first is not None and first.provider == "openalex"  # OpenAlex first
    assert only_s2 is not None and only_s2.provider == "semanticscholar"  # only S2 knows it
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


def test_a_second_run_sends_no_request_and_changes_nothing(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
    run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    before, sent = snapshot(tiny_copy), fake_scholarly.count()
    report = run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite")
    assert fake_scholarly.count() == sent
    assert snapshot(tiny_copy) == before
    assert not report.changed and report.written == [] and "nothing changed" in report.describe()
    assert report.edges.unchanged == len(EXPECTED_OPENALEX) + len(EXPECTED_S2)


def test_a_failing_source_leaves_the_files_byte_identical_and_a_rerun_resumes(
    fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
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
    monkeypatch.setattr(source_commands, "open_sources", functools.partial(open_sources, attempts=2, backoff=0.01))
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


def test_dry_run_writes_nothing_and_prune_removes_only_stale_index_rows(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
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


def test_validate_names_a_bad_provenance_row(tiny_copy: Path) -> None:
    from survey_taxonomy.sources.refresh import format_citations

    rows = read_citations(tiny_copy / "citations.csv")[0]
    text = format_citations(rows) + "xia2024unlocking,chen2024what,https://openalex.org/W1,scholarly index: x,openalex,W1,not-an-id,2026-01-01\n"
    (tiny_copy / "citations.csv").write_text(text, encoding="utf-8")
    (tiny_copy / "citation_counts.csv").write_text("key,provider,work_id,count,retrieved\nchen2024what,openalex,W1,many,2026-01-01\n", encoding="utf-8")
    messages = [str(p) for p in load_corpus(tiny_copy).problems]
    assert any("citations.csv:4" in m and "cited_id 'not-an-id' is not a work id of OpenAlex" in m for m in messages)
    assert any("citation_counts.csv:2" in m and "count 'many' is not a whole number" in m for m in messages)
    assert cli.main(["--data", str(tiny_copy), "validate"]) == 1


def test_provenance_counts_freshness_and_related_works(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
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


def test_a_background_refresh_reports_progress_and_its_result(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
    from survey_taxonomy.sources.jobs import Jobs

    seen: list[str] = []
    jobs = Jobs()
    job = jobs.start_refresh(settings_for(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite"), ("openalex",))
    assert job.wait(30) and jobs.current("refresh") is job and jobs.current("discover") is None
    assert Jobs().current("refresh") is None  # another owner's runs are its own
    seen.append(job.stage)
    assert job.state == "done" and "wrote papers.bib, citations.csv, citation_counts.csv" in job.report, job.error
    assert job.summary.splitlines()[0].startswith("OpenAlex: ") and "edges: " in job.summary and " -> " not in job.summary
    assert " -> " in job.report  # the items stay in the whole report
    assert job.requests == fake_scholarly.count() and seen[0].startswith("OpenAlex")


# --- Real recorded answers and a hostile server ---

CHEMCROW_BIB = """
@article{bran2024augmenting,
  title = {Augmenting large language models with chemistry tools},
  author = {Andres M. Bran and Sam Cox and Oliver Schilter and Carlo Baldassari and Andrew D. White and Philippe Schwaller},
  year = {2024},
  journal = {Nature Machine Intelligence},
  venue = {Nature Machine Intelligence 2024},
  doi = {10.1038/s42256-024-00832-8},
  eprint = {2304.05376},
  archiveprefix = {arXiv},
  url = {https://doi.org/10.1038/s42256-024-00832-8},
  taxonomy = {collaboration/efficient-inference/speculative-decoding},
  topic = {Tools},
  relation = {community},
  summary = {An LLM agent that calls expert chemistry tools; the facts of this test entry are those of the recorded OpenAlex and Semantic Scholar answers.}
}
"""


def test_a_paper_in_two_versions_gets_the_edges_of_both_and_the_publisher_count(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
    """Recorded: OpenAlex's arXiv work of ChemCrow has no references, its journal work lists two dataset papers."""
    with (tiny_copy / "papers.bib").open("a", encoding="utf-8") as fh:
        fh.write(CHEMCROW_BIB)
    fake_scholarly.add_openalex(recorded("openalex_chemcrow_two_versions.json")["body"]["results"])
    report = run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite", names=("openalex",))
    corpus = load_corpus(tiny_copy)
    edges = {(c.citing, c.cited): c for c in corpus.citations if c.provider == "openalex" and c.citing == "bran2024augmenting"}
    assert set(edges) == {("bran2024augmenting", "leviathan2023fast"), ("bran2024augmenting", "chen2023accelerating")}
    assert edges["bran2024augmenting", "leviathan2023fast"].citing_id == "W4396723768"
    assert corpus.by_key["bran2024augmenting"].openalex == "W4396723768"
    count = next(c for c in corpus.counts if c.key == "bran2024augmenting")
    assert (count.work_id, count.count) == ("W4396723768", 236)
    assert "1 paper found as two works" in report.describe() and "the id and citation count are the publisher version's" in report.describe()
    abstract = next(a for a in corpus.abstracts if a.key == "bran2024augmenting")
    assert abstract.text.startswith("Large language models (LLMs)")  # the recorded "Abstract" heading word is gone
    assert corpus.errors == []


def test_hostile_ids_and_counts_are_never_written(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
    """An answer with a work id `W1<script>x</script>` and a count of -5: refused with a note, the files stay valid."""
    hostile = dict(recorded("openalex_copper_double_escaped.json")["body"]["results"][0])
    hostile |= {"id": "https://openalex.org/W1<script>x</script>", "doi": "https://doi.org/10.48550/arxiv.2211.17192"}
    fake_scholarly.add_openalex([hostile])  # sorted before the genuine work of leviathan2023fast
    fake_scholarly.world["chen2023frugalgpt"].cited_by_count = -5
    report = run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite", names=("openalex",))
    text = report.describe()
    assert "refused a work id 'W1<script>x</script>'" in text and "left out the citation count -5 of W4376000005" in text
    corpus = load_corpus(tiny_copy)
    assert corpus.errors == [] and corpus.by_key["leviathan2023fast"].openalex == "W4310000002"
    assert "<script>" not in "".join((tiny_copy / name).read_text() for name in FILES if (tiny_copy / name).exists())
    assert cli.main(["--data", str(tiny_copy), "validate"]) == 0


def test_new_files_get_the_data_folders_permissions(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
    tiny_copy.chmod(0o775)
    run(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite", names=("openalex",))
    assert (tiny_copy / "citation_counts.csv").stat().st_mode & 0o777 == 0o664
    assert (tiny_copy / "abstracts.csv").stat().st_mode & 0o777 == 0o664


def _cli_env(monkeypatch: pytest.MonkeyPatch, server: FakeScholarly, data: Path, cache: Path) -> None:
    env = {"SURVEY_DATA_DIR": data, "SURVEY_OPENALEX_URL": server.openalex_url, "SURVEY_S2_URL": server.s2_url, "SURVEY_SCHOLARLY_CACHE": cache}
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setattr(source_commands, "open_sources", functools.partial(open_sources, attempts=2, backoff=0.01))


def test_max_age_zero_refetches_and_a_dry_run_caches_nothing(
    fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache.sqlite"
    _cli_env(monkeypatch, fake_scholarly, tiny_copy, cache)
    assert cli.main(["citations", "refresh", "--source", "openalex", "--dry-run"]) == 0
    dry = fake_scholarly.count()
    assert cli.main(["citations", "refresh", "--source", "openalex", "--dry-run"]) == 0
    assert fake_scholarly.count() == 2 * dry  # the dry run kept nothing to answer from
    assert cli.main(["citations", "refresh", "--source", "openalex"]) == 0
    sent = fake_scholarly.count()
    assert cli.main(["citations", "refresh", "--source", "openalex"]) == 0
    assert fake_scholarly.count() == sent  # a warm cache sends no request
    assert cli.main(["citations", "refresh", "--source", "openalex", "--max-age", "0"]) == 0
    assert fake_scholarly.count() == sent + dry
    with pytest.raises(SystemExit) as bad:
        cli.main(["citations", "refresh", "--max-age", "-1"])
    assert bad.value.code == 2 and "'-1' is not a number of days" in capsys.readouterr().err


@pytest.mark.parametrize("stop", ["cancel the job", "close its owner"])
def test_a_stuck_refresh_job_can_be_stopped_and_writes_nothing(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, stop: str) -> None:
    from survey_taxonomy.sources.jobs import Jobs

    before = snapshot(tiny_copy)
    fake_scholarly.drip_every = 0.2
    fake_scholarly.script("/openalex", *["drip"] * 20)
    jobs = Jobs()
    job = jobs.start_refresh(settings_for(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite"), ("openalex",))
    time.sleep(0.5)
    assert job.state == "running"
    # One at a time: a second start while a refresh runs (held here by the dripping server) returns the running job.
    assert jobs.start_refresh(settings_for(fake_scholarly, tiny_copy, tmp_path / "cache.sqlite"), ("semanticscholar",)) is job
    if stop == "cancel the job":
        job.cancel()
        assert job.wait(5)
    else:
        jobs.close(timeout=5)  # what ends the app's jobs with the server
    assert job.state == "cancelled" and "cancelled" in job.error and job.thread is not None and not job.thread.is_alive()
    assert snapshot(tiny_copy) == before
