"""AppTest of the live demo page, through app.py's navigation: every mode renders, the small model answers in
"Ask the survey" with its metrics, and with a large model configured (a llama.cpp server on 127.0.0.1) side by
side and the cascade's batch curve work."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import AlertBase, Markdown

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import load_corpus
from survey_taxonomy.models.local import SMALL_LABEL, find_small_gguf
from survey_taxonomy.models.rag import DEFAULT_MODE, EXTRACTIVE_LABEL, start_extract
from survey_taxonomy.models.retrieval import build_retriever
from survey_taxonomy.models.server import LocalServer, ServerSpec
from survey_taxonomy.models.speculative import NEEDS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LLM_ENV = ("SURVEY_LLM_BASE_URL", "SURVEY_LLM_MODEL", "SURVEY_LLM_API_KEY", "SURVEY_LLM_GGUF")

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def llm_server() -> LocalServer:
    return LocalServer(ServerSpec(find_small_gguf(Settings()), parallel=1, n_ctx=2048))


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closed_port: int) -> None:
    """A fresh store and caches; no large model (an endpoint on a closed port) unless a test configures one."""
    monkeypatch.setenv("SURVEY_DB_URL", f"sqlite:///{tmp_path / 'submissions.db'}")
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SURVEY_LLM_BASE_URL", f"http://127.0.0.1:{closed_port}/v1")
    monkeypatch.setenv("SURVEY_LLM_MODEL", "none")
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def with_llm(monkeypatch: pytest.MonkeyPatch, llm_server: LocalServer) -> None:
    monkeypatch.setenv("SURVEY_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("SURVEY_LLM_MODEL", "smollm2")


def open_demo(mode: str = "ask") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["mode"] = mode
    at.run()
    at.switch_page("pages/demo.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.slider(key="demo_max_tokens").set_value(32).run()
    return at


def texts(elements: Iterable[Markdown | AlertBase]) -> list[str]:
    return [e.value for e in elements]


def test_check_again_finds_a_large_model_started_after_the_page_looked(monkeypatch: pytest.MonkeyPatch, llm_server: LocalServer) -> None:
    at = open_demo()
    (said,) = [t for t in texts(at.info) if "No large model is reachable" in t]
    assert "is the server running? The small-model parts" in said  # one sentence end, not "running?."
    monkeypatch.setenv("SURVEY_LLM_BASE_URL", llm_server.base_url)  # the server an operator starts meanwhile
    monkeypatch.setenv("SURVEY_LLM_MODEL", "smollm2")
    at.run()
    assert not at.success  # the status is kept 30 s ...
    at.button(key="demo_large_recheck").click().run()
    assert not at.exception and any("Large model: **smollm2" in t for t in texts(at.success))  # ... unless asked again


def test_every_mode_renders_and_says_the_small_model_is_weak() -> None:
    at = open_demo()
    assert any("weak" in w for w in texts(at.warning))
    assert any("No large model is reachable" in i for i in texts(at.info))
    assert any("SURVEY_LLM_GGUF" in m and "ollama pull" in m for m in texts(at.markdown))
    for mode in ("side", "cascade", "speculative", "category", "ask"):
        at.radio(key="demo_mode").set_value(mode).run()
        assert not at.exception, (mode, [e.value for e in at.exception])
        assert at.query_params["mode"] in (mode, [mode])
        (node,) = [c for c in texts(at.caption) if c.startswith("Survey node:")]
        last = node.removeprefix("Survey node: ").split(" — ")[0].split(" › ")[-1]
        assert last.count(last.split()[0]) == 1, node  # the node's label, then its section: the label is not repeated
    at.radio(key="demo_mode").set_value("speculative").run()
    assert NEEDS in texts(at.info)


def test_the_mode_comes_from_the_url() -> None:
    at = open_demo("category")
    assert at.radio(key="demo_mode").value == "category"


def test_ask_the_survey_answers_extractively_by_default_then_with_the_small_model_checked_sentence_by_sentence() -> None:
    at = open_demo("ask")
    assert at.radio(key="demo_ask_model").value == DEFAULT_MODE == "extractive"
    at.button(key="demo_ask_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = texts(at.markdown)
    answer = markdown[markdown.index(f"**Answer: {EXTRACTIVE_LABEL}**") + 1]
    corpus = load_corpus(Settings().data_dir)
    question = at.text_input(key="demo_ask_question").value
    assert question, "the question box is empty"
    expected = start_extract(question, build_retriever(corpus), k=5)
    assert re.findall(r"\]\(paper\?key=([^)]+)\)", answer) == [key for _, key in expected.sentences]
    n = len(expected.sentences)
    assert any(m.startswith(f"**What the answer rests on** · {n} of {n} sentences supported") for m in markdown)

    at.radio(key="demo_ask_model").set_value("small").run()
    at.button(key="demo_ask_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = texts(at.markdown)
    answer = markdown[markdown.index(f"**Answer by {SMALL_LABEL}**") + 1]
    assert answer.startswith("According to [")
    metrics = [c for c in texts(at.caption) if c.startswith(SMALL_LABEL)]
    assert metrics and "first token" in metrics[0] and "tokens/s" in metrics[0] and "first word" in metrics[0]
    assert not any("confidence" in c or "probability" in c for c in metrics)  # no token probability posing as correctness
    rests = [m for m in markdown if m.startswith("**What the answer rests on**")]
    assert len(rests) == 1
    assert any(m.startswith(("- ✅", "- ⚠️")) for m in markdown)
    assert any("cannot see a negation" in c for c in texts(at.caption))


def test_cascade_at_threshold_zero_keeps_the_small_answer_and_logs_it() -> None:
    at = open_demo("cascade")
    at.slider(key="demo_threshold").set_value(0.0).run()
    at.button(key="demo_cascade_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    log = at.dataframe[0].value
    assert list(log["answered by"]) == [SMALL_LABEL]
    assert at.button(key="demo_batch_run").disabled


def test_category_suggestion_lists_three_nodes() -> None:
    at = open_demo("category")
    at.text_input(key="demo_cat_title").input("Why do tree-based models still outperform deep learning on tabular data?").run()
    at.button(key="demo_cat_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table["id"]) <= set(load_corpus(Settings().data_dir).taxonomy.nodes)


def test_side_by_side_and_batch_curve_with_a_large_model(with_llm: None) -> None:
    at = open_demo("side")
    assert any("Large model: **smollm2" in s for s in texts(at.success))
    at.checkbox(key="demo_side_ground").uncheck().run()
    at.button(key="demo_side_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m for m in texts(at.markdown) if m.startswith("**")]
    assert f"**{SMALL_LABEL}**" in labels and any(m.startswith("**smollm2") for m in labels)
    at.radio(key="demo_mode").set_value("cascade").run()
    at.slider(key="demo_batch_n").set_value(2).run()
    at.button(key="demo_batch_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe[-1].value) == 2
    assert at.get("plotly_chart")
