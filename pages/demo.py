"""Live demo: a small local model and a large model, side by side and in the survey's collaboration patterns.

Thin over `survey_taxonomy.models`; the models, indexes and measurements come from `atlas_ui.cache`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from atlas_ui import cache, layout
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.data.words import plural
from survey_taxonomy.errors import ModelError
from survey_taxonomy.export import cards
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.graphs.figures import route_curve_figure
from survey_taxonomy.models.cascade import PairedRun, paired_runs, route, route_curve, route_records
from survey_taxonomy.models.category import evaluate_zero_shot, zero_shot_category
from survey_taxonomy.models.chat import Answer, Reply
from survey_taxonomy.models.questions import load_questions
from survey_taxonomy.models.rag import DEFAULT_MODE, EXTRACTIVE_LABEL, Asked, answer_markdown, rests_on_markdown, start_ask, start_extract
from survey_taxonomy.models.speculative import SpeculativeRun, configured_models, prompt_messages, reported_speedups, speculative_requirements
from survey_taxonomy.models.support import SUPPORT_THRESHOLD, SentenceCheck
from survey_taxonomy.query.selection import Selection

MODES = {
    "ask": ("Ask the survey", "collaboration/sm-enhance-llm/retrieval-augmented-generation"),
    "side": ("Side by side", "competition"),
    "cascade": ("Cascade / routing", "collaboration/sm-enhance-llm/efficient-inference/cascading-and-routing"),
    "speculative": ("Speculative decoding", "collaboration/sm-enhance-llm/efficient-inference/speculative-decoding"),
    "category": ("Category suggestion", "competition/task-specific"),
}
CONFIDENCE_HELP = (
    "The token probability is the model's own probability for the tokens it wrote (the exp of their mean "
    "log-probability). It says how sure the model was of its wording, not whether the answer is right: a small "
    "model can be confidently wrong. The cascade uses it only to decide when to ask the large model."
)
SUPPORT_HELP = (
    f"A sentence counts as supported when its cited papers' title, summary and abstract (when fetched) contain at "
    f"least {SUPPORT_THRESHOLD:.0%} of its content words. This word check is fast and local but cannot see a negation "
    "or a wrong number: on 25 sentences of the small model checked by a reader, it also passed 6 of the 12 wrong ones. "
    "Read the passage beside each sentence, and the paper."
)
ASK_MODES = {"extractive": "Extractive (the papers' own sentences)", "small": "Small model", "large": "Large model", "cascade": "Cascade"}
# Redraw a streaming answer at most 4 times a second. Measured in Chromium on the served app (benchmarks/ask_eval.py
# --app-speed, 2 cores, 6 questions a setting): redrawn on every token the page read 33-38 tokens/s while llama.cpp
# alone decoded the same prompts at 62-79; every 0.1 s, 42-59 (0.7x the engine); every 0.25 s, 51-65 (0.85x; the 4
# questions asked before another session's load made the engine itself drop to 7-37).
STREAM_EVERY_S = 0.25
FLAGSHIP = "How can a small model make LLM decoding faster?"


def _stream(pieces: Iterator[str], keys: list[str] | None = None) -> tuple[str, DeltaGenerator]:
    """Stream a model's text into the page as inert Markdown (cited keys become links to the papers' pages); a
    model failure is shown, not raised. Returns the text and its box, so a caller can redraw the finished answer.

    The box is redrawn at most every `STREAM_EVERY_S`: redrawing it for every token (each redraw escapes the whole
    text again, and the server and the browser render it on the cores llama.cpp decodes on) halved the speed a
    reader got.
    """
    box = st.empty()
    box.caption("Waiting for the model's first words…")
    text, shown = "", 0.0
    try:
        for piece in pieces:
            text += piece
            if time.perf_counter() - shown >= STREAM_EVERY_S:
                box.markdown(answer_markdown(text, keys or []))
                shown = time.perf_counter()
    except ModelError as exc:
        st.error(str(exc))
    if text:
        box.markdown(answer_markdown(text, keys or []))
    return text, box


def _answer_block(title: str, reply: Reply, probability: bool = False) -> Answer | None:
    """A labelled, streamed answer with its metrics underneath; `probability` adds the token probability that the
    cascade routes on (labelled as such: it is not a measure of correctness)."""
    st.markdown(f"**{title}**")
    _stream(iter(reply))
    answer = reply.answer
    if answer is not None:
        extra = f" · token probability {answer.confidence:.2f}" if probability and answer.confidence is not None else ""
        st.caption(answer.metrics.describe() + extra, help=CONFIDENCE_HELP if extra else None)
    return answer


def _asked_block(title: str, asked: Asked, probability: bool = False) -> Answer | None:
    """A streamed answer from retrieved papers, redrawn when done as it is kept (ending at a sentence boundary),
    then what each of its sentences rests on; `probability` as in `_answer_block`."""
    st.markdown(f"**{title}**")
    _, box = _stream(iter(asked), asked.keys)
    answer = asked.reply.answer
    if answer is None:
        return None
    box.markdown(answer_markdown(asked.text, asked.keys) if asked.text else "*The model finished no sentence within the token limit.*")
    first = "n/a" if asked.first_word_s is None else f"{asked.first_word_s:.2f} s"
    extra = f" · token probability {answer.confidence:.2f}" if probability and answer.confidence is not None else ""
    st.caption(f"{answer.metrics.describe()} · first word {first} after asking (retrieval included){extra}", help=CONFIDENCE_HELP if extra else None)
    if asked.cut:
        st.caption("The model reached the token limit: its unfinished last sentence is not shown.")
    _rests_on(asked.checks())
    return answer


def _retrieved(papers: list[Paper]) -> None:
    st.markdown(f"**The {len(papers)} papers retrieved for your question**, which the answer is drawn from:")
    for i, paper in enumerate(papers, 1):
        st.markdown(f"{i}\\. [{markdown_text(paper.title)}]({cards.paper_url(paper.key)}) · {markdown_text(paper.key)}")


def _rests_on(checks: list[SentenceCheck]) -> None:
    """Each sentence with its verdict and the passage of each cited paper (see `rag.rests_on_markdown`)."""
    if not checks:
        return
    backed = sum(check.supported for check in checks)
    st.markdown(f"**What the answer rests on** · {backed} of {plural(len(checks), 'sentence')} supported by the papers they cite")
    st.markdown(rests_on_markdown(checks))
    st.caption(SUPPORT_HELP)


def _node_papers(c: Corpus, node_id: str) -> None:
    node = c.taxonomy[node_id]
    frame = Selection(node=node_id).filter(c.frame)
    section = f" (§{markdown_text(node.section)} of the survey)" if node.section else ""
    path = " › ".join(c.taxonomy.path_labels(node_id))
    st.caption(f"Survey node: {markdown_text(path)}{section} — {markdown_text(node.description)}")
    st.page_link("pages/explore.py", label=f"Open this node in Explore ({plural(len(frame), 'paper')}) →", query_params={"node": node_id})
    with st.expander(f"The {plural(len(frame), 'paper')} of this node"):
        for key, title, year in zip(frame["key"], frame["title"], frame["year"], strict=True):
            st.markdown(f"- [{markdown_text(title)}]({cards.paper_url(key)}) ({year if pd.notna(year) else 'n.d.'})")


def _settings() -> tuple[int, int]:
    with st.expander("Generation settings"):
        max_tokens = st.slider("Max tokens per answer", 16, 512, 160, 16, key="demo_max_tokens")
        k = st.slider("Papers retrieved (k)", 1, 10, 5, key="demo_k")
    return max_tokens, k


c = cache.corpus()
st.title("Live demo: small and large models together")
st.markdown(
    "The survey argues that small models (SMs) and large ones (LLMs) work best together. Try it here: the small "
    "model runs on this machine's CPU; the large one is whatever OpenAI-compatible endpoint you configure."
)
st.warning(
    "The small model is **SmolLM2-135M-Instruct**: 135 million parameters, fast and free, and **weak** — it often "
    "writes fluent nonsense and repeats itself. Every answer below is labelled with the model that produced it.",
    icon=":material/info:",
)
try:
    small = cache.small_model()
except ModelError as exc:
    st.error(f"The small model cannot start: {exc}")
    st.stop()
status = cache.large_model()
large = status.model
if large is not None:
    st.success(f"Large model: **{large.label}**", icon=":material/check_circle:")
else:
    said = status.message if status.message.endswith((".", "?")) else status.message + "."  # "…is it running?." otherwise
    st.info(f"No large model is reachable: {said} The small-model parts work without one.", icon=":material/cloud_off:")
    st.button("Check again", key="demo_large_recheck", on_click=cache.recheck_large_model, help="The answer is kept 30 seconds; this asks again now.")
    with st.expander("How to configure a large model"):
        st.markdown(status.help)

wanted = st.query_params.get("mode", "ask")
if "demo_mode" not in st.session_state:
    st.session_state["demo_mode"] = wanted if wanted in MODES else "ask"
mode = st.radio("Mode", list(MODES), key="demo_mode", horizontal=True, format_func=lambda m: MODES[m][0])
if st.query_params.get("mode") != mode:
    st.query_params["mode"] = mode
_node_papers(c, MODES[mode][1])
max_tokens, k = _settings()
retriever = cache.retriever(c)

if mode == "ask":
    st.subheader("Ask the survey")
    st.markdown(
        f"The top {k} papers for your question are retrieved (TF-IDF and WordLlama embeddings, fused). The **extractive** "
        "answer quotes the most relevant sentence of the best of them, each with its key; a **model** writes an answer "
        "from them instead, and each of its sentences is checked against the papers it cites."
    )
    question = st.text_input("Question", FLAGSHIP, key="demo_ask_question")
    options = list(ASK_MODES) if large is not None else ["extractive", "small"]
    choice = st.radio("Answer", options, key="demo_ask_model", horizontal=True, format_func=ASK_MODES.get, index=options.index(DEFAULT_MODE))
    threshold = (
        st.slider("Cascade threshold (token probability)", 0.0, 1.0, 0.5, 0.05, key="demo_ask_threshold", help=CONFIDENCE_HELP) if choice == "cascade" else 0.5
    )
    if st.button("Ask", key="demo_ask_run", type="primary") and question.strip():
        abstracts = {a.key: a.text for a in c.abstracts}
        if choice == "extractive":
            extracted = start_extract(question, retriever, k, abstracts)
            _retrieved(extracted.papers)
            st.markdown(f"**Answer: {EXTRACTIVE_LABEL}**")
            st.markdown(answer_markdown(extracted.text, extracted.keys))
            st.caption(
                f"Retrieval and selection took {extracted.first_word_s:.2f} s; nothing was generated, so every sentence is the cited paper's own summary."
            )
            _rests_on(extracted.checks())
        else:
            first = start_ask(question, large if choice == "large" and large is not None else small, retriever, c.taxonomy, k, max_tokens, abstracts)
            _retrieved(first.papers)
            if first.prefix:
                st.caption("The small model's answer is started with “According to [” so that it names a source; it picks which one.")
            asked = {"first": first}

            def _ask_large() -> Answer | None:
                if large is None:  # "cascade" is offered only with a large model
                    return None
                asked["second"] = start_ask(question, large, retriever, c.taxonomy, k, max_tokens, abstracts)
                return _asked_block(f"Answer by {large.label}", asked["second"])

            def _verdict(answer: Answer) -> None:
                st.markdown(f"Token probability {answer.confidence or 0:.2f} < threshold {threshold:.2f}: **escalated to the large model**")

            routed = route(
                lambda: _asked_block(f"Answer by {first.reply.model.label}", first, choice == "cascade"),
                _ask_large if choice == "cascade" else None,
                threshold,
                on_escalate=_verdict,
            )
            if routed is not None and choice == "cascade" and not routed.escalated:
                st.markdown(f"Token probability {routed.first.confidence or 0:.2f} ≥ threshold {threshold:.2f}: kept")

elif mode == "side":
    st.subheader("Side by side")
    prompt = st.text_area("Prompt", FLAGSHIP, key="demo_side_prompt")
    ground = st.checkbox(f"Answer from the survey's papers (top {k})", True, key="demo_side_ground")
    if st.button("Ask both models", key="demo_side_run", type="primary") and prompt.strip():
        left, right = st.columns(2)
        for column, model in ((left, small), (right, large)):
            with column:
                if model is None:
                    st.info("No large model is configured; see “How to configure a large model” above.")
                    continue
                if ground:
                    _asked_block(model.label, start_ask(prompt, model, retriever, c.taxonomy, k, max_tokens))
                else:
                    _answer_block(model.label, model.stream([{"role": "user", "content": prompt}], max_tokens))
        st.caption("The two answers run one after the other, so neither slows the other down.")

elif mode == "cascade":
    st.subheader("Cascade / routing")
    st.markdown(
        "The small model answers first; its token probability (the exp of its mean token log-probability: how sure it "
        "was of its wording, not whether it is right) is the routing signal. Below the threshold the query is escalated "
        "to the large model. Threshold 0 keeps everything on the small model, 1 sends everything on."
    )
    threshold = st.slider("Threshold", 0.0, 1.0, 0.5, 0.05, key="demo_threshold")
    question = st.text_input("Question", "Why do tree-based models still beat deep learning on tabular data?", key="demo_cascade_question")
    log = st.session_state.setdefault("demo_cascade_log", [])
    if st.button("Route this question", key="demo_cascade_run", type="primary") and question.strip():
        start = time.perf_counter()

        def _ask_large_model() -> Answer | None:
            return None if large is None else _asked_block(large.label, start_ask(question, large, retriever, c.taxonomy, k, max_tokens))

        def _escalated(answer: Answer) -> None:
            st.markdown(f"Token probability {answer.confidence or 0:.2f} < {threshold:.2f}: **escalated**")

        routed = route(
            lambda: _asked_block(small.label, start_ask(question, small, retriever, c.taxonomy, k, max_tokens), probability=True),
            _ask_large_model if large is not None else None,
            threshold,
            on_escalate=_escalated,
        )
        if routed is not None:
            if routed.escalated and large is None:
                st.info("This query would be escalated, but no large model is configured.")
            log.append(routed.record(question, threshold, time.perf_counter() - start))
    if log:
        st.dataframe(pd.DataFrame(log), hide_index=True, key="demo_cascade_table")
    st.markdown("#### Batch: quality against the share of LLM calls")
    questions = load_questions(cache.settings().questions_path)
    n = st.slider("Questions from the shipped set", 2, len(questions), min(10, len(questions)), key="demo_batch_n")
    st.caption("Both models answer each question once; the curve replays the routing rule for every threshold. Quality: token F1 against the reference answer.")
    if st.button("Run the batch", key="demo_batch_run", disabled=large is None, help=None if large else "needs a large model"):
        bar = st.progress(0.0, text="Answering…")
        runs: list[PairedRun] = []

        def _answer(question: str, which: str) -> Answer:
            model = small if which == "small" else large
            if model is None:  # the button is disabled without a large model
                raise ModelError("the batch needs a large model")
            return start_ask(question, model, retriever, c.taxonomy, k, max_tokens).answer()

        def _progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Answered {done} of {total}")

        try:
            runs = paired_runs([(q.question, q.answer) for q in questions[:n]], _answer, _progress)
        except ModelError as exc:
            st.error(str(exc))
        st.session_state["demo_batch_runs"] = runs
    runs = st.session_state.get("demo_batch_runs") or []
    if runs:
        records = route_records(runs, threshold)
        current = (float(records["escalated"].mean()), float(records["quality"].mean()))
        layout.chart(route_curve_figure(route_curve(runs), current), "demo_curve")
        st.dataframe(records, hide_index=True, key="demo_batch_table")

elif mode == "speculative":
    st.subheader("Speculative decoding")
    needs = speculative_requirements(cache.settings())
    if needs:
        st.info(needs)
    else:
        alone, drafted = configured_models(cache.settings(), cache.local_servers())
        prompt = st.text_input("Prompt", "Explain in three sentences why the sky is blue.", key="demo_spec_prompt")
        if st.button("Generate with and without the draft", key="demo_spec_run", type="primary"):
            left, right = st.columns(2)
            with left:
                a = _answer_block(alone.label, alone.stream(prompt_messages(prompt), max_tokens))
            with right:
                d = _answer_block(drafted.label, drafted.stream(prompt_messages(prompt), max_tokens))
            if a is not None and d is not None:
                run = SpeculativeRun(a, d)
                cols = st.columns(2)
                cols[0].metric("Acceptance rate", "n/a" if run.acceptance is None else f"{run.acceptance:.0%}")
                cols[1].metric("Speed-up vs the large model alone", "n/a" if run.speedup is None else f"{run.speedup:.2f}×")
    st.markdown("#### What the dataset's speculative-decoding papers report")
    rows = [
        {"paper": r["title"], "key": r["key"], "year": r["year"], "speed-up stated in our summary": r["claim"] or "— (no figure in our summary)"}
        for r in reported_speedups(c)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="demo_spec_papers")

else:
    st.subheader("Category suggestion")
    st.markdown(
        "A task-specific small model (WordLlama embeddings + logistic regression, trained on this dataset in well "
        "under a second) suggests taxonomy nodes for a new paper; the submission form uses it."
    )
    title = st.text_input("Title", "Fast Inference from Transformers via Speculative Decoding", key="demo_cat_title")
    summary = st.text_area("Summary (optional)", "", key="demo_cat_summary")
    if st.button("Suggest nodes", key="demo_cat_run", type="primary") and title.strip():
        start = time.perf_counter()
        suggestions = cache.classifier(c).suggest(title, summary)
        took = 1000 * (time.perf_counter() - start)
        frame = pd.DataFrame([{"node": " › ".join(c.taxonomy.path_labels(node)), "id": node, "probability": round(score, 3)} for node, score in suggestions])
        st.dataframe(frame, hide_index=True, key="demo_cat_table")
        st.caption(f"Small classifier · {took:.1f} ms")
        if large is not None:
            try:
                start = time.perf_counter()
                pick = zero_shot_category(large, title, summary, c.taxonomy)
                st.caption(f"{large.label}, zero-shot: {pick or 'no valid node'} · {time.perf_counter() - start:.2f} s")
            except ModelError as exc:
                st.error(str(exc))
    if st.button("Measure leave-one-out accuracy", key="demo_cat_loo"):
        report = cache.loo(c)
        loo_cols = st.columns(4)
        loo_cols[0].metric("LOO accuracy", f"{report.accuracy:.0%}")
        loo_cols[1].metric("Top-3 accuracy", f"{report.top3_accuracy:.0%}")
        loo_cols[2].metric("Majority baseline", f"{report.majority_baseline:.0%}")
        loo_cols[3].metric("Latency per paper", f"{report.latency_ms:.1f} ms")
        st.caption(f"{report.n} papers, each classified by a model trained on the {report.n - 1} others.")
    if large is not None and st.button("Measure the large model zero-shot (20 papers)", key="demo_cat_zero_shot"):
        try:
            report = evaluate_zero_shot(large, c, limit=20)
            st.metric("Zero-shot accuracy", f"{report.accuracy:.0%}", help=f"{report.latency_ms:.0f} ms per paper")
        except ModelError as exc:
            st.error(str(exc))
