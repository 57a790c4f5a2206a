"""After `citations refresh` (against the local fake OpenAlex and Semantic Scholar), the Citation graph in Chromium
draws the refreshed network: the links the library counts, where each comes from, when the data was fetched,
and the prior and derivative works of the selection."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, expect

from survey_taxonomy.config import Settings
from survey_taxonomy.data.abstracts import abstract_of
from survey_taxonomy.data.corpus import load_corpus
from survey_taxonomy.data.provenance import freshness
from survey_taxonomy.data.words import plural
from survey_taxonomy.graphs.networks import build_graph, derivative_works, describe_citation_links, prior_works
from survey_taxonomy.query.selection import Selection
from survey_taxonomy.sources import open_sources
from survey_taxonomy.sources.refresh import refresh_citations
from tests.browser import ADMIN_TOKEN, app_server, new_context, shoot, wait_for_app
from tests.fake_scholarly import FakeScholarly

pytestmark = pytest.mark.browser
# In the fake world, the papers up to 2023: linked among themselves, and cited by later papers outside (derivative
# works; the survey, which frames every paper, is never one).
SELECTION = Selection(year_max=2023)


def test_the_refreshed_graph_shows_real_links_their_sources_and_related_works(
    fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, browser: Browser
) -> None:
    settings = Settings(
        data_dir=tiny_copy, openalex_url=fake_scholarly.openalex_url, s2_url=fake_scholarly.s2_url, scholarly_cache=str(tmp_path / "c.sqlite"), http_timeout=5
    )
    http, sources = open_sources(settings, ("openalex", "semanticscholar"), attempts=2, backoff=0.01)
    try:
        refresh_citations(tiny_copy, sources)
    finally:
        http.close()
    corpus = load_corpus(tiny_copy)
    assert corpus.survey is not None
    keys = tuple(sorted(k for k in SELECTION.filter(corpus.frame)["key"] if k != corpus.survey.key))  # the survey hidden
    graph = build_graph(corpus, "citations", keys)
    prior, derivative = prior_works(corpus, keys, 8), derivative_works(corpus, keys, 8)
    assert graph.number_of_edges() > 0 and derivative  # the fixture's world gives the page something to show
    (openalex,) = [f for f in freshness(corpus) if f.provider == "openalex"]

    with app_server(tmp_path, env={"SURVEY_DATA_DIR": str(tiny_copy)}) as base:
        page = new_context(browser).new_page()
        page.goto(f"{base}/graph?mode=citations&{urlencode(SELECTION.to_params(), doseq=True)}")
        wait_for_app(page, timeout=120_000)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .scatterlayer .trace .points path').length > 0", timeout=60_000)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text(f"{plural(graph.number_of_nodes(), 'node')}, {plural(graph.number_of_edges(), 'link')}")
        line = describe_citation_links(corpus)
        assert " from OpenAlex" in line and openalex.retrieved in line
        expect(main).to_contain_text(line.split(". Each")[0])
        notes = page.evaluate("() => document.querySelector('.js-plotly-plot').data.filter(t => (t.hovertemplate || '').includes('link')).flatMap(t => t.text)")
        assert len(notes) == graph.number_of_edges()
        assert any(f"OpenAlex, {openalex.retrieved}" in note for note in notes)
        for column, found in (("Prior works", prior), ("Derivative works", derivative)):
            heading = main.get_by_role("heading", name=column)
            expect(heading).to_be_visible()
            for key, _count in found:
                expect(main.get_by_role("link", name=re.compile(re.escape(corpus.by_key[key].title[:40]))).first).to_be_visible()
        shoot(page, "graph-refreshed")

        abstract = abstract_of(corpus.abstracts, "leviathan2023fast")
        assert abstract is not None
        page.goto(f"{base}/paper?key=leviathan2023fast")
        wait_for_app(page, timeout=60_000)
        expect(main.get_by_text(abstract.text, exact=True)).to_be_visible()  # open on the paper's own page
        expect(main).to_contain_text(f"From OpenAlex ({abstract.work_id}), fetched {abstract.retrieved}")
        shoot(page, "paper-abstract")
        page.goto(f"{base}/paper?key=chen2023frugalgpt")  # its index abstract was not kept
        wait_for_app(page, timeout=60_000)
        expect(main).to_contain_text("No abstract yet")
        page.context.close()


def test_a_maintainer_refreshes_from_the_review_page_while_others_keep_reading(
    fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, browser: Browser
) -> None:
    """The Review page starts a refresh in the background: its progress bar shows while the (held) index answers
    nothing, another reader's Explore opens meanwhile, and once the index answers the run's report appears and
    the files hold its edges."""
    before = (tiny_copy / "citations.csv").read_text()
    env = {
        "SURVEY_DATA_DIR": str(tiny_copy),
        "SURVEY_OPENALEX_URL": fake_scholarly.openalex_url,
        "SURVEY_S2_URL": fake_scholarly.s2_url,
        "SURVEY_SCHOLARLY_CACHE": str(tmp_path / "cache.sqlite"),
    }
    with app_server(tmp_path, env=env) as base:
        admin = new_context(browser).new_page()
        admin.goto(f"{base}/review")
        wait_for_app(admin, timeout=120_000)
        admin.get_by_label("Admin token").fill(ADMIN_TOKEN)
        admin.keyboard.press("Enter")
        button = admin.get_by_role("button", name="Refresh citations")
        button.wait_for(timeout=60_000)
        fake_scholarly.open.clear()  # the index holds every answer until the reader below has been served
        button.click()
        expect(admin.get_by_test_id("stProgress")).to_be_visible(timeout=30_000)
        expect(admin.get_by_text(re.compile(r"^Refresh citations: .+ \(\d+ of (\d+|\?)\)$"))).to_be_visible()

        reader = new_context(browser).new_page()
        reader.goto(f"{base}/explore")
        wait_for_app(reader, timeout=120_000)
        corpus = load_corpus(tiny_copy)
        expect(reader.locator(".st-key-explore_count")).to_have_text(Selection().describe(len(corpus.frame)), timeout=30_000)
        assert fake_scholarly.requests == [] and (tiny_copy / "citations.csv").read_text() == before  # the run is still waiting
        expect(admin.get_by_test_id("stProgress")).to_be_visible()
        shoot(admin, "review-refresh-running")

        fake_scholarly.open.set()
        expect(admin.get_by_test_id("stAlert").filter(has_text="Refresh citations finished.")).to_be_visible(timeout=120_000)
        summary = admin.get_by_test_id("stText").filter(has_text=re.compile(r"edges: \d+ added"))
        expect(summary).to_contain_text("OpenAlex: 7 papers found (6 by arXiv id, 1 by title)")
        assert "->" not in summary.inner_text()  # the items are in the expander, not in the summary
        rows = [c for c in load_corpus(tiny_copy).citations if c.provider]
        assert rows and {c.provider for c in rows} == {"openalex", "semanticscholar"}
        shoot(admin, "review-refresh-done")
        admin.context.close()
        reader.context.close()
