"""Atom feeds of the papers added to each taxonomy node, newest first, for feed readers to follow a topic.

Terms:
- *added*: the day a paper entered the atlas (`Paper.added`, written by `submissions merge`); papers without one
  are left out of the feeds, since a feed entry must say when it appeared.
- *node feed*: the papers placed at a node or below it. Each feed is a static file under `feed_folder`, named by
  the node id (`collaboration/sm-enhance-llm/efficient-inference.atom`), plus `all.atom` for the whole atlas.
  `serve.py` writes them at start and `submissions merge` after each merge; Streamlit serves them as static files
  at `/app/static/feeds/...`.

The XML is built with ElementTree, which escapes every text, so a hostile title stays text; tests read the
feeds back with feedparser.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from ..data.corpus import Corpus
from ..data.files import write_atomic
from ..data.records import Paper

ATOM = "http://www.w3.org/2005/Atom"
FEED_ROUTE = "app/static/feeds"  # where Streamlit's static serving puts `static/feeds/` of the app folder
ID_PREFIX = "urn:small-models-atlas"
MAX_ENTRIES = 100
ALL = "all"


def feed_path(node_id: str) -> str:
    """The feed's path under the feed folder (and the route).

    >>> feed_path("competition/task-specific"), feed_path("")
    ('competition/task-specific.atom', 'all.atom')
    """
    return f"{node_id or ALL}.atom"


def _stamp(day: str) -> str:
    return f"{day}T00:00:00Z"


def _papers_under(corpus: Corpus, node_id: str) -> list[Paper]:
    """Papers at the node or below it that have an `added` day, newest first (then by title)."""
    under = {n.id for n in corpus.taxonomy.walk(node_id)} if node_id else None
    papers = [p for p in corpus.papers if p.added and (under is None or under.intersection(p.taxonomy))]
    return sorted(papers, key=lambda p: (p.added, p.title), reverse=True)[:MAX_ENTRIES]


def node_feed(corpus: Corpus, node_id: str = "", today: dt.date | None = None) -> str:
    """The Atom feed of one node ("" = the whole atlas) as XML text."""
    ET.register_namespace("", ATOM)
    label = corpus.taxonomy[node_id].heading if node_id else "every node"
    papers = _papers_under(corpus, node_id)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{ID_PREFIX}:feed:{node_id or ALL}")
    _text(feed, "title", f"Small Models Atlas: {label}")
    _text(feed, "subtitle", f"Papers added to {label} of the survey 'What is the Role of Small Models in the LLM Era', newest first")
    _text(feed, "updated", _stamp(papers[0].added if papers else (today or dt.date.today()).isoformat()))
    ET.SubElement(feed, f"{{{ATOM}}}author").append(_element("name", "Small Models Atlas"))
    for paper in papers:
        feed.append(_entry(corpus, paper))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _entry(corpus: Corpus, paper: Paper) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    _text(entry, "id", f"{ID_PREFIX}:paper:{paper.key}")
    _text(entry, "title", paper.title)
    _text(entry, "updated", _stamp(paper.added))
    _text(entry, "published", _stamp(paper.added))
    if paper.link:
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": paper.link})
    for name in paper.authors:
        ET.SubElement(entry, f"{{{ATOM}}}author").append(_element("name", name))
    for node in paper.taxonomy:
        if node in corpus.taxonomy:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": node, "label": corpus.taxonomy[node].label})
    venue = f" ({paper.venue})" if paper.venue else ""
    _text(entry, "summary", f"{paper.summary}{venue}".strip())
    return entry


def _element(tag: str, text: str) -> ET.Element:
    element = ET.Element(f"{{{ATOM}}}{tag}")
    element.text = text
    return element


def _text(parent: ET.Element, tag: str, text: str) -> None:
    parent.append(_element(tag, text))


def write_feeds(corpus: Corpus, folder: str | Path, today: dt.date | None = None) -> list[Path]:
    """Write the feed of every node and of the whole atlas under `folder`; returns the files written."""
    folder = Path(folder)
    written: list[Path] = []
    for node_id in ["", *(n.id for n in corpus.taxonomy.walk())]:
        path = folder / feed_path(node_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, node_feed(corpus, node_id, today))
        written.append(path)
    return written
