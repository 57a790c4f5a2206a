"""The phone cards: one escaped block, every paper a link to its page, text from the data never markup."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.export.cards import cards_html


class Tags(HTMLParser):
    """The tags and attributes a browser would build from the block, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def test_each_paper_is_one_link_to_its_page_with_title_authors_and_venue(tiny: Corpus) -> None:
    papers = list(tiny.papers[:4])
    tags = parse(cards_html(papers, total=len(papers)))
    links = [attrs["href"] for tag, attrs in tags.tags if tag == "a"]
    assert links == [f"paper?key={p.key}" for p in papers]
    text = "".join(tags.text)
    assert all(p.title in text for p in papers)
    assert "narrow the filters" not in text  # every paper is shown


def test_hostile_text_stays_text() -> None:
    evil = Paper(
        'x" onclick="alert(1)',
        "<img src=x onerror=alert(1)><script>alert(2)</script>",
        ("<a href='javascript:alert(3)'>A</a>",),
        2024,
        'Venue"><iframe>',
    )
    tags = parse(cards_html([evil], total=1))
    assert [tag for tag, _ in tags.tags] == ["div", "div", "a", "span", "span"]
    (_, link) = tags.tags[2]
    assert set(link) == {"class", "href"} and link["href"] == "paper?key=x%22+onclick%3D%22alert%281%29"
    (_, coins) = tags.tags[4]  # the COinS span: its ContextObject in one escaped attribute, nothing else
    assert set(coins) == {"class", "title"} and coins["class"] == "Z3988"
    assert parse_qs(coins["title"])["rft.atitle"] == [evil.title]
    assert evil.title in "".join(tags.text)


def test_a_long_list_says_how_many_are_not_shown(tiny: Corpus) -> None:
    papers = list(tiny.papers)
    html = cards_html(papers[:2], total=len(papers))
    assert f"The first 2 of {len(papers)}" in "".join(parse(html).text)
