"""Atom feeds of the taxonomy nodes, read back with feedparser, as a feed reader reads them."""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from serve import served
from survey_taxonomy.data.corpus import Corpus, load_corpus
from survey_taxonomy.export.feeds import FEED_ROUTE, feed_path, node_feed
from tests.conftest import CliRun

SPECULATIVE = "collaboration/efficient-inference/speculative-decoding"


def with_days(corpus: Corpus, days: dict[str, str]) -> Corpus:
    """The corpus with `added` days set on the papers named (the others keep none)."""
    return replace(corpus, papers=tuple(replace(p, added=days.get(p.key, "")) for p in corpus.papers))


def test_a_node_feed_lists_the_papers_added_below_it_newest_first(tiny: Corpus) -> None:
    keys = [p.key for p in tiny.papers if SPECULATIVE in p.taxonomy]
    assert len(keys) >= 2
    corpus = with_days(tiny, {keys[0]: "2025-01-02", keys[1]: "2026-03-04"} | {p.key: "2026-05-06" for p in tiny.papers if SPECULATIVE not in p.taxonomy})
    feed = feedparser.parse(node_feed(corpus, "collaboration/efficient-inference"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert corpus.taxonomy["collaboration/efficient-inference"].label in feed.feed.title
    speculative = [e for e in feed.entries if any(t.term == SPECULATIVE for t in e.get("tags", []))]
    assert [e.id.rsplit(":", 1)[1] for e in speculative] == [keys[1], keys[0]]  # newest first
    under = {p.key for p in corpus.papers if p.added and any(t.startswith("collaboration/efficient-inference") for t in p.taxonomy)}
    assert {e.id.rsplit(":", 1)[1] for e in feed.entries} == under  # below the node only, each once
    first = next(p for p in corpus.papers if p.key == keys[1])
    entry = speculative[0]
    assert entry.title == first.title and entry.link == first.link
    assert [a.name for a in entry.authors] == list(first.authors)
    assert entry.published_parsed[:3] == (2026, 3, 4) and feed.feed.updated_parsed[:3] == (2026, 5, 6)


def test_papers_without_an_added_day_are_left_out_and_an_empty_feed_is_valid(tiny: Corpus) -> None:
    feed = feedparser.parse(node_feed(with_days(tiny, {}), "", today=dt.date(2026, 12, 6)))
    assert not feed.bozo and feed.entries == [] and feed.feed.updated_parsed[:3] == (2026, 12, 6)


def test_hostile_text_stays_text_in_the_feed(tiny: Corpus) -> None:
    evil = replace(tiny.papers[1], title="</title><script>alert(1)</script> & more", added="2026-01-01")
    corpus = replace(tiny, papers=(evil,))
    text = node_feed(corpus, "")
    assert "<script>" not in text
    feed = feedparser.parse(text)
    assert not feed.bozo and feed.entries[0].title == evil.title


def test_the_cli_writes_a_feed_per_node(run_cli: Callable[..., CliRun], tiny_dir: Path, tmp_path: Path) -> None:
    proc = run_cli("--data", tiny_dir, "feeds", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    corpus = load_corpus(tiny_dir)
    for node in ["", *(n.id for n in corpus.taxonomy.walk())]:
        assert not feedparser.parse((tmp_path / feed_path(node)).read_text(encoding="utf-8")).bozo, node


@pytest.mark.browser
def test_the_app_serves_the_feeds_as_atom(tmp_path: Path, data_dir: Path) -> None:
    """`serve.py` writes the feeds of the data it serves; Streamlit serves them with Atom's content type."""
    corpus = load_corpus(data_dir)
    node = next(n.id for n in corpus.taxonomy.walk() if n.depth == 2)
    with served(tmp_path / "server.log") as (base, _), urllib.request.urlopen(f"{base}/{FEED_ROUTE}/{feed_path(node)}", timeout=30) as answer:
        kind, body = answer.headers["Content-Type"], answer.read()
    assert kind.startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo and corpus.taxonomy[node].label in feed.feed.title
    added = [p for p in corpus.papers if p.added and any(t.startswith(node) for t in p.taxonomy)]
    assert len(feed.entries) == min(len(added), 100)
