"""A paper in brief, as lists show it: its page's address, its first authors, its venue and year, and the cards
that show papers on narrow screens, as one block of escaped HTML. Each card carries the paper's COinS span
(`cite.coins_span`), so the Zotero Connector offers every paper of the list, on any screen.

One block, not a Streamlit element per card: every element costs the browser a React component on each rerun,
and thirty cards (a link and a caption each, hidden on wide screens) were most of Explore's elements and most of
the browser's work when a filter changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from ..data.records import Paper
from .cite import coins_span


def paper_url(key: str) -> str:
    """The relative address of a paper's own page.

    >>> paper_url("a&b")
    'paper?key=a%26b'
    """
    return "paper?" + urlencode({"key": key})


def short_authors(paper: Paper, limit: int = 3) -> str:
    """The first authors and "et al." when there are more."""
    names = list(paper.authors[:limit])
    return ", ".join(names) + (" et al." if len(paper.authors) > limit else "") if names else "Authors unknown"


def venue_and_year(paper: Paper) -> str:
    """The venue with the year, the year added only where the venue does not name it already.

    >>> venue_and_year(Paper("k", "T", year=2023, venue="ICML 2023")), venue_and_year(Paper("k", "T", year=2022, venue="TMLR"))
    ('ICML 2023', 'TMLR · 2022')
    >>> venue_and_year(Paper("k", "T"))
    'Venue unknown · n.d.'
    """
    year = str(paper.year or "n.d.")
    if not paper.venue:
        return f"Venue unknown · {year}"
    return paper.venue if year in paper.venue.split() else f"{paper.venue} · {year}"


def cards_html(papers: Sequence[Paper], total: int) -> str:
    """Cards for `papers` (the first `total` of a list): the title, a link to the paper's page, over authors and venue.

    Every text from the data is escaped, attribute values quoted, so a title can only ever be text.

    >>> html = cards_html([Paper("k&1", "<b>Small</b>", ("Ann",), 2024, "ACL 2024")], total=3)
    >>> 'href="paper?key=k%261"' in html, "&lt;b&gt;Small&lt;/b&gt;" in html, "<b>" in html, "The first 1 of 3" in html
    (True, True, False, True)
    """
    cards = "".join(
        f'<div class="atlas-card"><a class="atlas-card-title" href="{escape(paper_url(p.key))}">{escape(p.title)}</a>'
        f'<span class="atlas-card-meta">{escape(short_authors(p))} · {escape(venue_and_year(p))}</span>{coins_span(p)}</div>'
        for p in papers
    )
    more = f'<p class="atlas-cards-more">The first {len(papers)} of {total}: narrow the filters or search to see the others.</p>' if total > len(papers) else ""
    return f'<div class="atlas-cards">{cards}{more}</div>'
