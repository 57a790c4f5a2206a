"""The pages' pure core (atlas_ui.state): URL and widgets reconciled without Streamlit or a browser."""

from __future__ import annotations

from typing import Any

from atlas_ui.state import reconcile, selection_from_widgets, widget_values
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.query.selection import Selection

P = "explore"


def span(c: Corpus) -> tuple[int, int]:
    years = c.frame["year"].dropna()
    return int(years.min()), int(years.max())


def test_a_first_visit_sets_the_widgets_from_the_url(corpus: Corpus) -> None:
    view = reconcile({"node": ["competition"], "code": ["1"]}, {}, P, corpus, span(corpus))
    assert view.seed[f"{P}_node"] == "competition" and view.seed[f"{P}_has_code"] is True
    assert view.selection == Selection(node="competition", has_code=True) and view.notices == ()


def test_a_click_is_not_undone_by_the_older_query_its_rerun_carries(corpus: Corpus) -> None:
    written = {"node": ["competition"]}
    drawn = Selection(node="competition")
    state: dict[str, Any] = {f"{P}_node": "collaboration", f"{P}__url": {"node": ["something-older"]}, f"{P}__drawn": drawn}
    view = reconcile(written, state, P, corpus, span(corpus))
    assert view.seed == {} and view.selection.node == "collaboration"


def test_back_or_a_link_moves_the_widgets_to_the_url(corpus: Corpus) -> None:
    drawn = Selection(node="collaboration")
    state: dict[str, Any] = {f"{P}_node": "collaboration", f"{P}__url": {"node": ["collaboration"]}, f"{P}__drawn": drawn}
    view = reconcile({"node": ["competition"]}, state, P, corpus, span(corpus))
    assert view.seed[f"{P}_node"] == "competition" and view.selection.node == "competition"


def test_the_url_the_page_wrote_leaves_the_widgets_in_charge(corpus: Corpus) -> None:
    state: dict[str, Any] = {f"{P}_query": "routing", f"{P}__url": {"q": ["routing"]}, f"{P}__drawn": Selection(query="routing")}
    view = reconcile({"q": ["routing"]}, state, P, corpus, span(corpus))
    assert view.seed == {} and view.selection == Selection(query="routing")


def test_unknown_values_of_a_link_are_dropped_with_a_notice(corpus: Corpus) -> None:
    link = Selection(facets=("no such topic",), venues=("<script>",)).to_params() | {"node": "nowhere"}
    view = reconcile({k: v if isinstance(v, list) else [v] for k, v in link.items()}, {}, P, corpus, span(corpus))
    assert view.selection == Selection()
    assert [n for n in view.notices if "no such topic" in n and "<script>" in n] and [n for n in view.notices if "nowhere" in n]


def test_a_topic_in_another_case_finds_its_display_form(corpus: Corpus) -> None:
    topic = sorted(corpus.topics)[0]
    values, dropped = widget_values(P, corpus, Selection(facets=(topic.upper(),)), span(corpus))
    assert values[f"{P}_facets"] == [topic] and dropped == []


def test_widgets_give_only_ids_of_the_corpus_and_only_the_page_s_filters(corpus: Corpus) -> None:
    state = {f"{P}_venues": ["<b>x</b>"], f"{P}_relations": ["admin"], f"{P}_node": "competition", f"{P}_query": "  x" * 200}
    everything = selection_from_widgets(state, P, corpus, span(corpus))
    assert everything.venues == () and everything.relations == () and len(everything.query) == 200
    only_nodes = selection_from_widgets(state, P, corpus, span(corpus), fields=("node",))
    assert only_nodes == Selection(node="competition")


def test_years_outside_the_data_are_clamped_and_a_full_span_is_no_filter(corpus: Corpus) -> None:
    lo, hi = span(corpus)
    values, _ = widget_values(P, corpus, Selection(year_min=lo - 50, year_max=hi + 50), (lo, hi))
    assert values[f"{P}_years"] == (lo, hi)
    assert selection_from_widgets(values, P, corpus, (lo, hi)) == Selection()
