"""Untrusted text stays text: hostile submissions are pasted and approved in Chromium, then every page and the
hostile URL parameters are opened, and no link, image or request to the attacker's host may appear."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import ADMIN_TOKEN, fill_submit_form, new_context, wait_for_app

pytestmark = pytest.mark.browser
EVIL = "evil.example"
NODE = "collaboration/sm-enhance-llm/efficient-inference/cascading-and-routing"
HOSTILE_BIB = f"""
@misc{{eve2025session,
  title = {{[Session expired: log in again](https://{EVIL}/login) ![px](https://{EVIL}/pixel.png) **Quokka**}},
  author = {{Eve [Phish](https://{EVIL}/phish) and Mallory ![i](https://{EVIL}/i.png)}},
  year = {{2025}},
  url = {{https://example.org/p1)![px](https://{EVIL}/pixel.png)[Phish](https://{EVIL}/phish}},
  code = {{https://example.org/c)![px](https://{EVIL}/pixel2.png}},
  venue = {{[Venue](https://{EVIL}/v) 2025}},
  taxonomy = {{{NODE}}},
  topic = {{[Topic](https://{EVIL}/t)}},
  summary = {{Routes queries. https://{EVIL}/auto www.{EVIL} mail@{EVIL} [x](https://{EVIL}/x) `code` # heading}}
}}
"""
SMUGGLED = "@misc{smug2025x,\n  title = {Smuggler},\n  author = {A B},\n  year = {2025},\n  url = {https://example.org/s},\n"
SMUGGLED += f'  doi = "10.5555/inj}},url={{javascript:alert(1)}},code={{javascript:alert(2)}},x={{",\n  taxonomy = {{{NODE}}},\n  summary = {{s}}\n}}\n'
PAGES = ["/", "/explore", "/explore?q=quokka", "/explore?key={key}", "/paper?key={key}", "/taxonomy", "/trends", "/reading-list"]
PAGES += [f"/graph?node={quote(NODE, safe='')}&relation=community", "/graph?mode=coauthors&relation=community", "/graph?focus={key}", "/demo?mode=ask"]
URL_CASES = [
    f"/explore?key={quote(f'[Session expired: log in again](https://{EVIL}/login)')}",
    f"/explore?q={quote(f'[x](https://{EVIL}/q) ![i](https://{EVIL}/q.png)')}",
    f"/explore?facet={quote(f'![t](https://{EVIL}/facet.png)')}",
    f"/explore?node={quote(f'[n](https://{EVIL}/n)')}&venue={quote(f'[v](https://{EVIL}/v)')}",
    f"/trends?node={quote(f'![t](https://{EVIL}/trends.png)')}",
    f"/paper?key={quote(f'[k](https://{EVIL}/k)')}",
    f"/graph?focus={quote(f'[f](https://{EVIL}/f)')}",
]


def paste(page: Page, server: str, text: str) -> None:
    page.goto(f"{server}/submit")
    wait_for_app(page)
    page.get_by_role("tab", name="Paste BibTeX").click()
    page.get_by_label("BibTeX entries").fill(text)
    page.get_by_role("button", name="Submit BibTeX").click()
    wait_for_app(page)


def test_hostile_text_is_inert_on_every_page(own_server: str, browser: Browser) -> None:
    server = own_server
    context = new_context(browser)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()

    paste(page, server, SMUGGLED)
    expect(page.get_by_test_id("stAlert").filter(has_text=re.compile(r"doi", re.IGNORECASE)).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Submission #\d+"))).to_have_count(0)
    paste(page, server, HOSTILE_BIB)
    expect(page.get_by_text(re.compile(r"Submission #\d+")).first).to_be_visible()

    page.goto(f"{server}/review")
    wait_for_app(page)
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Approve").first.click()
    wait_for_app(page)
    done = page.get_by_text(re.compile(r"approved: it is in Explore now"))
    expect(done).to_be_visible()
    approved = re.search(r"\((\S+)\) approved", done.inner_text())
    assert approved, done.inner_text()
    key = approved.group(1)
    page.goto(f"{server}/paper?key={key}")
    wait_for_app(page)
    page.get_by_role("button", name="Add to reading list").click()
    wait_for_app(page)

    for path in [p.format(key=key) for p in PAGES] + URL_CASES:
        page.goto(server + path)
        wait_for_app(page, timeout=120_000)
        assert page.get_by_test_id("stException").count() == 0, path
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        images = page.eval_on_selector_all("img[src]", "els => els.map(e => e.src)")
        assert [u for u in links if urlsplit(u).hostname == EVIL or urlsplit(u).scheme not in ("http", "https", "mailto")] == [], path
        assert [u for u in images if urlsplit(u).hostname == EVIL] == [], path
        assert page.locator("main b, main strong").filter(has_text="Quokka").count() == 0, path
    page.goto(f"{server}/explore?key={key}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile(r"^\[Session expired: log in again\]\(h"))).to_be_visible()  # shown as text
    assert [url for url in requests if urlsplit(url).hostname == EVIL] == []  # nothing was fetched from it
    context.close()


def fill(page: Page, title: str, year: str, arxiv: str = "") -> None:
    fill_submit_form(page, title, year, f"https://example.org/{abs(hash(title))}", "A small router sends easy queries to a small model.", arxiv)


def live_icons(page: Page) -> int:
    """Icons and logos drawn inside the page's Markdown (Streamlit's own navigation icons are not Markdown)."""
    return page.locator("[data-testid=stMarkdownContainer] span[role=img], [data-testid=stMarkdownContainer] img[alt='Streamlit logo']").count()


def test_the_form_refuses_impossible_values_and_fresh_browsers_share_one_limit(own_server: str, browser: Browser) -> None:
    server = own_server
    first = new_context(browser)
    page = first.new_page()
    page.goto(f"{server}/submit")
    wait_for_app(page)
    title = ":material/skull: Skull routing :material_bug_report: :streamlit: for tiny models"
    fill(page, title, "2031", "9999.99999")
    problems = page.get_by_test_id("stAlert").filter(has_text="nothing was stored")
    expect(problems).to_contain_text("2031 is outside 1950..")
    expect(problems).to_contain_text("its month 99 does not exist")
    shown = page.locator("main").inner_text()
    assert "Year: is missing" not in shown and "python -m" not in shown and "\u2060" not in shown
    fill(page, title, "2024")
    expect(page.get_by_text(re.compile(r"Submission #1 is stored")).first).to_be_visible()

    for i in range(2, 7):  # five fresh browsers, each with a cookie of its own, from the same address
        context = new_context(browser)
        fresh = context.new_page()
        fresh.goto(f"{server}/submit")
        wait_for_app(fresh)
        fill(fresh, f"Fresh browser router number {i}", "2024")
        if i <= 5:
            expect(fresh.get_by_text(re.compile(rf"Submission #{i} is stored")).first).to_be_visible()
        else:
            expect(fresh.get_by_test_id("stAlert").filter(has_text="came from your network address")).to_be_visible()
        context.close()

    page.goto(f"{server}/review")
    wait_for_app(page)
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("5 submissions waiting")).to_be_visible()
    expect(page.get_by_text("Skull routing").first).to_be_visible()
    assert live_icons(page) == 0 and ":material/skull:" in page.locator("main").inner_text()
    page.get_by_role("button", name="Approve").first.click()
    wait_for_app(page)
    for path in ("/explore?q=skull", f"/explore?key={quote(':material/skull:')}", f"/paper?key={quote(':material_bug_report:')}"):
        page.goto(server + path)
        wait_for_app(page)
        assert page.get_by_test_id("stException").count() == 0 and live_icons(page) == 0, path
    first.close()


# A `clear_cache` message as Streamlit's frontend sends it (BackMsg field 5, true), from a page's own script.
SEND_CLEAR_CACHE = """async ([url, bytes]) => {
    const socket = new WebSocket(url, ["streamlit"]);
    socket.binaryType = "arraybuffer";
    await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
    socket.send(new Uint8Array(bytes));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    socket.close();
}"""


def test_an_anonymous_websocket_message_clears_no_cache(browser: Browser, tmp_path: Path) -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from serve import ROOT, served

    message = BackMsg()
    message.clear_cache = True
    context = new_context(browser)
    page = context.new_page()
    with served(tmp_path / "server.log", env={"PYTHONPATH": str(ROOT)}, script=ROOT / "tests" / "fixtures" / "cache_guard_app.py") as (base, _):

        def cached_value() -> str:
            page.goto(base)
            wait_for_app(page)
            text = page.get_by_test_id("stMarkdownContainer").first.inner_text()
            value = re.search(r"cached value (\d+)", text)
            assert value, text
            return value.group(1)

        first = cached_value()
        assert cached_value() == first  # a reload reads the cache
        page.evaluate(SEND_CLEAR_CACHE, [base.replace("http", "ws") + "/_stcore/stream", list(message.SerializeToString())])
        assert cached_value() == first  # the anonymous message cleared nothing (without the guard the value changes)
    context.close()
