"""Word-form search: a word finds its other forms, every word must match, and the filter stays a subset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.words import query_stems, stem_text
from survey_taxonomy.query.selection import Selection


def keys(corpus: Corpus, query: str) -> set[str]:
    return set(Selection(query=query).filter(corpus.frame)["key"])


def test_routing_finds_router_and_routers(tiny: Corpus) -> None:
    # RouteLLM's summary says "routers" and its title "Route"; LightRouter's summary says "Routes".
    assert keys(tiny, "routing") == keys(tiny, "route") == {"ong2024routellm", "zhang2025lightrouter"}
    assert keys(tiny, "router") == keys(tiny, "routers") == {"ong2024routellm"}  # "LightRouter" does not start with it


def test_a_word_matches_the_start_of_a_word_not_its_middle() -> None:
    assert all(term in stem_text("Speculative decoding with routers") for term in query_stems("speculate routing"))
    assert " coding" not in stem_text("decoding")


def test_every_word_must_match(tiny: Corpus) -> None:
    assert keys(tiny, "drafting") == {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"}
    assert keys(tiny, "draft routers") == set() and keys(tiny, "zzznothing") == set()
    assert keys(tiny, "preference routers") == {"ong2024routellm"}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_query_never_raises_and_more_words_never_find_more(tiny: Corpus, query: str) -> None:
    assert keys(tiny, query + " drafting") <= keys(tiny, query)
