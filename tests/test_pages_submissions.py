"""AppTest for the submit and review pages, opened through app.py's navigation: the form stores and
confirms, bad input lists every problem and stores nothing, BibTeX paste works, user text is never
rendered as markup, review is off without a token, refuses a wrong one, and an approval shows in Explore."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from survey_taxonomy.config import Settings
from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.submissions import SubmissionStore, read_payload
from tests.apptest import open_page

NODE = "collaboration/sm-enhance-llm/efficient-inference/cascading-and-routing"
TOKEN = "correct-horse-battery-staple"
PAPER = {
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


def plain(element) -> str:
    """An element's Markdown without the escapes and word joiners the pages add to user text."""
    return element.value.replace("\\", "").replace("\u2060", "")


def fill_form(at: AppTest, **fields) -> AppTest:
    values = PAPER | fields
    at.text_input(key="submit_title").input(values["title"])
    at.text_area(key="submit_authors").input("\n".join(values["authors"]))
    at.number_input(key="submit_year").set_value(values["year"])
    at.text_input(key="submit_url").input(values["url"])
    at.selectbox(key="submit_taxonomy").set_value(values["taxonomy"])
    at.text_input(key="submit_summary").input(values["summary"])
    return at.run()


def test_submit_form_stores_and_confirms(store: SubmissionStore):
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


def test_invalid_form_lists_every_problem_and_stores_nothing(store: SubmissionStore):
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


def test_paste_bibtex_stores_entries_and_reports_broken_ones(store: SubmissionStore):
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


def test_fill_from_arxiv_explains_a_bad_id_without_hanging():
    at = open_page("pages/submit.py")
    at.text_input(key="submit_arxiv").input("not-an-id")
    at.button(key="submit_fill").click().run()
    assert any("is not an arXiv id" in plain(e) for e in at.error)


def test_review_is_disabled_without_a_token(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SURVEY_ADMIN_TOKEN")
    at = open_page("pages/review.py")
    assert any("Review is disabled" in i.value and "SURVEY_ADMIN_TOKEN" in i.value for i in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("review_")]


def sign_in(at: AppTest, token: str) -> AppTest:
    """Type the token into the review's sign-in form and press Sign in, as a maintainer does."""
    at.text_input(key="review_token_typed").input(token)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def submit_one(store: SubmissionStore, **fields) -> int:
    drafts, problems = read_payload(PAPER | fields)
    return store.submit(drafts, load_corpus(Settings().data_dir), session="test", per_minute=None, problems=problems).submissions[0].id


def test_review_refuses_a_wrong_token(store: SubmissionStore):
    submit_one(store)
    at = open_page("pages/review.py")
    sign_in(at, "guess")
    assert any("wrong admin token" in e.value for e in at.error)
    assert not [b for b in at.button if b.key and b.key.startswith("review_approve")]
    assert store.find("pending")


def test_the_token_is_not_kept_in_the_page_after_signing_in(store: SubmissionStore):
    submit_one(store)
    at = sign_in(open_page("pages/review.py"), TOKEN)
    assert [b for b in at.button if b.key and b.key.startswith("review_approve")]
    assert all(t.value in ("", None) for t in at.text_input if t.key == "review_token_typed")
    assert TOKEN not in str([t.value for t in at.text_input])


def test_review_approves_with_the_token_and_explore_shows_it_at_once(store: SubmissionStore):
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


def test_user_text_is_shown_as_text_not_markup(store: SubmissionStore):
    submit_one(store, title="[click me](https://evil.example) ![pixel](https://evil.example/p.png) **bold**")
    at = open_page("pages/review.py")
    sign_in(at, TOKEN)
    (title,) = [m.value for m in at.markdown if "click me" in m.value]
    assert "\\[click me\\]\\(h\u2060ttps\\:" in title and "\\!\\[pixel\\]" in title and "\\*\\*bold\\*\\*" in title
