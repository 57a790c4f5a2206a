"""Driving the app in a real browser: one server started as `make run` starts it, and Debian's Chromium through Playwright.

The server fixture waits for /_stcore/health, then for `warm_up`: the first visit of the demo loads the small
model and builds the retriever, which on a new machine (cold disk cache, cold imports) takes far longer than any
later page. Tests then wait on what they need (a script run that ended, plotted points), never on a fixed idle.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, FloatRect, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from serve import served

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN_TOKEN = "e2e-secret-token-for-the-browser-tests"


@contextmanager
def app_server(workdir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The app as `make run` serves it (`serve.py`) on a free port with its own store; yields the base URL once
    healthy."""
    environment = {"SURVEY_DB_URL": f"sqlite:///{workdir / 'submissions.db'}", "SURVEY_ADMIN_TOKEN": ADMIN_TOKEN, **(env or {})}
    with served(workdir / "streamlit.log", environment) as (base, _):
        yield base


# Counts the script runs a page has seen end, and notes when the page last heard from the server or changed its run
# state, and when the reader last clicked or pressed a key: an input that starts a run is followed by the server's
# messages, usually within a tenth of a second; until then (or for at most INPUT_GRACE ms) the page is not idle yet.
# A run's end is read from the server's messages (a ForwardMsg whose field 6, `script_finished`, is not 2, "finished
# early for a rerun"), not from the page's run state: on a busy machine the page receives a run's first and last
# messages together and React draws them in one go, so the state never shows "running" (14 of 150 steps of the
# walks, each then waited 2 s for a run that had already ended).
RUN_WATCH = """
window.__runs = {ended: 0, changed: performance.now(), input: 0};
(() => {
const heard = () => { window.__runs.changed = performance.now(); window.__runs.input = 0; };
new MutationObserver(heard).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-test-script-state"]});
for (const kind of ["click", "keydown"]) window.addEventListener(kind, () => { window.__runs.input = performance.now(); }, true);
const runEnded = (bytes) => {  // the top-level fields of a protobuf message, read until `script_finished`
  let at = 0;
  const varint = () => {
    let value = 0, scale = 1, byte;
    do { byte = bytes[at++]; value += (byte & 127) * scale; scale *= 128; } while (byte & 128);
    return value;
  };
  while (at < bytes.length) {
    const tag = varint(), field = Math.floor(tag / 8), wire = tag % 8;
    if (field === 6 && wire === 0) return varint() !== 2;
    if (wire === 0) varint(); else if (wire === 2) at += varint(); else if (wire === 1) at += 8; else if (wire === 5) at += 4; else return false;
  }
  return false;
};
const Socket = window.WebSocket;
window.WebSocket = class extends Socket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => {
      heard();
      if (event.data instanceof ArrayBuffer && runEnded(new Uint8Array(event.data))) window.__runs.ended += 1;
    });
  }
};
})();
"""
INPUT_GRACE = 1_000
QUIET_MS = 100  # a run that another run requests starts within a few ms of its end
POLL_MS = 10  # how often the page checks (in the page itself: a check costs microseconds, a late answer a step's time)
# A run that has ended is not yet a page drawn: an element whose code the browser has not loaded yet (a table, a
# select box, the page's style block, on a fresh page) stands as a skeleton until it has. With the caches filled
# before the first visitor, a run now ends before those have loaded, and a click on a skeleton does nothing.
QUIET = """([quiet, grace]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const now = performance.now(), runs = window.__runs;
  return app && app.getAttribute("data-test-script-state") === "notRunning" && now - runs.changed > quiet
    && (!runs.input || now - runs.input > grace)
    && !document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]');
}"""


# Streamlit's Markdown shows a few ASCII sequences that stand between spaces as symbols: " -- " as an em dash,
# " -> " as an arrow, " >= " as ≥ (its frontend's `StreamlitMarkdown`, on every text outside a link). A title such as
# "SmolLM2: When Smol Goes Big -- Data-Centric Training…" is shown with "—"; pages are compared with the library
# through this.
TYPOGRAPHY = (("<->", "↔"), ("->", "→"), ("<-", "←"), ("--", "—"), (">=", "≥"), ("<=", "≤"), ("~=", "≈"))


def as_shown(text: str) -> str:
    """`text` as Streamlit's Markdown displays it (see TYPOGRAPHY)."""
    for ascii_form, symbol in TYPOGRAPHY:
        text = re.sub(rf"(^|\s){re.escape(ascii_form)}(\s|$)", rf"\g<1>{symbol}\g<2>", text)
    return text


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A browser context whose pages count Streamlit's script runs, so tests wait for the runs they caused
    instead of sleeping (see `wait_for_app`). `options` are Playwright's own (`Browser.new_context`)."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, **options})
    context.add_init_script(RUN_WATCH)
    return context


def runs(page: Page) -> int:
    """How many script runs this page has seen end since it was loaded."""
    ended: int = page.evaluate("window.__runs.ended")
    return ended


def wait_for_app(
    page: Page, timeout: float = 60_000, after: int | None = None, start_within: float = 2_000, grace: float = INPUT_GRACE, quiet: float = QUIET_MS
) -> None:
    """Wait until the script runs that the last action started have finished and none followed for `quiet` ms (a run
    may request another); a click or key press not yet followed by a run counts as unfinished for up to `grace`
    ms (`INPUT_GRACE`; 0 from a caller that knows its input starts no run). With `after` (a `runs` count taken
    before the action), first wait up to `start_within` ms for a run to end: a widget commits its value a moment
    after the click or key press, and an action that changes nothing starts no run at all.
    """
    if after is not None:
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function("n => window.__runs.ended > n", arg=after, timeout=start_within, polling=POLL_MS)
    page.wait_for_function(QUIET, arg=[quiet, grace], timeout=timeout, polling=POLL_MS)


def warm_up(browser: Browser, base: str) -> None:
    """Visit what is slow only the first time, with room for a cold machine: the small model, the retriever."""
    context = new_context(browser)
    page = context.new_page()
    try:
        for path in ("/demo?mode=ask", "/paper?key=leviathan2023fast"):
            page.goto(base + path)
            wait_for_app(page, timeout=300_000)
    finally:
        context.close()


def bbox(locator: Locator) -> FloatRect:
    """Where `locator`'s element is drawn; Playwright answers None for an element that is not visible, which fails
    here, naming the element."""
    rect = locator.bounding_box()
    assert rect is not None, f"{locator} is not visible"
    return rect


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill_submit_form(page: Page, title: str, year: str, url: str, summary: str, arxiv: str = "") -> None:
    """Fill the Submit page's form as a person does, by the labels they read, and press Submit."""
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Authors, one per line").fill("Ada Lovelace\nAlan Turing")
    page.get_by_label("Year").fill(year)
    page.get_by_label("arXiv id").fill(arxiv)  # "" empties what an earlier try typed
    page.get_by_label("URL of the paper").fill(url)
    choose(page, "Taxonomy node", "cascading and routing")
    page.get_by_label("One-sentence summary, in your own words").fill(summary)
    page.keyboard.press("Tab")
    wait_for_app(page)
    page.get_by_role("button", name="Submit", exact=True).click()
    wait_for_app(page)


def choose(page: Page, label: str, text: str) -> None:
    """Pick an option of a Streamlit select box as a person does: click it, type, click the option by its label."""
    box = page.get_by_label(label, exact=False).first
    box.click()
    page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    wait_for_app(page)
