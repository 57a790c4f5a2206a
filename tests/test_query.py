"""Selection: filters, counts and URL state, on the tiny fixture (eight real papers), so a change to the shipped
data cannot break them."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.words import topic_key, topic_label
from survey_taxonomy.query.selection import Selection, facet_counts, node_counts

SPECULATIVE = "collaboration/efficient-inference/speculative-decoding"


def keys(selection: Selection, corpus: Corpus) -> set[str]:
    return set(selection.filter(corpus.frame)["key"])


def test_node_filter_includes_descendants(tiny: Corpus) -> None:
    parent = keys(Selection(node="collaboration/efficient-inference"), tiny)
    child = keys(Selection(node=SPECULATIVE), tiny)
    assert child == {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"}
    assert child < parent and "ong2024routellm" in parent


def test_node_prefix_is_not_confused_with_a_longer_sibling(tiny: Corpus) -> None:
    # "collaboration/efficient-inference" must not match a node that merely starts with the same letters
    assert Selection(node="collaboration/efficient").filter(tiny.frame).empty


def test_filters_combine(tiny: Corpus) -> None:
    sel = Selection(node=SPECULATIVE, year_min=2024, has_code=True)
    out = sel.filter(tiny.frame)
    assert set(out["key"]) == {"xia2024unlocking"}
    assert sel.describe(len(out), tiny.taxonomy) == "1 paper in Speculative decoding since 2024 with code"


def test_query_matches_authors_and_summary_case_insensitively(tiny: Corpus) -> None:
    assert keys(Selection(query="LEVIATHAN"), tiny) == {"leviathan2023fast"}
    assert "leviathan2023fast" in keys(Selection(query="speculative"), tiny)
    assert keys(Selection(query="draft speculative"), tiny) <= keys(Selection(query="speculative"), tiny)


def test_relations_and_venues_are_alternatives(tiny: Corpus) -> None:
    both = keys(Selection(relations=("curated", "cites-survey")), tiny)
    assert both == {"grinsztajn2022tree", "zhang2025lightrouter"}
    assert keys(Selection(venues=("ICML",)), tiny) == {"leviathan2023fast"}
    assert keys(Selection(venues=("ICML", "Findings of ACL")), tiny) == {"leviathan2023fast", "xia2024unlocking"}


def test_sorted_newest_first(tiny: Corpus) -> None:
    years = list(Selection().filter(tiny.frame)["year"])
    assert years == sorted(years, reverse=True) and years[0] == 2025


def test_facet_and_node_counts(tiny: Corpus) -> None:
    routing = Selection(node="collaboration/efficient-inference/cascading-and-routing").filter(tiny.frame)
    assert facet_counts(routing["topics"]).to_dict() == {  # in their display form (`topic_label`)
        "model cascading": 1,
        "model routing": 1,
        "LLM routing": 1,
        "ensemble": 1,
        "cost efficiency": 1,
    }
    counts = node_counts(tiny.frame["taxonomy"], tiny.taxonomy)
    assert counts["collaboration/efficient-inference"] == counts[SPECULATIVE] + counts["collaboration/efficient-inference/cascading-and-routing"] == 6
    assert counts["competition"] == 2  # the survey and the tabular benchmark


def test_url_round_trip(tiny: Corpus) -> None:
    sel = Selection(
        node="competition", facets=("tabular data",), year_min=2020, year_max=2024, venues=("ICLR",), relations=("curated",), has_code=True, query="trees"
    )
    again, notices = Selection.from_params(sel.to_params(), tiny.taxonomy)
    assert again == sel and notices == []


@pytest.mark.parametrize(
    ("params", "notice", "kept"),
    [
        ({"node": "nowhere"}, "no such taxonomy node", Selection()),
        ({"from": "abc"}, "not a year", Selection()),
        ({"from": "2024", "to": "2020"}, "the range is empty", Selection()),
        ({"relation": ["friend", "curated"]}, "use one of", Selection(relations=("curated",))),
        ({"code": "maybe"}, "use 1 or 0", Selection()),
        ({"node": "competition", "from": "abc"}, "not a year", Selection(node="competition")),
    ],
)
def test_bad_url_values_fall_back_with_a_notice(tiny: Corpus, params: dict[str, str | list[str]], notice: str, kept: Selection) -> None:
    sel, notices = Selection.from_params(params, tiny.taxonomy)
    assert len(notices) == 1 and notice in notices[0]
    assert sel == kept  # only the bad value is dropped


def test_describe_variants() -> None:
    assert Selection().describe(0) == "0 papers"
    assert Selection(year_max=2022, venues=("ICML", "NeurIPS")).describe(2) == "2 papers at ICML or NeurIPS until 2022"
    assert Selection(relations=("cites-survey",)).describe(3) == "3 papers citing the survey"


selections = st.builds(
    Selection,
    node=st.sampled_from([None, "collaboration", "competition", "collaboration/efficient-inference", SPECULATIVE, "competition/task-specific"]),
    facets=st.lists(st.sampled_from(["Speculative Decoding", "tabular data", "Model Cascading", "survey", "nothing"]), max_size=2).map(tuple),
    year_min=st.one_of(st.none(), st.integers(2015, 2026)),
    year_max=st.one_of(st.none(), st.integers(2015, 2026)),
    venues=st.lists(st.sampled_from(["ICML", "NeurIPS 2022 Datasets and Benchmarks", "arXiv", "Findings of ACL"]), max_size=2).map(tuple),
    relations=st.lists(st.sampled_from(["cited-by-survey", "curated", "cites-survey"]), max_size=2).map(tuple),
    has_code=st.booleans(),
    query=st.sampled_from(["", "model", "speculative decoding", "zzz"]),
)


@settings(max_examples=120, deadline=None)
@given(selections)
def test_filter_keeps_exactly_the_papers_every_condition_keeps(tiny: Corpus, selection: Selection) -> None:
    """The combined filter is the intersection of the one-condition filters (each checked on its own)."""
    alone = [
        Selection(node=selection.node),
        Selection(facets=selection.facets),
        Selection(year_min=selection.year_min, year_max=selection.year_max),
        Selection(venues=selection.venues),
        Selection(relations=selection.relations),
        Selection(has_code=selection.has_code),
        Selection(query=selection.query),
    ]
    assert keys(selection, tiny) == set.intersection(*(keys(s, tiny) for s in alone))


@settings(max_examples=120, deadline=None)
@given(selections, st.sampled_from(["Speculative Decoding", "tabular data", "Model Routing", "survey"]))
def test_adding_a_facet_never_grows_the_result(tiny: Corpus, selection: Selection, facet: str) -> None:
    before = keys(selection, tiny)
    after = keys(replace(selection, facets=(*selection.facets, facet)), tiny)
    assert after <= before


@settings(max_examples=120, deadline=None)
@given(selections)
def test_sideways_rows_are_what_the_selection_without_that_filter_keeps(tiny: Corpus, selection: Selection) -> None:
    names = ["node", "facets", "year_min", "year_max", "venues", "relations", "has_code", "query"]
    counted = selection.sideways(tiny.frame, names)
    assert list(counted) == names
    for name in names:
        assert set(tiny.frame["key"][counted[name]]) == keys(selection.without(name), tiny), name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("Model Routing", "model routing", id="capitalised"),
        pytest.param("Out-Of-Vocabulary  Words", "out-of-vocabulary words", id="hyphens-and-spaces"),
        pytest.param("LLM routing", "LLM routing", id="abbreviation"),
        pytest.param("MoE pruning", "MoE pruning", id="mixed-case"),
        pytest.param("CoT distillation", "CoT distillation", id="mixed-case-2"),
        pytest.param("human-AI collaboration", "human-AI collaboration", id="abbreviation-in-hyphen"),
    ],
)
def test_topic_label_lowers_capitalised_words_only(raw: str, shown: str) -> None:
    assert topic_label(raw) == shown
    assert topic_key(raw) == topic_key(shown) == " ".join(shown.split()).casefold()


def test_the_shipped_topics_are_one_per_case_folded_name(corpus: Corpus) -> None:
    keys = [topic_key(t) for t in corpus.topics]
    assert len(keys) == len(set(keys))
    assert all(t == topic_label(t) for t in corpus.topics)  # one display form, whatever the file says
