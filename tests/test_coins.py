"""COinS: the OpenURL metadata the Zotero Connector reads from a page, for every entry and in a real page."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.export.cite import coins
from tests.browser import wait_for_app


def expected_genre(paper: Paper) -> tuple[str, str]:
    """(metadata format, genre), decided from the short venue alone, independently of `schema.entry_kind`."""
    if not paper.venue or paper.venue.startswith("arXiv"):
        return ("journal", "preprint") if paper.arxiv else ("journal", "unknown")
    if paper.booktitle:
        return "book", "proceeding"
    return "journal", "article"


def test_coins_of_every_entry_hold_type_title_authors_year_venue_and_ids(corpus: Corpus) -> None:
    for paper in corpus.papers:
        kev = parse_qs(coins(paper))
        fmt, genre = expected_genre(paper)
        assert kev["ctx_ver"] == ["Z39.88-2004"] and kev["rft_val_fmt"] == [f"info:ofi/fmt:kev:mtx:{fmt}"], paper.key
        assert kev["rft.genre"] == [genre] and kev["rft.atitle"] == [paper.title], paper.key
        assert kev.get("rft.au", []) == list(paper.authors), paper.key
        if paper.author_names:
            assert kev["rft.aulast"] == [paper.author_names[0].family], paper.key
        assert kev.get("rft.date") == ([str(paper.year)] if paper.year else None), paper.key
        if genre == "proceeding":
            assert kev["rft.btitle"] == [paper.booktitle], paper.key
        elif genre == "article":
            assert kev["rft.jtitle"] == [paper.journal], paper.key
        ids = kev.get("rft_id", [])
        assert (f"info:doi/{paper.doi}" in ids) == bool(paper.doi) and (f"info:arxiv/{paper.arxiv}" in ids) == bool(paper.arxiv), paper.key


@pytest.mark.browser
def test_the_paper_page_and_explore_carry_coins_in_the_page(server: str, page: Page, corpus: Corpus) -> None:
    """What the Connector sees: a span.Z3988 in the live DOM, on the paper's page and for each paper of a list."""
    paper = next(p for p in corpus.papers if p.doi and p.booktitle)
    page.goto(f"{server}/paper?key={paper.key}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=paper.title, exact=True)).to_be_visible()
    spans = page.locator("span.Z3988")
    expect(spans.first).to_be_attached()
    kev = parse_qs(spans.first.get_attribute("title") or "")
    assert kev["rft.atitle"] == [paper.title] and f"info:doi/{paper.doi}" in kev["rft_id"] and kev["rft.genre"] == ["proceeding"]
    page.goto(f"{server}/explore")
    wait_for_app(page)
    titles = [parse_qs(t or "")["rft.atitle"][0] for t in page.locator(".atlas-cards span.Z3988").evaluate_all("els => els.map(e => e.title)")]
    assert len(titles) >= 10 and set(titles) <= {p.title for p in corpus.papers}
