"""The Graph page's default view in Chromium, read as a reader reads it and compared with the library's answer for
the same papers: the two figures it reports (share of papers linked, busiest node's share of links) and their goals,
each kind of link drawn and named apart, the survey hidden until asked for, the search finding authors, details by
title, and labels that stay inside the drawing on a phone. Screenshots in test-output/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.graphs.networks import LINK_KINDS, NetworkFigures, build_graph, network_figures, node_name
from tests.browser import bbox, choose, new_context, runs, shoot, wait_for_app

pytestmark = pytest.mark.browser
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"
FIGURES = re.compile(r"(\d+) of (\d+) papers \((\d+)%\) are linked to another paper; the busiest node \((.+)\) holds (\d+) of (\d+) links \((\d+)%\)\.")
TRACES = "() => document.querySelector('.js-plotly-plot').data.map(t => ({name: t.name || '', dash: (t.line || {}).dash || '', ids: t.customdata || []}))"


def expected(corpus: Corpus, keys: list[str]) -> tuple[NetworkFigures, str]:
    """The sentence the page shows for `keys`, from the library."""
    assert corpus.survey is not None
    graph = build_graph(corpus, "network", keys)
    figures = network_figures(graph, keys, corpus.survey.key)
    return figures, figures.describe(node_name(graph, figures.busiest))


def drawn(page: Page) -> list[dict[str, Any]]:
    """The traces Plotly drew (TRACES): name, dash and the keys of their points."""
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length > 0", timeout=60_000)
    traces: list[dict[str, Any]] = page.evaluate(TRACES)
    return traces


def test_the_default_view_links_most_papers_and_hangs_on_no_single_node(server: str, page: Page, corpus: Corpus) -> None:
    assert corpus.survey is not None
    page.goto(f"{server}/graph")
    wait_for_app(page)
    traces = drawn(page)
    papers = sorted(p.key for p in corpus.papers if p.relation != "survey")
    figures, sentence = expected(corpus, papers)
    shown = page.locator(".st-key-graph_figures").inner_text()
    assert sentence in shown.replace("\\", "")
    found = FIGURES.search(shown)
    assert found, shown
    linked, total, _, _, busiest, links, _ = found.groups()
    assert int(total) == len(papers) and int(linked) / int(total) >= 0.8  # goal: at least 80 % of papers linked
    assert int(busiest) / int(links) <= 0.10  # goal: no node holds more than 10 % of the links
    names = [t["name"] for t in traces if t["name"]]
    assert f"{LINK_KINDS['citation']}: {figures.citation_links}" in names
    assert f"{LINK_KINDS['similar']}: {figures.similar_links}" in names
    dashes = {t["name"].split(":")[0]: t["dash"] for t in traces if t["name"].startswith(tuple(LINK_KINDS.values()))}
    assert dashes == {LINK_KINDS["citation"]: "solid", LINK_KINDS["similar"]: "dot"}  # drawn apart, and no survey links
    assert corpus.survey.key not in {key for t in traces for key in t["ids"]}  # the survey is hidden by default
    expect(page.get_by_text(re.compile(r"^\d+ citation links between papers are known: "))).to_contain_text("citations refresh")
    shoot(page, "graph-default")

    run = runs(page)
    page.get_by_text("Show the survey as a frame").click()
    wait_for_app(page, after=run)
    assert "survey=1" in page.url
    assert corpus.survey.key in {key for t in drawn(page) for key in t["ids"]}
    _, with_survey = expected(corpus, sorted([*papers, corpus.survey.key]))
    expect(page.locator(".st-key-graph_figures")).to_contain_text(with_survey.split(";")[0])


def test_the_search_finds_a_paper_by_an_author_and_details_name_papers_by_title(server: str, page: Page, corpus: Corpus) -> None:
    author, key = "Sebastian Borgeaud", "chen2023accelerating"  # the second author of the speculative sampling paper
    assert [p.key for p in corpus.papers if author in p.authors] == [key]
    page.goto(f"{server}/graph")
    wait_for_app(page)
    drawn(page)
    choose(page, "Find in the graph", author)
    assert f"focus={key}" in page.url
    details = page.locator(".st-key-graph_details")
    expect(details.get_by_role("heading", name=corpus.by_key[key].title)).to_be_visible()
    page.goto(f"{server}/graph?focus=xia2024unlocking")
    wait_for_app(page)
    details = page.locator(".st-key-graph_details")
    expect(details).to_contain_text("Cites (citation links) in this drawing: 2")
    expect(details.get_by_role("link", name=re.compile(re.escape(corpus.by_key["leviathan2023fast"].title[:40]))).last).to_be_visible()
    assert "chen2023accelerating" not in details.inner_text()  # titles, no raw keys


def test_on_a_phone_the_graph_labels_stay_inside_the_drawing(server: str, browser: Browser) -> None:
    context = new_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=PHONE)
    page = context.new_page()
    page.goto(f"{server}/graph")
    wait_for_app(page)
    drawn(page)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .textpoint text').length > 0", timeout=30_000)
    labels = page.locator(".js-plotly-plot .textpoint text").all()
    plot = bbox(page.locator(".js-plotly-plot .main-svg").first)
    for label in labels:
        box = bbox(label)
        assert plot["x"] - 1 <= box["x"] and box["x"] + box["width"] <= plot["x"] + plot["width"] + 1, (label.text_content(), box, plot)
    shoot(page, "graph-phone")
    context.close()
