"""End-to-end walks in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

Screenshots of every page go to test-output/screenshots/ so that a person can look at them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from survey_taxonomy.bibliography import parse_bibtex
from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.query import Selection

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SPEC = "collaboration/sm-enhance-llm/efficient-inference/speculative-decoding"

pytestmark = pytest.mark.browser
if not os.path.exists(CHROMIUM):
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}: run `make system-deps` (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its own store; waits for /_stcore/health."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "SURVEY_DB_URL": f"sqlite:///{workdir / 'submissions.db'}", "SURVEY_ADMIN_TOKEN": "e2e-secret-token"}
    log = open(workdir / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start:\n" + (workdir / "streamlit.log").read_text())
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def wait_for_app(page: Page) -> None:
    """Wait until the script run that the last action started has finished."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    time.sleep(0.3)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def choose(page: Page, label: str, text: str) -> None:
    """Pick an option of a Streamlit selectbox by typing part of its text."""
    box = page.get_by_label(label, exact=False).first
    box.click()
    page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    wait_for_app(page)


def test_explore_walk(server, page):
    corpus = load_corpus(ROOT / "data")
    page.goto(server)
    wait_for_app(page)
    expect(page.get_by_test_id("stHeading").first).to_contain_text("Small Models Atlas")
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

    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile(r"Download \d+ as BibTeX")).click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    parsed = parse_bibtex(text)
    assert parsed.problems == []
    assert {p.key for p in parsed.papers} == set(with_code.filter(corpus.frame)["key"])

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


def test_submit_review_approve_then_explore(server, page):
    page.goto(f"{server}/submit")
    wait_for_app(page)
    page.get_by_role("button", name="Submit", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"title.*missing", re.IGNORECASE)).first).to_be_visible()
    shoot(page, "submit-problems")

    title = "Quokka Routing: A Tiny Router for Large Models"
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Authors, one per line").fill("Ada Lovelace\nAlan Turing")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("URL of the paper").fill("https://example.org/quokka")
    choose(page, "Taxonomy node", "cascading and routing")
    page.get_by_label("One-sentence summary, in your own words").fill("A small router sends easy queries to a small model and hard ones to a large one.")
    page.keyboard.press("Tab")
    wait_for_app(page)
    page.get_by_role("button", name="Submit", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Submission #\d+")).first).to_be_visible()
    shoot(page, "submit-done")

    page.goto(f"{server}/review")
    wait_for_app(page)
    page.get_by_label("Admin token").fill("wrong-token")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(re.compile("token", re.IGNORECASE)).last).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.get_by_label("Admin token").fill("e2e-secret-token")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(title).first).to_be_visible()
    shoot(page, "review")
    page.get_by_role("button", name="Approve").first.click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"approved: it is in Explore now"))).to_be_visible()

    page.goto(f"{server}/explore?q=quokka")
    wait_for_app(page)
    expect(page.get_by_text('1 paper matching "quokka"')).to_be_visible()
    choose(page, "Or open a paper by title", "Quokka Routing")
    expect(page.get_by_text(re.compile("added by this project from a community submission"))).to_be_visible()
    shoot(page, "explore-community")


@pytest.mark.model
def test_demo_asks_the_small_model_and_shows_metrics(server, page):
    page.goto(f"{server}/demo?mode=ask")
    wait_for_app(page)
    expect(page.get_by_text("135M", exact=False).first).to_be_visible()
    page.get_by_label("Question").fill("How can a small model make LLM decoding faster?")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_text("Answer by SmolLM2-135M-Instruct (local)")).to_be_visible(timeout=90_000)
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"first token.*tokens/s")).first).to_be_visible()
    cited = page.locator('a[href*="explore?key="]')
    assert cited.count() >= 1
    page.get_by_text(re.compile(r"first token.*tokens/s")).first.scroll_into_view_if_needed()
    shoot(page, "demo")


def test_graph_click_on_a_node_shows_its_details(server, page):
    page.goto(f"{server}/graph?node={SPEC.replace('/', '%2F')}")
    wait_for_app(page)
    expect(page.get_by_text("Click a node to see it here")).to_be_visible()
    points = page.locator(".js-plotly-plot .scatterlayer .trace .points path")
    expect(points.first).to_be_visible()
    box = points.nth(points.count() - 1).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_app(page)
    expect(page.get_by_text("Click a node to see it here")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^(cites|cited by) in this graph:")).first).to_be_visible()
    assert "focus=" in page.url
