"""AppTest for every explorer page: it renders, its main interactions change what is shown, and the
numbers it shows equal what the library computes for the same selection."""

from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from atlas_ui import cache
from survey_taxonomy.data.corpus import DATA_FILES, Corpus, load_corpus
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.graphs.networks import build_graph
from survey_taxonomy.models.retrieval import MEANING_FLOOR, MEANING_MARGIN
from survey_taxonomy.query.selection import Selection
from tests.apptest import APP, open_page

SPEC = "collaboration/sm-enhance-llm/efficient-inference/speculative-decoding"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_DB_URL", f"sqlite:///{tmp_path / 'submissions.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()


def caption_texts(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_overview_numbers_match_the_library(corpus: Corpus) -> None:
    at = open_page("pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Papers"] == str(len(corpus))
    assert metrics["Cited by the survey"] == str(sum(p.relation == "cited-by-survey" for p in corpus.papers))
    assert metrics["Citing the survey"] == str(len(Selection(relations=("cites-survey",)).filter(corpus.frame)))
    assert at.title[0].value == "Small Models Atlas"


def test_overview_lists_connected_papers_by_whole_words(corpus: Corpus) -> None:
    at = open_page("pages/overview.py")
    titles = {markdown_text(p.title): p.title for p in corpus.papers}
    listed = [link.proto.label.split(" · ", 1)[1] for link in at.get("page_link") if " link" in link.proto.label.split(" · ")[0]]
    assert len(listed) >= 5
    for label in listed:
        if label in titles:
            continue
        assert label.endswith("…"), label  # a long title is cut where a word ends, and says so
        whole = next(t for shown, t in titles.items() if shown.startswith(label[:-1]))
        assert whole[len(label[:-1].replace("\\", "")) :][:1] in (" ", ",", ".", ":", ";", "-"), (label, whole)


def test_explore_default_shows_everything(corpus: Corpus) -> None:
    at = open_page("pages/explore.py")
    assert Selection().describe(len(corpus), corpus.taxonomy) in caption_texts(at)


def test_explore_node_filter_and_code_filter_change_the_count(corpus: Corpus) -> None:
    at = open_page("pages/explore.py")
    at.selectbox(key="explore_node").select(SPEC).run()
    expected = Selection(node=SPEC).filter(corpus.frame)
    assert Selection(node=SPEC).describe(len(expected), corpus.taxonomy) in caption_texts(at)
    assert at.query_params["node"] in (SPEC, [SPEC])
    at.checkbox(key="explore_has_code").check().run()
    with_code = Selection(node=SPEC, has_code=True)
    assert with_code.describe(len(with_code.filter(corpus.frame)), corpus.taxonomy) in caption_texts(at)
    assert at.query_params["code"] in ("1", ["1"])


def test_explore_search_box(corpus: Corpus) -> None:
    at = open_page("pages/explore.py")
    at.text_input(key="explore_query").input("weak-to-strong").run()
    sel = Selection(query="weak-to-strong")
    assert markdown_text(sel.describe(len(sel.filter(corpus.frame)), corpus.taxonomy)) in caption_texts(at)


def test_explore_restores_the_view_from_the_url_and_opens_a_paper(corpus: Corpus) -> None:
    at = open_page("pages/explore.py", node=SPEC, code="1", key="leviathan2023fast")
    sel = Selection(node=SPEC, has_code=True)
    assert sel.describe(len(sel.filter(corpus.frame)), corpus.taxonomy) in caption_texts(at)
    assert any(h.value == "Fast Inference from Transformers via Speculative Decoding" for h in at.subheader)
    assert any("@inproceedings{leviathan2023fast" in c.value for c in at.code)


def test_clear_all_filters_resets_every_filter_and_the_url_in_one_click(corpus: Corpus) -> None:
    at = open_page("pages/explore.py", node=SPEC, code="1", q="draft", key="leviathan2023fast")
    at.button(key="explore_clear").click().run()
    assert Selection().describe(len(corpus), corpus.taxonomy) in caption_texts(at)
    assert dict(at.query_params) == {}
    assert at.selectbox(key="explore_node").value == "" and not at.checkbox(key="explore_has_code").value
    assert at.text_input(key="explore_query").value == ""
    assert not [b for b in at.button if b.key == "explore_clear"]  # nothing left to clear


def test_explore_bad_url_values_fall_back_with_a_notice(corpus: Corpus) -> None:
    at = open_page("pages/explore.py", node="no/such/node", **{"from": "19x9"})
    assert Selection().describe(len(corpus), corpus.taxonomy) in caption_texts(at)
    assert any("no such taxonomy node" in t.value for t in at.toast)


def test_explore_link_keeps_known_topics_and_venues_and_names_the_unknown_ones(corpus: Corpus) -> None:
    topic, venue = sorted(corpus.topics)[0], sorted(v for v in corpus.venue_names if v)[0]
    at = open_page("pages/explore.py", facet=[topic, "No such topic"], venue=[venue, "Nowhere Conf"])
    assert at.multiselect(key="explore_facets").value == [topic]
    assert at.multiselect(key="explore_venues").value == [venue]
    assert any("No such topic" in t.value and "Nowhere Conf" in t.value for t in at.toast)
    expected = Selection(facets=(topic,), venues=(venue,))
    assert expected.describe(len(expected.filter(corpus.frame)), corpus.taxonomy) in caption_texts(at)


def test_explore_empty_result_says_what_to_do() -> None:
    at = open_page("pages/explore.py", q="zzzz-no-paper-has-this")
    assert any("No paper matches" in i.value for i in at.info)


@pytest.mark.parametrize(("page", "param"), [("pages/explore.py", "key"), ("pages/paper.py", "key"), ("pages/graph.py", "focus")])
def test_every_paper_opens_on_every_page_that_shows_one(corpus: Corpus, page: str, param: str) -> None:
    """Each paper of the dataset, opened from a URL, shows its title and raises nothing. What a paper brings to a
    page depends on its data: ProxyLM both cites and is cited by the survey, and its two link lists once gave two
    widgets one key, which crashed its page and its Explore panel. The graph focuses the papers its default view
    draws: those with a link to another paper (the survey is hidden there)."""
    assert corpus.survey is not None
    drawn = set(build_graph(corpus, "network", [k for k in corpus.by_key if k != corpus.survey.key]))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run().switch_page(page)
    for key, paper in corpus.by_key.items():
        if param == "focus" and key not in drawn:
            continue
        at.query_params[param] = key
        at.run()
        assert not at.exception, (key, [e.value for e in at.exception])
        assert markdown_text(paper.title) in [h.value for h in [*at.subheader, *at.title]], key


def test_taxonomy_page_lists_every_node_and_focuses(corpus: Corpus) -> None:
    at = open_page("pages/taxonomy.py")
    text = " ".join(m.value for m in at.markdown)
    assert all(f" {markdown_text(node.heading)}" in text for node in corpus.taxonomy.walk())  # headings escaped, as all data
    captions = " ".join(caption_texts(at))
    assert all(f"id `{node.id}`" in captions for node in corpus.taxonomy.walk())  # as written: no escapes in code
    at.selectbox(key="taxonomy_focus").select("competition/task-specific").run()
    assert not at.exception
    assert markdown_text("Task-specific environment") in " ".join(m.value for m in at.markdown)
    assert "Collaboration" not in [m.value.lstrip("# ") for m in at.markdown]


@pytest.mark.parametrize("mode", ["network", "citations", "coauthors", "similarity"])
def test_graph_page_modes(mode: str) -> None:
    at = open_page("pages/graph.py", mode=mode)
    assert at.radio(key="graph_mode").value == mode
    assert any("nodes" in c and "links" in c for c in caption_texts(at))


def test_graph_focus_shows_details_and_neighbours() -> None:
    at = open_page("pages/graph.py", focus="xia2024unlocking")
    assert any(h.value.startswith("Unlocking Efficiency") for h in at.subheader)
    assert "**Cites (citation links) in this drawing: 2**" in [m.value for m in at.markdown]  # named by kind, listed by title


def test_trends_page_and_its_empty_state(corpus: Corpus) -> None:
    at = open_page("pages/trends.py")
    assert Selection().describe(len(corpus), corpus.taxonomy) in caption_texts(at)
    at = open_page("pages/trends.py", relation="community")  # nothing approved in this fresh store
    assert any("No paper matches" in i.value for i in at.info)


def test_trends_compares_the_children_of_the_node_picked_in_the_sidebar(corpus: Corpus) -> None:
    """Picking a node in the sidebar compares its sub-nodes; the comparison drawn before (the top-level nodes)
    stayed, and most of its lines lay at zero for the narrower selection."""
    at = open_page("pages/trends.py")
    top = [n for root in corpus.taxonomy.roots for n in corpus.taxonomy[root].children]
    assert at.multiselect[0].value == top
    node = "collaboration/sm-enhance-llm/efficient-inference"
    at.selectbox(key="trends_node").select(node).run()
    assert at.multiselect[0].value == list(corpus.taxonomy[node].children)
    compare = at.multiselect(key=f"trends_nodes_{node}")
    compare.unselect(compare.value[0]).run()
    kept = compare.value
    at.multiselect(key="trends_relations").select("cited-by-survey").run()  # another filter keeps the reader's pick
    assert at.multiselect(key=f"trends_nodes_{node}").value == kept
    at.selectbox(key="trends_node").select("").run()
    assert at.multiselect[0].value == top


def test_pages_still_work_when_the_submission_store_is_unreachable(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    at = open_page("pages/explore.py")
    assert any("submission store cannot be reached" in w.value for w in at.warning)
    assert Selection().describe(len(corpus), corpus.taxonomy) in caption_texts(at)


def test_community_text_is_shown_as_text_not_markdown(corpus: Corpus, tmp_path: Path) -> None:
    from survey_taxonomy.submissions import SubmissionStore, read_payload

    store = SubmissionStore(f"sqlite:///{tmp_path / 'submissions.db'}")
    drafts, problems = read_payload(
        {
            "title": "Click [here](https://evil.example) **now**",
            "authors": "Ada Lovelace",
            "year": "2024",
            "url": "https://example.org/paper",
            "taxonomy": "competition/task-specific",
            "summary": "A *plain* summary.",
        }
    )
    result = store.submit(drafts, corpus, session="test", per_minute=None, problems=problems)
    (submission,) = result.submissions
    store.review(submission.id, "approve", token="t", admin_token="t", corpus=corpus)
    at = open_page("pages/explore.py", key=submission.key)
    heading = next(h.value for h in at.subheader if "Click" in h.value)
    assert heading.startswith("Click \\[here\\]") and "\\*\\*now\\*\\*" in heading


@pytest.mark.parametrize(("name", "value"), [("SURVEY_THREADS", "four"), ("SURVEY_SUBMISSIONS_PER_MINUTE", "nan"), ("SURVEY_DB_URL", "mysql://x")])
def test_a_bad_setting_stops_the_app_with_a_message_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(markdown_text(name) in e.value and "not configured correctly" in e.value for e in at.error), [e.value for e in at.error]


def test_overview_counts_citing_papers_by_the_relation_filters_rule(data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A paper the survey cites that also cites it (as ProxyLM once did) is counted by one rule: the Overview's
    "Citing the survey" is what Explore's relation filter selects (it said 29 where the filter said 28)."""
    cited = next(p for p in load_corpus(data_copy).papers if p.relation == "cited-by-survey")
    with (data_copy / "citations.csv").open("a", encoding="utf-8") as out:
        out.write(f"{cited.key},chen2024what,https://example.org/refs,the paper's reference list,,,,2026-12-01\n")
    corpus = load_corpus(data_copy)
    assert corpus.survey is not None
    assert corpus.errors == [] and cited.key in corpus.links_of(corpus.survey.key)[1]
    monkeypatch.setenv("SURVEY_DATA_DIR", str(data_copy))
    metrics = {m.label: m.value for m in open_page("pages/overview.py").metric}
    citing = Selection(relations=("cites-survey",))
    assert metrics["Citing the survey"] == str(len(citing.filter(corpus.frame))) == str(len(corpus.links_of(corpus.survey.key)[1]))
    at = open_page("pages/explore.py", relation="cites-survey")
    assert citing.describe(len(citing.filter(corpus.frame)), corpus.taxonomy) in caption_texts(at)


def test_an_old_link_with_a_topic_in_another_case_keeps_it(corpus: Corpus) -> None:
    """Topics are one per case-folded name: "Model Routing" in a link made before they were normalised selects
    the topic, shown as the sidebar shows it."""
    shown = corpus.topic("Model Routing")
    assert shown == "model routing"
    at = open_page("pages/explore.py", facet="Model Routing")
    assert at.multiselect(key="explore_facets").value == [shown]
    assert not [t for t in at.toast if "Model Routing" in t.value]
    expected = Selection(facets=(shown,))
    assert expected.describe(len(expected.filter(corpus.frame)), corpus.taxonomy) in caption_texts(at)


def test_an_empty_result_offers_clear_all_filters_where_it_says_so(corpus: Corpus) -> None:
    """Where Explore says nothing matches, the way out is a button there (bold text naming the sidebar's button
    read as one, and a click on it did nothing): one click clears every filter."""
    at = open_page("pages/explore.py", facet=["model routing", "data selection"], code="1")
    assert "0 papers" in " ".join(caption_texts(at))
    at.button(key="explore_clear_main").click().run()
    assert Selection().describe(len(corpus), corpus.taxonomy) in caption_texts(at)
    assert dict(at.query_params) == {} and at.multiselect(key="explore_facets").value == []
    assert not at.checkbox(key="explore_has_code").value


def test_bibtex_boxes_wrap_long_lines() -> None:
    at = open_page("pages/paper.py", key="leviathan2023fast")
    boxes = [c for c in at.code if c.language == "bibtex"]
    assert boxes and all(c.proto.wrap_lines for c in boxes)


def test_a_search_by_meaning_shows_close_papers_with_their_similarity(corpus: Corpus) -> None:
    """Only papers close to the best match, each with its cosine similarity (said to be one); nonsense finds
    nothing instead of twenty papers."""
    at = open_page("pages/explore.py", q="make decoding faster", meaning="1")
    table = at.dataframe[0].value
    assert 0 < len(table) < 20 and table.columns[0] == "similarity"
    scores = list(table["similarity"])
    assert scores == sorted(scores, reverse=True) and scores[-1] >= MEANING_FLOOR and scores[0] - scores[-1] <= MEANING_MARGIN
    assert {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"} <= {corpus.frame.set_index("title").loc[t, "key"] for t in table["title"]}
    assert any("cosine" in c and "not a probability" in c for c in caption_texts(at))
    nothing = open_page("pages/explore.py", q="zzqx vvbn plorf", meaning="1")
    assert any("No paper matches" in i.value for i in nothing.info)


def test_editing_the_taxonomy_under_a_running_app_changes_the_graph_and_the_classifier(data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next view after an edit of taxonomy.yaml draws the new tree: the graph's categories and the category
    classifier are derived views cached under `Corpus.signature`, which once left the taxonomy out."""
    monkeypatch.setenv("SURVEY_DATA_DIR", str(data_copy))
    at = open_page("pages/graph.py")
    assert "SMs enhance LLMs" in at.get("plotly_chart")[0].proto.spec
    path = data_copy / "taxonomy.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("label: SMs enhance LLMs", "label: Small models help LLMs"), encoding="utf-8")
    at.run()
    assert not at.exception
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Small models help LLMs" in spec and "SMs enhance LLMs" not in spec

    before = load_corpus(data_copy)
    trained = cache.classifier(before)
    leaf = trained.model.classes_[0]
    assert cache.classifier(load_corpus(data_copy)) is trained  # the same inputs: the cached classifier
    lines = path.read_text(encoding="utf-8").splitlines()
    at_leaf = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {leaf}")
    indent = len(lines[at_leaf]) - len(lines[at_leaf].lstrip())
    end = next((i for i in range(at_leaf + 1, len(lines)) if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) <= indent), len(lines))
    path.write_text("\n".join(lines[:at_leaf] + lines[end:]) + "\n", encoding="utf-8")  # the node is gone
    after = load_corpus(data_copy)
    assert leaf not in after.taxonomy
    assert leaf not in cache.classifier(after).model.classes_  # retrained on the new tree, not the cached one


FAST = "leviathan2023fast"
NEXT_VIEW_EDITS: dict[str, tuple[Callable[[str], str], str]] = {  # file -> (edit of a copy of the data, what the paper's page shows after it)
    "papers.bib": (lambda text: text.replace("Fast Inference from Transformers via", "Fast Inference, Edited, via", 1), "Fast Inference, Edited"),
    "taxonomy.yaml": (lambda text: text.replace("label: Speculative decoding", "label: Drafting with a small model", 1), "Drafting with a small model"),
    "citations.csv": (lambda text: text + f"{FAST},ong2024routellm,https://example.org/refs,the paper's reference list,,,,2026-12-01\n", "RouteLLM"),
    "citation_counts.csv": (lambda _: f"key,provider,work_id,count,retrieved\n{FAST},openalex,W1,4321,2026-12-01\n", "cited by 4321"),
    "abstracts.csv": (lambda _: f"key,provider,work_id,retrieved,abstract\n{FAST},openalex,W1,2026-12-01,A draft guesses ahead.\n", "A draft guesses ahead."),
}


@pytest.mark.parametrize("name", list(NEXT_VIEW_EDITS))
def test_an_edit_of_any_data_file_is_seen_by_the_next_view(data_copy: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Under a running app, the next run after an edit of any input file shows it (the corpus is cached under the
    signature of every file it reads, `corpus.DATA_FILES`)."""
    assert set(NEXT_VIEW_EDITS) == set(DATA_FILES)
    monkeypatch.setenv("SURVEY_DATA_DIR", str(data_copy))
    at = open_page("pages/paper.py", key=FAST)
    edit, shown = NEXT_VIEW_EDITS[name]
    path = data_copy / name
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    assert markdown_text(shown) not in page_text(at)
    path.write_text(edit(text), encoding="utf-8")
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert markdown_text(shown) in page_text(at)  # as the page escapes data


def page_text(at: AppTest) -> str:
    """Everything a page shows as text: titles, headings, Markdown, captions, buttons and code."""
    parts = [*at.title, *at.subheader, *at.markdown, *at.caption, *at.code]
    return "\n".join([str(p.value) for p in parts] + [b.label for b in at.button] + [link.proto.label for link in at.get("page_link")])


@pytest.mark.parametrize("page", ["pages/explore.py", "pages/reading-list.py"])
def test_the_sidebar_about_block_is_on_every_page_even_one_that_stops_early(page: str) -> None:
    """It is drawn before the page (an empty reading list stops its page early) and shown under the page's own
    sidebar by a style rule, so the filters come first."""
    at = open_page(page)
    assert "**Small Models Atlas**" in [m.value for m in at.sidebar.markdown]


def test_a_long_selection_is_drawn_a_page_at_a_time_in_the_librarys_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """450 papers: Explore draws 200 rows, says which, and page 3 holds the last 50 in the order the library sorts."""
    from benchmarks.synthetic import write_corpus

    folder = write_corpus(tmp_path / "data", 450)
    monkeypatch.setenv("SURVEY_DATA_DIR", str(folder))
    expected = list(Selection().filter(load_corpus(folder).frame)["key"])
    at = open_page("pages/explore.py")
    shown = at.dataframe[0].value
    assert len(shown) == 200 and any("Papers 1–200 of 450" in text for text in caption_texts(at))
    at.number_input(key="explore_page").set_value(3).run()
    assert not at.exception
    last = at.dataframe[0].value
    assert list(last["title"]) == [load_corpus(folder).by_key[k].title for k in expected[400:]]
