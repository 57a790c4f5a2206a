"""The explorer's features in Chromium, used as a reader uses them, with screenshots in test-output/screenshots/:
a paper's page, the reading list across pages and reloads with its exports, citable downloads, graph search and
the phone layout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import rispy
from playwright.sync_api import Browser, FloatRect, Page, expect

from survey_taxonomy.data.bibliography import parse_bibtex
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.models.retrieval import build_retriever, similar_papers
from survey_taxonomy.query.selection import Selection
from tests.browser import bbox, choose, new_context, shoot, wait_for_app

pytestmark = pytest.mark.browser
SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "schemas" / "csl-data.json").read_text(encoding="utf-8"))
KEY = "leviathan2023fast"


def download(page: Page, button: re.Pattern[str]) -> tuple[str, str]:
    wait_for_app(page)
    target = page.get_by_role("button", name=button)
    expect(target).to_be_enabled()
    with page.expect_download(timeout=60_000) as info:
        target.click()
    return info.value.suggested_filename, Path(info.value.path()).read_text(encoding="utf-8")


def test_a_paper_page_opens_at_the_top_with_what_a_reader_needs(server: str, page: Page, corpus: Corpus) -> None:
    paper = corpus.by_key[KEY]
    page.goto(f"{server}/paper?key={KEY}")
    wait_for_app(page)
    title = page.get_by_role("heading", name=paper.title, exact=True)
    expect(title).to_be_visible()
    assert bbox(title)["y"] < 300  # at the top, not below the fold
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(", ".join(paper.authors))
    expect(main).to_contain_text("Speculative decoding")  # its taxonomy path
    expect(main.locator("code").first).to_contain_text(f"paper?key={KEY}")  # the link to copy
    expect(page.get_by_text(re.compile(r"^Cited by \(in this dataset\): \d+"))).to_be_visible()
    keep = bbox(page.get_by_role("button", name="Add to reading list"))
    find = bbox(page.get_by_role("link", name="Find it in Explore"))
    assert abs((keep["y"] + keep["height"] / 2) - (find["y"] + find["height"] / 2)) < 6 and find["x"] > keep["x"]  # one row
    shoot(page, "paper")

    similar = [other.title for other, _ in similar_papers(build_retriever(corpus), paper, corpus.taxonomy, 5)]
    shown = page.locator(".st-key-paper_similar button")
    assert [next(t for t in similar if t[:40] in b) for b in shown.all_inner_texts()] == similar
    shown.first.click()
    wait_for_app(page)
    other = next(p for p in corpus.papers if p.title == similar[0])
    assert f"key={other.key}" in page.url
    expect(page.get_by_role("heading", name=other.title, exact=True)).to_be_visible()
    page.go_back()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=paper.title, exact=True)).to_be_visible()

    name, text = download(page, re.compile(r"^BibTeX \(1\)"))
    assert name == f"small-models-atlas_{KEY}.bib"
    (cited,) = parse_bibtex(text).papers
    assert (cited.title, cited.summary, cited.note) == (paper.title, "", "")


def test_the_reading_list_lasts_across_pages_and_reloads_and_exports(server: str, browser: Browser, corpus: Corpus) -> None:
    context = new_context(browser, accept_downloads=True)
    page = context.new_page()
    second = "burns2024weak"
    page.goto(f"{server}/paper?key={KEY}")
    wait_for_app(page)
    page.get_by_role("button", name="Add to reading list").click()
    wait_for_app(page)
    expect(page.get_by_role("link", name=re.compile(r"Reading list \(1\)"))).to_be_visible()
    page.goto(f"{server}/explore?key={second}")
    wait_for_app(page)
    page.get_by_role("button", name="Add to reading list").click()
    wait_for_app(page)
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("link", name=re.compile(r"Reading list \(2\)"))).to_be_visible()
    page.set_viewport_size({"width": 1000, "height": 900})  # a laptop window: the panel's actions keep whole labels
    label = page.get_by_role("button", name="Remove from reading list").get_by_test_id("stMarkdownContainer")
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the Remove button's label is cut"
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_role("link", name=re.compile(r"Reading list \(2\)")).click()
    wait_for_app(page)
    for key in (KEY, second):
        expect(page.get_by_role("link", name=re.compile(re.escape(corpus.by_key[key].title[:40])))).to_be_visible()
    removes = page.get_by_role("button", name="Remove", exact=True).get_by_test_id("stMarkdownContainer").all()
    assert len(removes) == 2 and all(b.evaluate("e => e.scrollWidth <= e.clientWidth + 1") for b in removes), "a Remove label is cut"
    shoot(page, "reading-list")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone, whole titles, wrapped, none cut at the edge
    page.wait_for_function("document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0")  # folded away
    for key in (KEY, second):
        title = page.get_by_role("link", name=re.compile(re.escape(corpus.by_key[key].title[:40]))).locator("p")
        assert title.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= window.innerWidth"), key
    shoot(page, "reading-list-phone")
    page.set_viewport_size({"width": 1400, "height": 1000})

    name, ris = download(page, re.compile(r"^RIS \(2\)"))
    assert name == "small-models-atlas_reading-list.ris"
    assert [r["id"] for r in rispy.loads(ris)] == [KEY, second]
    _, csl = download(page, re.compile(r"^CSL-JSON \(2\)"))
    items = json.loads(csl)
    jsonschema.validate(items, SCHEMA)
    assert [i["id"] for i in items] == [KEY, second]

    page.get_by_role("button", name="Remove", exact=True).first.click()
    wait_for_app(page)
    expect(page.get_by_role("link", name=re.compile(r"Reading list \(1\)"))).to_be_visible()
    other = new_context(browser).new_page()  # another browser: its own, empty list
    other.goto(f"{server}/reading-list")
    wait_for_app(other)
    expect(other.get_by_text("Your reading list is empty")).to_be_visible()
    other.context.close()
    context.close()


def test_slash_goes_to_the_search_box_and_routing_finds_router(server: str, page: Page, corpus: Corpus) -> None:
    page.goto(f"{server}/explore")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Search titles, authors, summaries")
    expect(box).to_be_visible()
    page.get_by_role("heading", name="Explore papers").click()  # the reader is on the page, not in a field
    page.wait_for_function("document.__atlasSlash === true")  # the page's script is in (on a busy machine it can lag the text)
    page.keyboard.press("/")
    expect(box).to_be_focused()
    assert box.input_value() == ""  # the key moved the focus; it typed nothing
    page.keyboard.type("routing")
    page.keyboard.press("Enter")
    wait_for_app(page)
    routing = Selection(query="routing")
    found = routing.filter(corpus.frame)
    assert any("router" in title.lower() and "routing" not in title.lower() for title in found["title"])  # a word form
    expect(page.locator(".st-key-explore_count")).to_have_text(routing.describe(len(found), corpus.taxonomy))
    assert "q=routing" in page.url


def test_graph_search_circles_a_paper_and_shows_it_beside_the_graph(server: str, page: Page, corpus: Corpus) -> None:
    page.goto(f"{server}/graph")
    wait_for_app(page)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .scatterlayer .trace .points path').length > 0", timeout=60_000)
    title = corpus.by_key[KEY].title
    choose(page, "Find in the graph", title[:30])
    assert f"focus={KEY}" in page.url
    details = page.locator(".st-key-graph_details")
    expect(details.get_by_role("heading", name=title)).to_be_visible()
    chart = bbox(page.locator(".js-plotly-plot").first)
    for tool in ("Zoom in", "Zoom out", "Pan", "Reset axes", "Download plot as a PNG"):  # the graph keeps its moving tools
        expect(page.locator(f".js-plotly-plot .modebar-btn[data-title='{tool}']")).to_have_count(1)
    assert bbox(details)["x"] > chart["x"] + chart["width"] / 2  # beside the drawing, not under it
    assert bbox(details)["y"] < 1000
    shoot(page, "graph-search")

    page.goto(f"{server}/graph?relation=cites-survey")  # papers citing the survey have little text: some stay unlinked, listed not dropped
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"\d+ papers? of this selection with no link here"))).to_be_visible()


def disjoint(a: FloatRect, b: FloatRect) -> bool:
    """Two bounding boxes that do not overlap."""
    return a["x"] >= b["x"] + b["width"] or b["x"] >= a["x"] + a["width"] or a["y"] >= b["y"] + b["height"] or b["y"] >= a["y"] + a["height"]


# A phone's browser says it is one: Streamlit folds its side panel away after a tap on a page link only for a mobile
# user agent (its frontend's `isMobile`), as every phone's browser sends.
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"


def test_phone_layout_has_cards_a_filter_control_and_legends_under_charts(server: str, browser: Browser, corpus: Corpus) -> None:
    context = new_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=PHONE)
    page = context.new_page()
    page.goto(f"{server}/explore")
    wait_for_app(page)
    expect(page.locator(".st-key-explore_cards")).to_be_visible()
    expect(page.locator(".st-key-explore_wide")).to_be_hidden()
    expect(page.locator(".st-key-explore_cards").get_by_role("link").first).to_be_visible()
    for card_title in page.locator(".st-key-explore_cards .atlas-card-title").all()[:5]:  # whole titles, wrapped, none cut at the edge
        assert card_title.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= window.innerWidth"), card_title.inner_text()
    shoot(page, "phone-explore")
    first = page.locator(".st-key-explore_cards .atlas-card-title").first
    title = first.inner_text()
    first.click()  # a card opens its paper's own page
    wait_for_app(page)
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    assert "/paper?key=" in page.url and corpus.by_key[page.url.split("key=")[1]].title == title
    page.go_back()
    wait_for_app(page)
    control = page.get_by_test_id("stExpandSidebarButton")
    expect(control).to_be_visible()
    assert "Filters" in control.evaluate("e => getComputedStyle(e, '::after').content")
    control.click()
    expect(page.get_by_label("Taxonomy node (includes its sub-nodes)")).to_be_visible()
    shoot(page, "phone-filters")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Trends").click()  # the open panel's own page links
    wait_for_app(page)
    page.wait_for_function("document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0")  # folded away
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .legend').length > 0", timeout=60_000)
    plot = page.locator(".js-plotly-plot").first
    legend = plot.locator(".legend").first
    assert bbox(legend)["y"] > bbox(plot.locator(".cartesianlayer, .barlayer").first)["y"]
    for each in page.locator(".js-plotly-plot").all():  # a phone always shows Plotly's toolbar: it must leave the title readable
        tools, heading = bbox(each.locator(".modebar").first), bbox(each.locator(".gtitle").first)
        assert disjoint(tools, heading), (each.locator(".gtitle").inner_text(), tools, heading)
        assert [tool.get_attribute("data-title") for tool in each.locator(".modebar-btn").all()] == ["Download plot as a PNG"]
    shoot(page, "phone-trends")
    context.close()


NOT_FOUND_WATCH = """
window.__notFound = false;
new MutationObserver(() => { if (document.body && document.body.innerText.includes("Page not found")) window.__notFound = true; })
  .observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.mark.parametrize("path", ["/reading-list", "/overview"])
def test_a_fresh_server_opened_on_a_page_address_never_says_page_not_found(path: str, own_server: str, browser: Browser) -> None:
    """The first request of a new server is routed by file name until app.py has run once; every page's file is
    named so that its address finds it, and the page then hands over to app.py (shared sidebar, page list)."""
    context = new_context(browser)
    context.add_init_script(NOT_FOUND_WATCH)
    page = context.new_page()
    page.goto(own_server + path)
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("link", name="Explore papers").first).to_be_visible()  # app.py's page list, at the top
    assert page.evaluate("window.__notFound") is False, f"{path} showed 'Page not found' on a fresh server"
    context.close()
