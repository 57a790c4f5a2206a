"""After `citations refresh` (against the local fake OpenAlex and Semantic Scholar), the Citation graph in Chromium
draws the refreshed network: the links the library counts, where each comes from, when the data was fetched,
and the prior and derivative works of the selection."""

# ruff: noqa: F811  (the `fake_scholarly` fixture is imported from tests.fake_scholarly, then requested by name)
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from survey_taxonomy.config import Settings
from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.graphs import build_graph, derivative_works, prior_works
from survey_taxonomy.provenance import freshness
from survey_taxonomy.query import Selection
from survey_taxonomy.refresh import refresh_citations
from survey_taxonomy.sources import open_sources
from tests.browser import app_server, shoot, wait_for_app
from tests.fake_scholarly import fake_scholarly  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
NODE = "collaboration/efficient-inference"  # in the fake world: linked papers, with prior and derivative works outside


def test_the_refreshed_graph_shows_real_links_their_sources_and_related_works(fake_scholarly, tiny_copy, tmp_path, browser):
    settings = Settings(
        data_dir=tiny_copy, openalex_url=fake_scholarly.openalex_url, s2_url=fake_scholarly.s2_url, scholarly_cache=str(tmp_path / "c.sqlite"), http_timeout=5
    )
    http, sources = open_sources(settings, ("openalex", "semanticscholar"), attempts=2, backoff=0.01)
    try:
        refresh_citations(tiny_copy, sources)
    finally:
        http.close()
    corpus = load_corpus(tiny_copy)
    keys = tuple(sorted(Selection(node=NODE).filter(corpus.frame)["key"]))
    graph = build_graph(corpus, "citations", keys)
    prior, derivative = prior_works(corpus, keys, 8), derivative_works(corpus, keys, 8)
    assert graph.number_of_edges() > 0 and prior and derivative  # the fixture's world gives the page something to show
    (openalex,) = [f for f in freshness(corpus) if f.provider == "openalex"]

    with app_server(tmp_path, env={"SURVEY_DATA_DIR": str(tiny_copy)}) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{base}/graph?node={NODE.replace('/', '%2F')}")
        wait_for_app(page, timeout=120_000)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .scatterlayer .trace .points path').length > 0", timeout=60_000)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text(f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} links")
        expect(main).to_contain_text(f"OpenAlex, fetched {openalex.retrieved}: {openalex.edges} edges")
        notes = page.evaluate("() => document.querySelector('.js-plotly-plot').data.filter(t => (t.hovertemplate || '').includes('link')).flatMap(t => t.text)")
        assert len(notes) == graph.number_of_edges()
        assert any(f"OpenAlex, {openalex.retrieved}" in note for note in notes)
        for column, found in (("Prior works", prior), ("Derivative works", derivative)):
            heading = main.get_by_role("heading", name=column)
            expect(heading).to_be_visible()
            for key, _count in found:
                expect(main.get_by_role("link", name=re.compile(re.escape(corpus.by_key[key].title[:40]))).first).to_be_visible()
        shoot(page, "graph-refreshed")
        page.context.close()
