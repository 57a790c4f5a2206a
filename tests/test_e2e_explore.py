"""Random walks through Explore in Chromium, clicking as people do, checked against the library after every step.

The walks are one long visit, as a person's is: each sequence starts where the last one ended, after *Clear all
filters* when the sidebar offers it, and takes 4 to 8 ordinary actions (pick a node or a topic by its label, move a
year thumb with the keyboard, tick code, type or clear a search, open a paper from a row or the title box, follow a
citation link, press Back). After every action:
- an action that changes something started a script run (a click the page ignores fails the walk);
- an action that opens a paper opened the one clicked: the table's row, the title picked, the paper a citation
  link names;
- the URL holds only valid ids (a node of the taxonomy, topics and venues of the corpus, a known key);
- the count the page shows is the library's `Selection.filter` count for the URL's state;
- the open paper is the URL's `key`;
- the same URL opened in another browser context (a new session) shows the same view; a URL that an earlier step
  (of any walk) already opened there is compared with what it showed then, not loaded again.
The sequences come from seeded generators: `WALKS=n` replays the first n exactly, so a failure in walk k replays
with `WALKS=k+1`. The browser asks for reduced motion, as many readers' systems do: the pages are the same, and
Chromium draws far fewer frames while they load (a load costs the machine about a sixth less CPU).
"""

from __future__ import annotations

import contextlib
import random
import re
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.models.retrieval import build_retriever, filter_by_meaning
from survey_taxonomy.query.selection import Selection
from tests.browser import as_shown, bbox, new_context, runs, shoot, wait_for_app

pytestmark = pytest.mark.browser
MIRRORS = 3  # pages that reopen the walk's URLs in sessions of their own
QUIET_MS = 20  # quiet time after a run that the checks wait for (see `settle`)
RUN_WITHIN_MS = 15_000  # an action that changes something starts a run that ends within this (else the walk fails)
CLICK_TAKES_MS = 3_000  # a click on an option starts a run within this, or the list lost it (see `click_option`)
STARTED = """n => window.__runs.ended > n
  || document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state") === 'running'"""
DRAWN_WITHIN = 5.0  # seconds a page gets to show what its URL says once its run has ended
SEEDS = range(int(__import__("os").environ.get("WALKS", "25")))
NOTHING_CLICKED = ("(none offered)", "(no table)", "(no list)", "(none)", "(no link)", "(unchanged)")  # what `act` says when it found nothing to do
PENDING: deque[tuple[Page, View, str, list[str]]] = deque()  # (mirror, view, url, log) of URLs given to a mirror and not checked yet
REOPENED: dict[str, View] = {}  # every URL given to a mirror, with the view the walk showed for it
T = TypeVar("T")
WORDS = ("routing", "router", "draft", "small", "distillation", "tabular", "weak-to-strong", "llm", "retrieval", "zzznothing")


def url_state(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


class View:
    """What a page shows: the count sentence and the open paper's title."""

    def __init__(self, page: Page) -> None:
        self.count = page.locator(".st-key-explore_count").inner_text().strip()
        heading = page.get_by_test_id("stMain").locator("h3")
        self.paper = heading.first.inner_text().strip() if heading.count() else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, View) and (self.count, self.paper) == (other.count, other.paper)

    def __repr__(self) -> str:
        return f"View({self.count!r}, {self.paper!r})"


def settle(page: Page, before: int | None = None) -> None:
    """Wait until the step is over: the script runs it started (after `before`, a `runs` count) have ended. An
    action that found nothing to do passes None: it starts no run to wait for, so its last key press (Enter on the
    same search, an arrow at the slider's end, Escape) is not waited on either. The quiet time after a run is short
    here: Explore requests no follow-up run, and the checks give the screen `DRAWN_WITHIN` to catch up. Any other
    action must start a run (the walk asserts it), so its wait may be long: on a busy machine a click's run can be
    late, and the wait ends as soon as the run does."""
    if before is None:
        wait_for_app(page, grace=0, quiet=QUIET_MS)
    else:
        wait_for_app(page, after=before, quiet=QUIET_MS, start_within=RUN_WITHIN_MS)


def agreeing(read: Callable[[], T], within: float = DRAWN_WITHIN) -> T:
    """`read()` once it stops raising AssertionError: the last run's changes can reach the screen a moment after
    it ends. A page that still disagrees after `within` seconds fails with the last disagreement."""
    deadline = time.monotonic() + within
    while True:
        try:
            return read()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.03)


def check(page: Page, corpus: Corpus, log: list[str]) -> tuple[str, View]:
    """The URL holds only valid ids, and the page shows what the library computes for it; returns both."""

    def read() -> tuple[str, View]:
        url = page.url
        state = url_state(url)
        selection, notices = Selection.from_params(state, corpus.taxonomy)
        keys = state.get("key", [])
        known = set(selection.facets) <= corpus.topics and set(selection.venues) <= corpus.venue_names and all(k in corpus.by_key for k in keys)
        if notices or not known:
            raise BadURL(f"{log}: {url} holds what is not an id of the dataset: {notices}")
        expected = selection.describe(len(selection.filter(corpus.frame)), corpus.taxonomy)
        view = View(page)
        assert view.count == as_shown(expected), (log, url, view)
        assert view.paper == (as_shown(corpus.by_key[keys[-1]].title) if keys else ""), (log, url, view)
        return url, view

    return agreeing(read)


class BadURL(Exception):
    """A URL that holds a label, an unknown topic or key: it fails at once, the page is not given time."""


def open_list(box: Locator) -> None:
    """Open a select box's list as a person does; a click that first had to scroll the sidebar may only focus
    the box, and a person then presses the down arrow."""
    box.scroll_into_view_if_needed()
    box.click()
    if box.get_attribute("aria-expanded") != "true":
        box.press("ArrowDown")


def click_option(page: Page, box: Locator, option: str | re.Pattern[str], typed: str = "", close: bool = True) -> None:
    """Click `option` in `box`'s open list (and close a list that stays open, `close`). A click the list lost (no
    run started within `CLICK_TAKES_MS`, and the option still offered) is made once more, as a person clicks
    again; an app that ignores both clicks still fails the walk, which asserts a run."""
    before = runs(page)
    for attempt in range(2):
        page.get_by_role("option", name=option, exact=isinstance(option, str)).first.click()
        if close:
            page.keyboard.press("Escape")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(STARTED, arg=before, timeout=CLICK_TAKES_MS, polling=10)
            return
        if attempt == 0:
            warnings.warn(f"the list lost a click on {option!r}: no run within {CLICK_TAKES_MS} ms; clicking again", stacklevel=2)
            open_list(box)
            if typed:
                page.keyboard.insert_text(typed)
            if page.get_by_role("option", name=option, exact=isinstance(option, str)).count() == 0:  # it took after all
                page.keyboard.press("Escape")
                return


def pick_option(page: Page, label: str, option: re.Pattern[str], typed: str = "") -> bool:
    box = page.get_by_label(label, exact=False).first
    open_list(box)
    if typed:
        page.keyboard.insert_text(typed)  # one input event, as a paste: the box filters its options once
    if page.get_by_role("option", name=option).count() == 0:
        page.keyboard.press("Escape")
        return False
    click_option(page, box, option, typed)
    return True


def act(page: Page, corpus: Corpus, rng: random.Random) -> str:
    """Take one random ordinary action; return what it did (for the failure message)."""
    action = rng.choice(("node", "node", "topic", "years", "code", "code", "search", "clear", "row", "title", "cite", "cite", "back"))
    if action == "node":
        node = rng.choice(list(corpus.taxonomy.walk()))
        unchanged = url_state(page.url).get("node") == [node.id]  # picking the node already picked changes nothing
        picked = pick_option(page, "Taxonomy node", re.compile(re.escape(node.heading) + "$"), node.label)
        assert picked, f"the node list offered no option for {node.heading!r}"
        return f"node {node.id}" + (" (unchanged)" if unchanged else "")
    if action == "topic":
        box = page.get_by_label("Topics (all must match)").first
        open_list(box)
        with contextlib.suppress(PlaywrightTimeout):  # no topic left to offer (no paper with topics is kept)
            page.get_by_role("option").first.wait_for(timeout=3_000)
        names = [n for n in page.get_by_role("option").all_inner_texts() if n.strip() and n.strip() != "No results"]
        if not names:
            page.keyboard.press("Escape")
            return "topic (none offered)"
        name = rng.choice(names[:12]).strip()
        click_option(page, box, name)
        return f"topic {name}"
    if action == "years":
        sliders = page.get_by_role("slider")
        sliders.first.wait_for(timeout=60_000)  # Streamlit loads the slider's code after the first render
        thumb = sliders.nth(rng.randrange(sliders.count()))
        thumb.focus()
        key = rng.choice(("ArrowLeft", "ArrowRight"))
        start = thumb.get_attribute("aria-valuetext")  # the year shown on the thumb
        assert start, "the slider's thumb names no year (aria-valuetext): the walk cannot tell whether it moved"
        years = corpus.frame["year"].dropna()
        edge = str(int(years.min() if key == "ArrowLeft" else years.max()))
        for _ in range(rng.randint(1, 3)):
            thumb.press(key)
        if start == edge:  # at the end of its range the thumb stays put
            return f"years {key} (unchanged)"
        try:  # the thumb shows its new value a moment after the key; the other thumb can also stop it
            page.wait_for_function("([t, v]) => t.getAttribute('aria-valuetext') !== v", arg=[thumb.element_handle(), start], timeout=1_000)
        except PlaywrightTimeout:
            return f"years {key} (unchanged)"
        return f"years {key}"
    if action == "code":
        page.get_by_text(re.compile(r"^Only papers with code")).click()
        return "code"
    if action in ("search", "clear"):
        word = rng.choice(WORDS) if action == "search" else ""
        box = page.get_by_role("textbox", name="Search titles, authors, summaries")
        unchanged = box.input_value() == word  # Enter on the same text starts no run
        box.fill(word)
        box.press("Enter")
        return f"search {word!r}" + (" (unchanged)" if unchanged else "")
    if action == "row":
        grid = page.get_by_test_id("stDataFrame")
        if grid.count() == 0:
            return "row (no table)"
        count = page.locator(".st-key-explore_count").inner_text()
        counted = re.match(r"\d+", count)
        assert counted, f"the count sentence starts with no number: {count!r}"
        shown = int(counted.group())
        row = rng.randrange(min(shown, 8))
        grid.first.scroll_into_view_if_needed()  # after a citation link the page shows the paper, below the table
        cell = bbox(grid.first)
        page.mouse.click(cell["x"] + 17, cell["y"] + 35 * (row + 1) + 17)
        return f"row {row}"
    if action == "title":
        if page.get_by_label("Or open a paper by title").count() == 0:
            return "title (no list)"
        box = page.get_by_label("Or open a paper by title")
        open_list(box)
        page.get_by_role("option").first.wait_for(timeout=5_000)
        titles = page.get_by_role("option").all_inner_texts()
        if not titles:
            page.keyboard.press("Escape")
            return "title (none)"
        title = rng.choice(titles[:10])
        click_option(page, box, title, close=False)  # a select box closes itself; Escape there delayed the choice's run
        return f"title {title}"
    if action == "cite":
        links = page.locator(".st-key-explore_links button")
        if links.count() == 0:
            return "cite (no link)"
        link = links.nth(rng.randrange(links.count()))
        named = re.search(
            r"st-key-explore_open_(?:cites|cited_by)_(\S+)", link.locator("xpath=ancestor::div[contains(@class, 'st-key-')][1]").get_attribute("class") or ""
        )
        assert named, "a citation link's widget key does not name its paper"
        link.click()
        return f"cite {named.group(1)}"
    page.go_back()
    return "back"


MOTION = {"reduced_motion": "reduce"}


@pytest.fixture(scope="module")
def tab(browser: Browser) -> Iterator[Page]:
    """The walks' tab, one for all of them: a walk goes on from the page the last one left (see the module's
    docstring). A new page load costs the machine about as much as three steps, and the walks are bound by CPU."""
    context = new_context(browser, **MOTION)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def start(page: Page, server: str, log: list[str]) -> None:
    """Begin a walk where the last one ended, with the filters cleared as a person starting over clears them; on
    a page that is not Explore (the first walk, or Back past the visit's first page), open Explore."""
    if "/explore" not in page.url:
        page.goto("about:blank")
        page.goto(f"{server}/explore")
        wait_for_app(page)
        log.append("open Explore")
    clear = page.get_by_test_id("stSidebar").get_by_role("button", name="Clear all filters")  # an empty result has one in the page too
    if clear.count():
        before = runs(page)
        clear.click()
        settle(page, before)
        log.append("clear all filters")
    page.get_by_role("slider").first.wait_for(timeout=60_000)  # the page is whole: its lazily loaded widgets drawn


@pytest.fixture(scope="module")
def mirrors(browser: Browser) -> Iterator[list[Page]]:
    """More browser contexts: opening a URL there is a new session, as a shared link is. While they load the last
    steps' URLs, the walk goes on; each is checked MIRRORS steps later (its message names the walk and step that
    showed the URL), so loading overlaps the walks' own steps. What is still loading when the walks end is checked
    here, at the end."""
    contexts = [new_context(browser, **MOTION) for _ in range(MIRRORS)]
    pages = [context.new_page() for context in contexts]
    for mirror in pages:
        mirror.set_default_timeout(30_000)
    yield pages
    while PENDING:
        reopened(*PENDING.popleft())
    for context in contexts:
        context.close()


def opened(page: Page, corpus: Corpus, log: list[str], rows: list[str]) -> None:
    """After a step that opens a paper, the open paper is the one the reader clicked: the table's row (`rows`: the
    table's papers before the click), the title picked in the box, the paper a citation link names."""
    action, _, what = log[-1].partition(" ")
    keys = url_state(page.url).get("key", [])
    paper = corpus.by_key[keys[-1]] if keys else None
    if action == "row" and what.isdigit():
        assert keys == [rows[int(what)]], (log, page.url)
    elif action == "title" and not what.endswith(NOTHING_CLICKED):
        assert paper and f"{paper.title} ({paper.year or 'n.d.'})" == what, (log, page.url)
    elif action == "cite" and not what.endswith(NOTHING_CLICKED):
        assert keys == [what], (log, page.url)


def reopened(mirror: Page, expected: View, url: str, log: list[str]) -> None:
    """The URL, opened in a fresh session, shows what the walk's page showed."""
    mirror.wait_for_selector(".st-key-explore_count", timeout=60_000)  # the new page's first run has drawn
    settle(mirror)

    def read() -> None:
        assert View(mirror) == expected, (log, url, View(mirror))

    agreeing(read)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_walk_through_explore_agrees_with_the_library(seed: int, server: str, tab: Page, mirrors: list[Page], corpus: Corpus) -> None:
    rng = random.Random(seed)
    page = tab
    log = [f"seed {seed}"]
    start(page, server, log)
    check(page, corpus, log)
    for _ in range(rng.randint(4, 8)):
        before = runs(page)
        rows = list(Selection.from_params(url_state(page.url), corpus.taxonomy)[0].filter(corpus.frame)["key"])
        try:
            log.append(act(page, corpus, rng))
        except PlaywrightTimeout as exc:  # what the page showed when an expected widget never came
            shoot(page, f"walk-{seed}-stuck")
            raise AssertionError(f"{log}: the next action found no widget on {page.url} (see walk-{seed}-stuck.png)") from exc
        if log[-1] == "back" and "/explore" not in page.url:
            break  # stepped back past the visit's first page
        changes = not log[-1].endswith(NOTHING_CLICKED)
        settle(page, before if changes else None)
        assert not changes or runs(page) > before, f"{log}: the page ignored the last action (it started no script run)"
        url, view = check(page, corpus, log)
        opened(page, corpus, log, rows)
        if len(PENDING) == MIRRORS:
            reopened(*PENDING.popleft())
        if url in REOPENED:  # this URL already opened in a fresh session (this walk or an earlier one) showed this
            assert REOPENED[url] == view, (log, url, REOPENED[url])
            continue
        REOPENED[url] = view
        mirror = mirrors[len(REOPENED) % MIRRORS]
        mirror.goto(url, wait_until="commit")
        PENDING.append((mirror, view, url, list(log)))


@pytest.mark.parametrize("width", [1400, 390])
def test_clear_all_filters_and_a_search_by_meaning_by_clicks(width: int, server: str, browser: Browser, corpus: Corpus) -> None:
    """What a reader meets first, clicked as a reader clicks, on a wide screen and a phone: two topics and the code
    filter leave nothing, and the Clear all filters where the page says so clears them all in one click (the page's
    bold text used to name the sidebar's button, and a click on it did nothing); a search by meaning shows the
    papers the library keeps, not always twenty, and says what its similarity is."""
    context = new_context(browser, viewport={"width": width, "height": 900}, **MOTION)
    page = context.new_page()
    page.goto(f"{server}/explore")
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")

    def filters() -> None:  # a phone keeps the filters in a panel that its labelled control opens
        if width < 640 and bbox(sidebar)["x"] < 0:
            page.get_by_test_id("stExpandSidebarButton").click()
            expect(sidebar.get_by_text("Filters", exact=True)).to_be_in_viewport()

    def close_filters() -> None:  # the panel covers the page on a phone
        if width < 640:
            page.keyboard.press("Escape")
            page.get_by_test_id("stSidebarCollapseButton").click()
            page.wait_for_function("document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0")

    filters()
    heading = sidebar.get_by_text("Filters", exact=True)
    expect(heading).to_be_in_viewport()
    if width >= 640:  # the filters come first, not 760 px down under the page list and the about block
        assert bbox(heading)["y"] - bbox(sidebar)["y"] < 200
    for topic in ("model routing", "data selection"):
        assert pick_option(page, "Topics (all must match)", re.compile(f"^{re.escape(topic)}$"), topic), topic
        wait_for_app(page)
    page.get_by_text(re.compile(r"^Only papers with code")).click()
    wait_for_app(page)
    chosen = Selection(facets=("model routing", "data selection"), has_code=True)
    assert chosen.filter(corpus.frame).empty
    expect(page.locator(".st-key-explore_count")).to_have_text(chosen.describe(0, corpus.taxonomy))
    close_filters()
    shoot(page, f"explore-empty-{width}")
    before = runs(page)
    page.get_by_test_id("stMain").get_by_role("button", name="Clear all filters").click()
    wait_for_app(page, after=before)
    expect(page.locator(".st-key-explore_count")).to_have_text(Selection().describe(len(corpus), corpus.taxonomy))
    assert urlsplit(page.url).query == ""
    filters()
    expect(sidebar.get_by_role("checkbox", name=re.compile("Only papers with code"))).not_to_be_checked()
    expect(sidebar.get_by_text("model routing", exact=True)).to_have_count(0)  # no chip left in the topic box

    box = page.get_by_role("textbox", name="Search titles, authors, summaries")
    box.fill("make decoding faster")
    box.press("Enter")
    wait_for_app(page)
    page.get_by_text("Search by meaning").click()
    wait_for_app(page, timeout=120_000)
    meaning = Selection(query="make decoding faster", by_meaning=True)
    expected = filter_by_meaning(meaning, corpus.frame, build_retriever(corpus))
    assert 0 < len(expected) < 20
    expect(page.locator(".st-key-explore_count")).to_have_text(as_shown(meaning.describe(len(expected), corpus.taxonomy)))
    expect(page.get_by_test_id("stMain").get_by_text(re.compile("cosine .* not a probability"))).to_be_visible()
    close_filters()
    shoot(page, f"explore-meaning-{width}")
    context.close()
