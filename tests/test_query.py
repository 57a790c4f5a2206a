from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.query import Selection, facet_counts, node_counts


def keys(selection, corpus):
    return set(selection.filter(corpus.frame)["key"])


def test_node_filter_includes_descendants(corpus):
    parent = keys(Selection(node="collaboration/sm-enhance-llm/efficient-inference"), corpus)
    child = keys(Selection(node="collaboration/sm-enhance-llm/efficient-inference/speculative-decoding"), corpus)
    assert child and child < parent
    assert {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"} <= child


def test_node_prefix_is_not_confused_with_a_longer_sibling(tiny_dir):
    # "collaboration/efficient-inference" must not match a node that merely starts with the same letters
    frame = load_corpus(tiny_dir).frame
    assert Selection(node="collaboration/efficient").filter(frame).empty


def test_filters_combine(corpus):
    sel = Selection(node="collaboration/sm-enhance-llm/efficient-inference/speculative-decoding", year_min=2024, has_code=True)
    out = sel.filter(corpus.frame)
    assert set(out["key"]) == {"xia2024unlocking"}
    assert sel.describe(len(out), corpus.taxonomy) == "1 paper in Speculative decoding since 2024 with code"


def test_query_matches_authors_and_summary_case_insensitively(corpus):
    assert "leviathan2023fast" in keys(Selection(query="LEVIATHAN"), corpus)
    assert keys(Selection(query="draft speculative"), corpus) <= keys(Selection(query="speculative"), corpus)


def test_relations_and_venues_are_alternatives(corpus):
    both = keys(Selection(relations=("curated", "cites-survey")), corpus)
    assert both == keys(Selection(relations=("curated",)), corpus) | keys(Selection(relations=("cites-survey",)), corpus)
    icml = keys(Selection(venues=("ICML",)), corpus)
    assert icml and all(corpus.get(k).venue.startswith("ICML") for k in icml)


def test_sorted_newest_first(corpus):
    years = list(Selection().filter(corpus.frame)["year"].dropna())
    assert years == sorted(years, reverse=True)


def test_facet_and_node_counts(corpus):
    frame = Selection(node="competition").filter(corpus.frame)
    topics = facet_counts(frame, "topics")
    assert topics.iloc[0] == topics.max()
    counts = node_counts(corpus.frame, corpus.taxonomy)
    children = corpus.taxonomy["competition"].children
    assert counts["competition"] >= max(counts[c] for c in children)
    assert counts["competition"] == len(frame)


def test_url_round_trip(corpus):
    sel = Selection(
        node="competition", facets=("tabular data",), year_min=2020, year_max=2024, venues=("ICLR",), relations=("curated",), has_code=True, query="trees"
    )
    again, notices = Selection.from_params(sel.to_params(), corpus.taxonomy)
    assert again == sel and notices == []


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"node": "nowhere"}, "no such taxonomy node"),
        ({"from": "abc"}, "not a year"),
        ({"from": "2024", "to": "2020"}, "the range is empty"),
        ({"relation": ["friend", "curated"]}, "use one of"),
        ({"code": "maybe"}, "use 1 or 0"),
    ],
)
def test_bad_url_values_fall_back_with_a_notice(corpus, params, notice):
    sel, notices = Selection.from_params(params, corpus.taxonomy)
    assert any(notice in n for n in notices)
    assert sel.filter(corpus.frame) is not None


def test_describe_variants():
    assert Selection().describe(0) == "0 papers"
    assert Selection(year_max=2022, venues=("ICML", "NeurIPS")).describe(2) == "2 papers at ICML or NeurIPS until 2022"
    assert Selection(relations=("cites-survey",)).describe(3) == "3 papers citing the survey"


selections = st.builds(
    Selection,
    node=st.sampled_from([None, "collaboration", "competition", "collaboration/sm-enhance-llm/efficient-inference", "competition/task-specific"]),
    facets=st.lists(st.sampled_from(["Data Selection", "tabular data", "Model Cascading", "survey", "nothing"]), max_size=2).map(tuple),
    year_min=st.one_of(st.none(), st.integers(2015, 2026)),
    year_max=st.one_of(st.none(), st.integers(2015, 2026)),
    venues=st.lists(st.sampled_from(["ICML", "NeurIPS", "arXiv", "ACL"]), max_size=2).map(tuple),
    relations=st.lists(st.sampled_from(["cited-by-survey", "curated", "cites-survey"]), max_size=2).map(tuple),
    has_code=st.booleans(),
    query=st.sampled_from(["", "model", "small language", "zzz"]),
)


@settings(max_examples=120, deadline=None)
@given(selections)
def test_filter_returns_a_subset(corpus, selection):
    out = selection.filter(corpus.frame)
    assert set(out["key"]) <= set(corpus.frame["key"])
    assert len(out) == int(selection.mask(corpus.frame).sum())


@settings(max_examples=120, deadline=None)
@given(selections, st.sampled_from(["Data Selection", "tabular data", "Model Routing", "survey"]))
def test_adding_a_facet_never_grows_the_result(corpus, selection, facet):
    before = keys(selection, corpus)
    after = keys(replace(selection, facets=(*selection.facets, facet)), corpus)
    assert after <= before
