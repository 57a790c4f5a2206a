"""AppTest for the submit and review pages, opened through app.py's navigation: the form stores and
confirms, bad input lists every problem and stores nothing, BibTeX paste works, user text is never
rendered as markup, review is off without a token, refuses a wrong one, an approval shows in Explore, and a
background refresh is shared by every reviewer and can be cancelled."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import AlertBase, Markdown

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import load_corpus
from survey_taxonomy.submissions import SubmissionStore, read_payload
from tests.apptest import open_page
from tests.fake_scholarly import FakeScholarly

NODE = "collaboration/sm-enhance-llm/efficient-inference/cascading-and-routing"
TOKEN = "correct-horse-battery-staple"
PAPER: dict[str, Any] = {
    "title": "Tiny routers for huge language models",
    "authors": ["Ada Lovelace", "Alan Turing"],
    "year": 2025,
    "url": "https://example.org/tiny-routers",
    "taxonomy": NODE,
    "summary": "Routes each query to a small model first.",
}


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_DB_URL", f"sqlite:///{tmp_path / 'submissions.db'}")
    monkeypatch.setenv("SURVEY_ADMIN_TOKEN", TOKEN)
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def store(tmp_path: Path) -> SubmissionStore:
    return SubmissionStore(f"sqlite:///{tmp_path / 'submissions.db'}")


def plain(element: Markdown | AlertBase) -> str:
    """An element's Markdown without the escapes and code fences the pages add to user text."""
    return element.value.replace("\\", "").replace("`", "")


def fill_form(at: AppTest, **fields: object) -> AppTest:
    values = PAPER | fields
    at.text_input(key="submit_title").input(values["title"])
    at.text_area(key="submit_authors").input("\n".join(values["authors"]))
    at.text_input(key="submit_year").input(str(values["year"]))
    at.text_input(key="submit_url").input(values["url"])
    at.selectbox(key="submit_taxonomy").set_value(values["taxonomy"])
    at.text_input(key="submit_summary").input(values["summary"])
    return at.run()


def test_submit_form_stores_and_confirms(store: SubmissionStore) -> None:
    at = fill_form(open_page("pages/submit.py"))
    facets = at.multiselect(key="submit_facets")
    assert "model routing" in facets.options  # the chosen node's facets
    facets.select("model routing")
    at.text_input(key="submit_facets_other").input("tiny models; routers")
    at.button(key="submit_send").click().run()
    assert not at.exception
    assert any("Submission #1 is stored" in s.value for s in at.success)
    assert at.text_input(key="submit_title").value == ""  # the form is cleared for the next paper
    (stored,) = store.find("pending")
    assert stored.paper.title == PAPER["title"] and stored.paper.topics == ("model routing", "tiny models", "routers")


def test_invalid_form_lists_every_problem_and_stores_nothing(store: SubmissionStore) -> None:
    at = open_page("pages/submit.py")
    at.text_input(key="submit_url").input("javascript:alert(1)")
    at.button(key="submit_send").click().run()
    assert not at.success
    listing = plain(at.error[0])
    assert "nothing was stored" in listing
    for words in ("Title**: is missing", "Authors**: no author given", "Year**: is missing", "URL**: 'javascript:alert(1)' is not an http(s) URL"):
        assert words in listing
    assert "Taxonomy node**: no taxonomy node" in listing and "One-sentence summary**: is missing" in listing
    assert ":red[is missing]" in [c.value for c in at.caption]  # and next to the fields
    assert store.find() == []


def test_paste_bibtex_stores_entries_and_reports_broken_ones(store: SubmissionStore) -> None:
    at = open_page("pages/submit.py")
    at.text_area(key="submit_bibtex").input("@misc{x,\n  title = {Broken {entry},\n  year = {2024}\n")
    at.button(key="submit_bibtex_send").click().run()
    assert any("cannot be parsed" in plain(e) for e in at.error) and store.find() == []
    entry = (
        '@misc{mine,\n  title = {A pasted cascade},\n  author = {M{\\"u}ller, Hans},\n  year = {2024},\n'
        "  url = {https://example.org/p},\n  summary = {Cascades.}\n}"
    )
    at.text_area(key="submit_bibtex").input(entry)
    at.selectbox(key="submit_bibtex_node").set_value(NODE)
    at.button(key="submit_bibtex_send").click().run()
    assert any("Submission #1 is stored" in s.value for s in at.success)
    (stored,) = store.find()
    assert stored.paper.authors == ("Hans Müller",) and stored.paper.taxonomy == (NODE,) and stored.key == "muller2024pasted"


def test_fill_from_arxiv_explains_a_bad_id_without_hanging() -> None:
    at = open_page("pages/submit.py")
    at.text_input(key="submit_arxiv").input("not-an-id")
    at.button(key="submit_fill").click().run()
    assert any("is not an arXiv id" in plain(e) for e in at.error)


def test_review_is_disabled_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SURVEY_ADMIN_TOKEN")
    at = open_page("pages/review.py")
    assert any("Review is disabled" in i.value and "SURVEY_ADMIN_TOKEN" in i.value for i in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("review_")]


def sign_in(at: AppTest, token: str) -> AppTest:
    """Type the token into the review's sign-in form and press Sign in, as a maintainer does."""
    at.text_input(key="review_token_typed").input(token)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def submit_one(store: SubmissionStore, **fields: object) -> int:
    drafts, problems = read_payload(PAPER | fields)
    return store.submit(drafts, load_corpus(Settings().data_dir), session="test", per_minute=None, problems=problems).submissions[0].id


def test_review_refuses_a_wrong_token(store: SubmissionStore) -> None:
    submit_one(store)
    at = open_page("pages/review.py")
    sign_in(at, "guess")
    assert any("wrong admin token" in e.value for e in at.error)
    assert not [b for b in at.button if b.key and b.key.startswith("review_approve")]
    assert store.find("pending")


def test_the_token_is_not_kept_in_the_page_after_signing_in(store: SubmissionStore) -> None:
    submit_one(store)
    at = sign_in(open_page("pages/review.py"), TOKEN)
    assert [b for b in at.button if b.key and b.key.startswith("review_approve")]
    assert all(t.value in ("", None) for t in at.text_input if t.key == "review_token_typed")
    assert TOKEN not in str([t.value for t in at.text_input])


def test_review_approves_with_the_token_and_explore_shows_it_at_once(store: SubmissionStore) -> None:
    first = submit_one(store)
    second = submit_one(store, title="A second router, to reject", url="https://example.org/second")
    at = open_page("pages/review.py")
    sign_in(at, TOKEN)
    assert any(PAPER["title"] in plain(m) for m in at.markdown)
    assert any(c.value.startswith("2 submissions waiting.") for c in at.caption)
    at.text_input(key=f"review_note_{first}").input("Fits the node.")
    at.button(key=f"review_approve_{first}").click().run()
    assert any(f"Submission #{first}" in plain(s) and "approved" in s.value for s in at.success), ([s.value for s in at.success], [e.value for e in at.error])
    assert any(c.value.startswith("1 submission waiting.") for c in at.caption)
    at.button(key=f"review_reject_{second}").click().run()
    assert [s.status for s in store.find()] == ["approved", "rejected"]
    assert store.get(first).review_note == "Fits the node."

    explore = open_page("pages/explore.py", key=store.get(first).key)
    assert any(h.value == PAPER["title"] for h in explore.subheader)


def test_user_text_is_shown_as_text_not_markup(store: SubmissionStore) -> None:
    submit_one(store, title="[click me](https://evil.example) ![pixel](https://evil.example/p.png) **bold**")
    at = open_page("pages/review.py")
    sign_in(at, TOKEN)
    (title,) = [m.value for m in at.markdown if "click me" in m.value]
    assert "\\[click me\\]\\(`https://evil.example`\\)" in title and "\\!\\[pixel\\]" in title and "\\*\\*bold\\*\\*" in title
    assert "\u2060" not in title


def all_text(at: AppTest) -> str:
    """Every message, caption and Markdown text the page shows."""
    return "\n".join(e.value for kind in (at.error, at.warning, at.info, at.success, at.caption, at.markdown) for e in kind)


def test_the_form_says_what_is_wrong_with_a_year_and_an_arxiv_id_in_words_for_the_web(store: SubmissionStore) -> None:
    at = fill_form(open_page("pages/submit.py"), year=2031)
    at.text_input(key="submit_arxiv").input("9999.99999")
    at.selectbox(key="submit_taxonomy").set_value(None)
    at.button(key="submit_send").click().run()
    listing = plain(at.error[0])
    assert "Year**: 2031 is outside 1950.." in listing and "Year**: is missing" not in listing
    assert "arXiv id**: '9999.99999' is not an arXiv id: its month 99 does not exist" in listing
    assert "Taxonomy node**: no taxonomy node" in listing
    text = all_text(at)
    assert "python -m" not in text and "survey_taxonomy " not in text  # no command a web visitor cannot run
    assert not [c for c in text if c == "\u2060" or (c.isprintable() is False and c not in "\n")]  # nothing invisible to copy
    assert store.find() == []


def test_a_fresh_browser_does_not_reset_the_rate_limit(store: SubmissionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each AppTest is a new session with a new browser id, as a fresh browser context with a new cookie is."""
    monkeypatch.setenv("SURVEY_SUBMISSIONS_PER_MINUTE", "2")
    outcomes = []
    for i in range(3):
        at = fill_form(open_page("pages/submit.py"), title=f"Tiny router number {i}", url=f"https://example.org/r{i}")
        at.button(key="submit_send").click().run()
        outcomes.append(bool(at.success))
        refused = [e.value for e in at.error]
    assert outcomes == [True, True, False]
    assert "2 came from your network address in the last minute and the limit is 2" in refused[0]
    assert len(store.find()) == 2


def flood(store: SubmissionStore, count: int) -> None:
    """`count` pending submissions, stored as the form stores them but in one statement (submitting them one by one
    would check each against all the others)."""
    from survey_taxonomy.submissions import SUBMISSIONS

    template = store.find("pending")[0] if store.count("pending") else None
    if template is None:
        submit_one(store)
        template = store.find("pending")[0]
    rows = []
    for i in range(count - 1):
        payload = template.payload | {"title": f"Flood paper {i:05d} about routing", "url": f"https://example.org/flood/{i}"}
        rows.append(
            {
                "key": f"flood{i:05d}",
                "status": "pending",
                "title": payload["title"],
                "payload": json.dumps(payload),
                "bibtex": template.bibtex,
                "source": "form",
                "session_hash": f"{i:064d}",
                "created_at": template.created_at,
                "origin": "form",
            }
        )
    with store.engine.begin() as conn:
        conn.execute(SUBMISSIONS.insert(), rows)


def test_the_review_queue_is_paged(store: SubmissionStore) -> None:
    flood(store, 45)
    at = sign_in(open_page("pages/review.py"), TOKEN)
    assert any(c.value.startswith("45 submissions waiting (oldest first; 1–20 here).") for c in at.caption)
    approve = [b.key for b in at.button if b.key and b.key.startswith("review_approve_")]
    assert len(approve) == 20 and approve[0] == "review_approve_1"
    at.number_input(key="review_page").set_value(3).run()
    approve = [b.key for b in at.button if b.key and b.key.startswith("review_approve_")]
    assert approve == [f"review_approve_{i}" for i in range(41, 46)]
    at.button(key="review_reject_45").click().run()  # the last page empties: the queue shows the new last page
    assert store.get(45).status == "rejected" and not at.exception
    at.button(key="review_reject_44").click().run()
    assert [b.key for b in at.button if b.key and b.key.startswith("review_approve_")][-1] == "review_approve_43"


def test_the_review_queue_stays_fast_with_5000_pending(store: SubmissionStore) -> None:
    """At 500 pending the unpaged page took 30 s to draw and 8.5 s per click; the bounds leave room for a busy machine."""
    flood(store, 5000)
    at = open_page("pages/review.py")
    at.text_input(key="review_token_typed").input(TOKEN)
    started = time.perf_counter()
    next(b for b in at.button if b.label == "Sign in").click().run()
    drawn = time.perf_counter() - started
    assert any(c.value.startswith("5,000 submissions waiting") or c.value.startswith("5000 submissions waiting") for c in at.caption), [
        c.value for c in at.caption
    ]
    started = time.perf_counter()
    at.button(key="review_reject_1").click().run()
    clicked = time.perf_counter() - started
    assert store.get(1).status == "rejected" and not at.exception
    print(f"review queue at 5000 pending: sign-in and draw {drawn:.2f} s, a click {clicked:.2f} s")
    assert drawn < 15 and clicked < 15


def test_a_refresh_started_on_the_review_page_is_seen_by_every_reviewer_and_can_be_cancelled(
    fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's jobs are one object for the server's life (`cache.jobs`): a second reviewer's page shows the run
    the first one started, and its Cancel stops it before anything is written."""
    from atlas_ui import cache

    scholarly = {"SURVEY_OPENALEX_URL": fake_scholarly.openalex_url, "SURVEY_S2_URL": fake_scholarly.s2_url}
    for name, value in {"SURVEY_DATA_DIR": str(tiny_copy), "SURVEY_SCHOLARLY_CACHE": str(tmp_path / "cache.sqlite"), **scholarly}.items():
        monkeypatch.setenv(name, value)
    before = {p.name: p.read_bytes() for p in tiny_copy.iterdir()}
    fake_scholarly.drip_every = 0.2
    fake_scholarly.script("/openalex", *["drip"] * 20)  # holds the run: an answer one byte every 0.2 s
    first = sign_in(open_page("pages/review.py"), TOKEN)
    first.button(key="review_job_refresh").click().run()
    job = cache.jobs().current("refresh")
    assert job is not None and job.state == "running"
    second = sign_in(open_page("pages/review.py"), TOKEN)
    second.button(key="review_job_cancel_refresh").click().run()
    assert job.wait(10) and job.state == "cancelled"
    first.run()
    assert any("Refresh citations cancelled" in i.value for i in first.info)
    assert {p.name: p.read_bytes() for p in tiny_copy.iterdir()} == before


def test_clearing_the_app_caches_cancels_the_runs_they_held(fake_scholarly: FakeScholarly, tiny_copy: Path, tmp_path: Path) -> None:
    """The jobs live as long as their cache entry: a maintainer's "Clear cache" (or a test's) cancels what runs."""
    from atlas_ui import cache

    fake_scholarly.drip_every = 0.2
    fake_scholarly.script("/openalex", *["drip"] * 20)
    settings = Settings(
        data_dir=tiny_copy, openalex_url=fake_scholarly.openalex_url, s2_url=fake_scholarly.s2_url, scholarly_cache=str(tmp_path / "cache.sqlite")
    )
    job = cache.jobs().start_refresh(settings, ("openalex",))
    time.sleep(0.5)
    assert job.state == "running"
    st.cache_resource.clear()
    assert job.wait(5) and job.state == "cancelled"
    assert cache.jobs().current("refresh") is None  # a new set of runs for the next view
