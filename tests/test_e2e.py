"""End-to-end walks in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

Screenshots of every page go to test-output/screenshots/ so that a person can look at them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from survey_taxonomy.data.bibliography import parse_bibtex
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.query.selection import Selection
from survey_taxonomy.submissions.store import retry_delay
from tests.browser import ADMIN_TOKEN, bbox, choose, fill_submit_form, shoot, wait_for_app

SPEC = "collaboration/sm-enhance-llm/efficient-inference/speculative-decoding"
POINTS = ".js-plotly-plot .scatterlayer .trace .points path"
pytestmark = pytest.mark.browser


def test_explore_walk(server: str, page: Page, corpus: Corpus) -> None:
    page.goto(server)
    wait_for_app(page)
    expect(page.get_by_test_id("stHeading").first).to_contain_text("Small Models Atlas")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .sunburstlayer path').length > 10", timeout=60_000)  # drawn
    shoot(page, "overview")

    page.get_by_role("link", name="Explore papers").first.click()
    wait_for_app(page)
    choose(page, "Taxonomy node (includes its sub-nodes)", "Speculative decoding")
    selection = Selection(node=SPEC)
    expected = selection.describe(len(selection.filter(corpus.frame)), corpus.taxonomy)
    expect(page.get_by_text(expected)).to_be_visible()
    page.get_by_text(re.compile(r"^Only papers with code")).click()
    wait_for_app(page)
    with_code = Selection(node=SPEC, has_code=True)
    expect(page.get_by_text(with_code.describe(len(with_code.filter(corpus.frame)), corpus.taxonomy))).to_be_visible()
    assert "node=collaboration" in page.url and "code=1" in page.url

    choose(page, "Or open a paper by title", "Fast Inference from Transformers")
    expect(page.get_by_role("heading", name="Fast Inference from Transformers via Speculative Decoding")).to_be_visible()
    assert "key=leviathan2023fast" in page.url
    shoot(page, "explore")

    for button, suffix in ((r"^BibTeX \(\d+\)", ".bib"), (r"^Full BibTeX \(\d+\)", ".full.bib")):
        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile(button)).click()
        assert info.value.suggested_filename == f"small-models-atlas_speculative-decoding_with-code{suffix}"
        parsed = parse_bibtex(Path(info.value.path()).read_text(encoding="utf-8"))
        assert parsed.problems == []
        assert {p.key for p in parsed.papers} == set(with_code.filter(corpus.frame)["key"])
        assert all((p.summary == "") == (suffix == ".bib") for p in parsed.papers)  # citable: no dataset fields

    url = page.url
    page.goto(url)
    wait_for_app(page)
    expect(page.get_by_text(with_code.describe(len(with_code.filter(corpus.frame)), corpus.taxonomy))).to_be_visible()
    expect(page.get_by_role("heading", name="Fast Inference from Transformers via Speculative Decoding")).to_be_visible()

    page.get_by_role("link", name="Citation graph").first.click()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    shoot(page, "graph")
    for name in ("Taxonomy", "Trends"):
        page.get_by_role("link", name=name, exact=True).first.click()
        wait_for_app(page)
        shoot(page, name.lower())
    venues = page.locator(".js-plotly-plot").filter(has=page.locator(".gtitle", has_text="Most frequent venues"))
    venues.locator(".barlayer").wait_for()
    area, whole = bbox(venues.locator(".nsewdrag").first), bbox(venues)
    assert area["width"] >= whole["width"] / 2, (area, whole)  # long venue names once left the bars a sliver


def test_submit_review_approve_then_explore(own_server: str, page: Page) -> None:
    page.goto(f"{own_server}/submit")
    wait_for_app(page)
    page.get_by_role("button", name="Submit", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"title.*missing", re.IGNORECASE)).first).to_be_visible()
    expect(page.get_by_test_id("stToast").filter(has_text="nothing was stored")).to_be_in_viewport()  # seen from the form's foot
    shoot(page, "submit-problems")

    title = "Quokka Routing: A Tiny Router for Large Models"
    fill_submit_form(page, title, "2024", "https://example.org/quokka", "A small router sends easy queries to a small model and hard ones to a large one.")
    expect(page.get_by_text(re.compile(r"Submission #\d+")).first).to_be_visible()
    expect(page.get_by_test_id("stToast").filter(has_text=re.compile(r"Submission #\d+ is stored"))).to_be_in_viewport()
    shoot(page, "submit-done")

    page.goto(f"{own_server}/review")
    wait_for_app(page)
    page.get_by_label("Admin token").fill("wrong-token")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert").filter(has_text=re.compile("wrong admin token", re.IGNORECASE))).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    assert page.get_by_label("Admin token").input_value() == ""  # the form forgets what was typed
    time.sleep(retry_delay(1) + 0.5)  # one wrong token: the store makes the next try wait a second
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(title).first).to_be_visible()
    shoot(page, "review")
    page.get_by_role("button", name="Approve").first.click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"approved: it is in Explore now"))).to_be_visible()

    page.goto(f"{own_server}/explore?q=quokka")
    wait_for_app(page)
    expect(page.get_by_text('1 paper matching "quokka"')).to_be_visible()
    choose(page, "Or open a paper by title", "Quokka Routing")
    expect(page.get_by_text(re.compile("added by this project from a community submission"))).to_be_visible()
    shoot(page, "explore-community")


@pytest.mark.model
def test_demo_asks_the_small_model_and_shows_metrics(server: str, page: Page) -> None:
    page.goto(f"{server}/demo?mode=ask")
    wait_for_app(page)
    expect(page.get_by_text("135M", exact=False).first).to_be_visible()
    page.get_by_label("Question").fill("How can a small model make LLM decoding faster?")
    page.get_by_text("Small model", exact=True).click()  # the default answer is extractive (no model)
    wait_for_app(page)
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_text("Answer by SmolLM2-135M-Instruct (local)")).to_be_visible(timeout=180_000)
    wait_for_app(page, timeout=180_000)
    expect(page.get_by_text(re.compile(r"first token.*tokens/s")).first).to_be_visible()
    cited = page.locator('a[href*="paper?key="]')
    assert cited.count() >= 1
    page.get_by_text(re.compile(r"first token.*tokens/s")).first.scroll_into_view_if_needed()
    shoot(page, "demo")


def test_graph_click_on_a_node_shows_its_details(server: str, page: Page) -> None:
    page.goto(f"{server}/graph?node={SPEC.replace('/', '%2F')}")
    wait_for_app(page)
    expect(page.get_by_text("Click a node")).to_be_visible()
    points = page.locator(".js-plotly-plot .scatterlayer .trace .points path")
    page.wait_for_function(f"document.querySelectorAll({POINTS!r}).length > 0", timeout=60_000)  # plotly draws after the run
    box = bbox(points.nth(points.count() - 1))
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_app(page)
    expect(page.get_by_text("Click a node")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^(Cites|Cited by|Similar text) .* in this drawing: \d+$")).first).to_be_visible()  # by kind
    assert "focus=" in page.url
