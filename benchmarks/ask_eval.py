"""The README's "Ask the survey" table: every answer mode on the shipped question set, with citation quality and
latency, and the calibration of the support check the table relies on.

Per mode (`extractive`, `small`, and `large` when a large model is given), over every question of
`data/questions.yaml`:
- *citation recall / precision*: per sentence as ALCE defines them (arXiv 2305.14627), judged by the support check
  of `survey_taxonomy.models.support`, pooled over all sentences / citations. An extractive sentence is its paper's
  own text, so the check passes it by construction: for that mode, read the key columns.
- *unsupported*: share of sentences that no cited paper supports (a sentence without a citation counts).
- *invented*: share of the references the answer wrote that name no retrieved paper (the page never links them).
- *key precision / recall*: the cited keys against the question's keys (those a correct answer must cite);
  precision over answers that cite something, recall over all answers. *retrieved* is recall's ceiling: the share
  of the question's keys among the retrieved papers.
- *first word*: seconds from asking (retrieval included) to the first word of the answer, median and worst.
- *tokens/s*: decode speed the client saw (model modes).

`--calibrate` measures the support check instead: each question's reference answer against the papers it names
(labelled supported) and against the same number of retrieved papers it does not name (labelled not supported),
for the lexical score and, for comparison, WordLlama cosine similarity; it prints the AUC and the best threshold.
It then checks the sentences of `support_labels.yaml` (real small-model output, judged by a reader) and prints how
often the check agrees, and how many of the good and of the bad sentences it passes.
`--app-speed` measures tokens/s in the served app instead (see `app_speed`).

Run: `.venv/bin/python benchmarks/ask_eval.py [--modes extractive small large] [--large test-server|env]
[--limit N] [--json FILE]` or `--calibrate`. `--large test-server` starts a second llama.cpp server on 127.0.0.1
serving the same SmolLM2-135M, as the tests do, so it measures the large-model path (an endpoint, no prefill), not
a larger model; `--large env` uses `SURVEY_LLM_*` as the app does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable without installing it
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from survey_taxonomy.config import Settings  # noqa: E402
from survey_taxonomy.data.corpus import Corpus, load_corpus  # noqa: E402
from survey_taxonomy.models.chat import ChatModel  # noqa: E402
from survey_taxonomy.models.questions import Question, load_questions  # noqa: E402
from survey_taxonomy.models.rag import ask  # noqa: E402
from survey_taxonomy.models.retrieval import Retriever, build_retriever, load_wordllama  # noqa: E402
from survey_taxonomy.models.support import SUPPORT_THRESHOLD, check_sentence, evidence_for, support_score  # noqa: E402

LABELS = Path(__file__).resolve().parent / "support_labels.yaml"


def score_answer(result: dict[str, Any], question: Question) -> dict[str, Any]:
    """The counts of one answer that the table sums (see the module docstring)."""
    sentences = result["sentences"]
    cited, gold, retrieved = set(result["cited"]), set(question.keys), set(result["retrieved"])
    written = sum(len(s["cited"]) + len(s["invented"]) for s in sentences)
    precise = sum(len(s["precise"]) for s in sentences)
    return {
        "id": question.id,
        "sentences": len(sentences),
        "recalled": sum(s["supported"] for s in sentences),
        "citations": written,
        "precise": precise,
        "invented": sum(len(s["invented"]) for s in sentences),
        "key_precision": len(cited & gold) / len(cited) if cited else None,
        "key_recall": len(cited & gold) / len(gold),
        "retrieved_recall": len(retrieved & gold) / len(gold),
        "first_word_s": result["metrics"].get("first_word_s"),
        "tokens_per_s": result["metrics"].get("tokens_per_s"),
        "cut": result["cut_at_token_limit"],
        "ends_at_sentence": not result["answer"] or result["answer"].rstrip().endswith((".", "!", "?", "]", '"', ")")),
    }


def run_mode(mode: str, questions: Sequence[Question], corpus: Corpus, retriever: Retriever, small: ChatModel, large: ChatModel | None) -> list[dict[str, Any]]:
    rows = []
    for i, q in enumerate(questions, 1):
        result = ask(q.question, small, retriever, corpus.taxonomy, large, mode=mode, k=5, max_tokens=160, abstracts={a.key: a.text for a in corpus.abstracts})
        rows.append(score_answer(result, q) | {"answer": result["answer"]})
        print(f"  {mode} {i}/{len(questions)} {q.id}", file=sys.stderr)
    return rows


def summarise(mode: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One line of the table."""

    def total(name: str) -> int:
        return sum(int(r[name]) for r in rows)

    sentences, citations = total("sentences"), total("citations")
    precisions = [r["key_precision"] for r in rows if r["key_precision"] is not None]
    firsts = [r["first_word_s"] for r in rows if r["first_word_s"] is not None]
    speeds = [r["tokens_per_s"] for r in rows if r["tokens_per_s"]]
    return {
        "mode": mode,
        "answers": len(rows),
        "sentences": sentences,
        "citation_recall": total("recalled") / sentences if sentences else None,
        "citation_precision": total("precise") / citations if citations else None,
        "unsupported": 1 - total("recalled") / sentences if sentences else None,
        "invented": total("invented") / citations if citations else 0.0,
        "invented_count": total("invented"),
        "key_precision": statistics.fmean(precisions) if precisions else None,
        "key_recall": statistics.fmean(r["key_recall"] for r in rows),
        "retrieved_recall": statistics.fmean(r["retrieved_recall"] for r in rows),
        "first_word_median_s": statistics.median(firsts) if firsts else None,
        "first_word_max_s": max(firsts) if firsts else None,
        "tokens_per_s": statistics.median(speeds) if speeds else None,
        "cut": sum(r["cut"] for r in rows),
        "ends_at_sentence": sum(r["ends_at_sentence"] for r in rows),
    }


def table(lines: Sequence[dict[str, Any]]) -> str:
    """The summaries as the README's Markdown table."""

    def f(value: float | None, pattern: str = "{:.2f}") -> str:
        return "—" if value is None else pattern.format(value)

    out = [
        "| mode | citation recall | citation precision | unsupported sentences | invented keys | key precision | key recall (retrieved)"
        " | first word, median (max) | tokens/s | cut at the limit |",
        "|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in lines:
        out.append(
            f"| {s['mode']} | {f(s['citation_recall'])} | {f(s['citation_precision'])} | {f(s['unsupported'], '{:.0%}')} | "
            f"{f(s['invented'], '{:.0%}')} ({s['invented_count']}) | {f(s['key_precision'])} | {f(s['key_recall'])} ({f(s['retrieved_recall'])}) | "
            f"{f(s['first_word_median_s'], '{:.2f} s')} ({f(s['first_word_max_s'], '{:.2f} s')}) | {f(s['tokens_per_s'], '{:.0f}')} | "
            f"{s['cut']} of {s['answers']}, all end a sentence: {'yes' if s['ends_at_sentence'] == s['answers'] else 'no'} |"
        )
    return "\n".join(out)


def calibration_pairs(questions: Sequence[Question], corpus: Corpus, retriever: Retriever) -> list[tuple[str, str, bool]]:
    """(claim, evidence, supported?) pairs: each reference answer against its own papers and against as many
    retrieved papers it does not name (the hardest wrong sources: same topic)."""
    pairs = []
    for q in questions:
        own = [corpus.by_key[k] for k in q.keys]
        others = [p for p, _ in retriever.search(q.question, 10) if p.key not in q.keys][: len(own)]
        for papers, label in ((own, True), (others, False)):
            if papers:
                pairs.append((q.answer, " ".join(evidence_for(papers).values()), label))
    return pairs


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Probability that a supported pair scores above an unsupported one (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """The threshold with the best balanced accuracy, and that accuracy."""
    best = (0.0, 0.0)
    for t in sorted(set(scores)):
        accuracy = balanced_accuracy(scores, labels, t)
        best = max(best, (accuracy, t))
    return best[1], best[0]


def balanced_accuracy(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> float:
    pos = [s >= threshold for s, y in zip(scores, labels, strict=True) if y]
    neg = [s < threshold for s, y in zip(scores, labels, strict=True) if not y]
    return (sum(pos) / len(pos) + sum(neg) / len(neg)) / 2


def calibrate(questions: Sequence[Question], corpus: Corpus, retriever: Retriever) -> dict[str, Any]:
    pairs = calibration_pairs(questions, corpus, retriever)
    labels = [y for _, _, y in pairs]
    lexical = [support_score(claim, evidence) for claim, evidence, _ in pairs]
    model = load_wordllama()
    claims = np.asarray(model.embed([c for c, _, _ in pairs]), dtype=np.float32)
    evidences = np.asarray(model.embed([e for _, e, _ in pairs]), dtype=np.float32)
    cosine = [float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))) for a, b in zip(claims, evidences, strict=True)]
    report: dict[str, Any] = {"pairs": len(pairs), "supported": sum(labels)}
    for name, scores in (("lexical", lexical), ("wordllama", cosine)):
        threshold, accuracy = best_threshold(scores, labels)
        report[name] = {"auc": round(auc(scores, labels), 3), "best_threshold": round(threshold, 3), "balanced_accuracy": round(accuracy, 3)}
    report["lexical"]["at_threshold"] = {"threshold": SUPPORT_THRESHOLD, "balanced_accuracy": round(balanced_accuracy(lexical, labels, SUPPORT_THRESHOLD), 3)}
    report["hand_labelled"] = hand_labelled(corpus)
    return report


def hand_labelled(corpus: Corpus) -> dict[str, Any]:
    """How often the support check agrees with a reader on real small-model sentences (`LABELS`)."""
    rows = yaml.safe_load(LABELS.read_text(encoding="utf-8"))["sentences"]
    verdicts = [(check_sentence(row["sentence"], evidence_for([corpus.by_key[k] for k in row["cited"]])).supported, row["supported"]) for row in rows]
    return {
        "sentences": len(rows),
        "agreement": round(sum(ours == theirs for ours, theirs in verdicts) / len(rows), 3),
        "supported_passed": f"{sum(ours for ours, theirs in verdicts if theirs)} of {sum(theirs for _, theirs in verdicts)}",
        "unsupported_passed": f"{sum(ours for ours, theirs in verdicts if not theirs)} of {sum(not theirs for _, theirs in verdicts)}",
    }


def app_speed(questions: Sequence[Question], corpus: Corpus, retriever: Retriever, settings: Settings) -> dict[str, Any]:
    """Tokens/s as a reader of the app gets them, and, right after each answer, the same prompt sent by our client
    alone and to llama.cpp directly (its own decode speed), and a short prompt to llama.cpp (what the README's
    first figure measured): interleaved, so that each comparison sees the same load on a shared machine.

    The app is served as `make run` serves it and driven in Chromium: the small model answers each question on
    the demo page, and the speed is read from the caption under the answer (decode tokens over the time the page
    took to read them, its drawing included).
    """
    import tempfile
    import urllib.request

    from playwright.sync_api import sync_playwright

    from survey_taxonomy.models.local import SMALL_FREQUENCY_PENALTY, small_model
    from survey_taxonomy.models.rag import build_messages
    from survey_taxonomy.models.server import LocalServers
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, app_server, new_context, wait_for_app, warm_up

    servers = LocalServers()
    model = small_model(settings, servers)
    if model.server is None:
        raise RuntimeError("the small model runs on no local server: the engine's own speed cannot be measured")
    url = servers.get(model.server).base_url + "/chat/completions"

    def engine(messages: list[dict[str, str]]) -> float:
        body = {"model": model.model, "messages": messages, "max_tokens": 160, "temperature": 0.0, "frequency_penalty": SMALL_FREQUENCY_PENALTY}
        body |= {"logprobs": True, "top_logprobs": 1}  # as our client asks
        request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as response:
            return float(json.load(response)["timings"]["predicted_per_second"])

    speeds: dict[str, list[float]] = {"in_app": [], "client_alone": [], "engine": [], "engine_short_prompt": []}
    with tempfile.TemporaryDirectory() as workdir, app_server(Path(workdir)) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        warm_up(browser, base)
        page = new_context(browser).new_page()
        page.goto(f"{base}/demo?mode=ask")
        wait_for_app(page, timeout=300_000)
        page.get_by_text("Small model", exact=True).click()
        wait_for_app(page)
        for i, q in enumerate(questions):
            page.get_by_label("Question").fill(q.question)
            page.get_by_label("Question").press("Enter")
            wait_for_app(page)
            page.get_by_role("button", name="Ask", exact=True).click()
            page.get_by_text("What the answer rests on").first.wait_for(timeout=300_000)
            wait_for_app(page, timeout=300_000)
            caption = page.get_by_text(re.compile(r"tokens/s")).first.inner_text()
            found = re.search(r"([\d.]+) tokens/s", caption)
            if found:
                speeds["in_app"].append(float(found.group(1)))
            papers = [paper for paper, _ in retriever.search(q.question, 5)]
            messages = build_messages(q.question, papers, corpus.taxonomy, prefill=True)
            speeds["client_alone"].append(model.stream(messages, max_tokens=160).result().metrics.tokens_per_s or 0.0)
            speeds["engine"].append(engine(messages))
            speeds["engine_short_prompt"].append(engine([{"role": "user", "content": f"({i}) {q.question}"}]))
            print(f"  {i + 1}/{len(questions)} {q.id}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in speeds.items() if v), file=sys.stderr)
        browser.close()
    return {"questions": len(questions)} | {
        name: {"median": round(statistics.median(v), 1), "min": round(min(v), 1), "max": round(max(v), 1)} for name, v in speeds.items() if v
    }


DRAW_APP = """# A replica of the demo page's streaming loop (pages/demo.py `_stream`), fed by a fixed-rate source instead
# of a model: the answer is redrawn every `every` seconds (0: on every piece, as the page did).
import time

import streamlit as st

from survey_taxonomy.models.rag import answer_markdown

PIECES, KEYS, RATE = {pieces!r}, {keys!r}, {rate!r}
every = float(st.query_params.get("every", "0"))
if st.button("Go"):
    box, text, shown, start = st.empty(), "", 0.0, time.perf_counter()
    for i, piece in enumerate(PIECES):
        time.sleep(max(0.0, start + i / RATE - time.perf_counter()))
        text += piece
        if time.perf_counter() - shown >= every:
            box.markdown(answer_markdown(text, KEYS))
            shown = time.perf_counter()
    box.markdown(answer_markdown(text, KEYS))
    st.caption(f"drawn at {{len(PIECES) / (time.perf_counter() - start):.1f}} pieces/s")
"""


def _descendants_cpu_s() -> float:
    """CPU seconds used so far by every process this one started (the app server, Chromium), read from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid], times[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    mine: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - mine
        mine |= frontier
    return sum(times[pid] for pid in mine)


def draw_cost(answer: str, keys: Sequence[str], rate: float = 100.0, repeats: int = 3) -> dict[str, Any]:
    """CPU that drawing a streamed answer costs the machine (app server and Chromium together), per piece, when the
    page redraws it on every piece and when it redraws at most every 0.1 s, with pieces arriving at `rate` per second
    (a model's tokens/s). On a machine whose cores also run llama.cpp, that CPU is taken from the model."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from serve import served
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, new_context, wait_for_app

    pieces = re.findall(r"\S*\s*", answer)[:-1]
    costs: dict[str, list[float]] = {"every piece": [], "every 0.1 s": []}
    with tempfile.TemporaryDirectory() as workdir:
        script = Path(workdir) / "draw.py"
        script.write_text(DRAW_APP.format(pieces=pieces, keys=list(keys), rate=rate), encoding="utf-8")
        with served(Path(workdir) / "streamlit.log", {"PYTHONPATH": str(ROOT)}, script) as (base, _), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = new_context(browser).new_page()
            for _ in range(repeats):
                for name, every in (("every piece", 0.0), ("every 0.1 s", 0.1)):
                    page.goto(f"{base}/?every={every}")
                    wait_for_app(page)
                    before = _descendants_cpu_s()
                    page.get_by_role("button", name="Go").click()
                    page.get_by_text("drawn at").wait_for(timeout=120_000)
                    wait_for_app(page)
                    costs[name].append((_descendants_cpu_s() - before) / len(pieces) * 1000)
            browser.close()
    return {"pieces": len(pieces), "rate": rate, "cpu_ms_per_piece": {name: round(statistics.median(v), 2) for name, v in costs.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", choices=("extractive", "small", "large"), default=["extractive", "small", "large"])
    parser.add_argument("--large", choices=("test-server", "env"), default="test-server")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--calibrate", action="store_true", help="measure the support check instead of the modes")
    parser.add_argument("--app-speed", action="store_true", help="measure tokens/s in the served app (Chromium) instead")
    parser.add_argument("--draw-cost", action="store_true", help="measure the CPU that drawing a streamed answer costs instead")
    parser.add_argument("--json", type=Path, help="also write every answer and summary here")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    corpus = load_corpus(settings.data_dir)
    questions = load_questions(settings.questions_path)[: args.limit or None]
    retriever = build_retriever(corpus)
    if args.calibrate:
        print(json.dumps(calibrate(questions, corpus, retriever), indent=2))
        return 0
    if args.draw_cost:
        answer = "According to [leviathan2023fast], speculative decoding lets a small draft model propose tokens. " * 12
        print(json.dumps(draw_cost(answer, ["leviathan2023fast"]), indent=2))
        return 0
    if args.app_speed:
        print(json.dumps(app_speed(questions, corpus, retriever, settings), indent=2))
        return 0
    from survey_taxonomy.models.local import find_small_gguf, small_model
    from survey_taxonomy.models.server import LocalServers

    servers = LocalServers()
    small = small_model(settings, servers)
    large = None
    if "large" in args.modes:
        if args.large == "env":
            from survey_taxonomy.models.large import large_model

            status = large_model(settings, servers)
            if status.model is None:
                print(f"error: --large env: {status.message}", file=sys.stderr)
                return 1
            large = status.model
        else:
            from survey_taxonomy.models.server import LocalServer, ServerSpec

            server = LocalServer(ServerSpec(find_small_gguf(settings), parallel=1, n_ctx=2048, threads=settings.threads))
            large = ChatModel(label="SmolLM2-135M behind an OpenAI endpoint (test server)", model="smollm2", base_url=server.base_url)
    runs = {mode: run_mode(mode, questions, corpus, retriever, small, large) for mode in args.modes}
    lines = [summarise(mode, rows) for mode, rows in runs.items()]
    print(table(lines))
    if args.json:
        args.json.write_text(json.dumps({"summary": lines, "answers": runs}, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
