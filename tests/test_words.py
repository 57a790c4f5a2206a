"""Word-form search: a word finds its other forms, every word must match, and the filter stays a subset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.query import Selection
from survey_taxonomy.words import query_stems, stem_text


def test_routing_finds_router_and_routers(corpus):
    found = set(Selection(query="routing").filter(corpus.frame)["key"])
    for form in ("router", "routers"):
        assert set(Selection(query=form).filter(corpus.frame)["key"]) <= found
    assert any("router" in corpus.by_key[k].title.lower() and "routing" not in corpus.by_key[k].title.lower() for k in found)


def test_a_word_matches_the_start_of_a_word_not_its_middle():
    assert all(term in stem_text("Speculative decoding with routers") for term in query_stems("speculate routing"))
    assert " coding" not in stem_text("decoding")


def test_every_word_must_match(corpus):
    both = set(Selection(query="speculative routing").filter(corpus.frame)["key"])
    assert both <= set(Selection(query="speculative").filter(corpus.frame)["key"]) & set(Selection(query="routing").filter(corpus.frame)["key"])
    assert Selection(query="zzznothing").filter(corpus.frame).empty


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_query_gives_a_subset_and_never_raises(corpus, query):
    keys = set(Selection(query=query).filter(corpus.frame)["key"])
    assert keys <= set(corpus.frame["key"])
