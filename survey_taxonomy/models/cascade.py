"""Cascade routing between the small and the large model, and its quality-versus-LLM-share curve.

Terms:
- *escalate*: send the query on to the large model. The rule (`should_escalate`): never when the threshold is
  <= 0; always when it is >= 1; otherwise when the small model's confidence is below the threshold or unknown.
  So threshold 0 keeps every query on the small model and threshold 1 sends every query to the large one.
- *quality*: token F1 between an answer and the question's reference answer, over lowercase word tokens without
  English stop words and without bracketed citations (SQuAD-style F1); 1 means the same content words.
- *paired run*: one question answered by both models; the curve replays the routing rule over paired runs for
  every threshold that changes a decision, from all-small (threshold 0) to all-large (threshold 1), as RouteLLM
  reports accuracy against the share of strong-model calls.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .chat import Answer

_WORD = re.compile(r"[a-z0-9]+")
_CITATION = re.compile(r"\[[^\[\]]*\]")


def should_escalate(confidence: float | None, threshold: float) -> bool:
    """Whether the small model's answer goes on to the large model (see the module docstring).

    >>> should_escalate(0.01, 0.0), should_escalate(0.999, 1.0), should_escalate(0.4, 0.5), should_escalate(0.6, 0.5), should_escalate(None, 0.5)
    (False, True, True, False, True)
    """
    if threshold <= 0:
        return False
    if threshold >= 1:
        return True
    return confidence is None or confidence < threshold


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(_CITATION.sub(" ", text.lower())) if w not in ENGLISH_STOP_WORDS]


def answer_quality(answer: str, reference: str) -> float:
    """Token F1 of `answer` against `reference` over content words.

    >>> round(answer_quality("A small draft model proposes tokens [leviathan2023fast].", "The draft model proposes tokens."), 4)
    0.8889
    >>> answer_quality("", "anything")
    0.0
    """
    got, want = Counter(_content_words(answer)), Counter(_content_words(reference))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class PairedRun:
    """One question answered by both models, with each answer's quality."""

    question: str
    small: Answer
    large: Answer
    small_quality: float
    large_quality: float


def paired_run(question: str, reference: str, small: Answer, large: Answer) -> PairedRun:
    return PairedRun(question, small, large, answer_quality(small.text, reference), answer_quality(large.text, reference))


def route_records(runs: Sequence[PairedRun], threshold: float) -> pd.DataFrame:
    """Per query at `threshold`: who answered, the small model's confidence, latency, cost and quality.

    Latency and cost of an escalated query include the small model's attempt, as in a real cascade.
    """
    rows = []
    for run in runs:
        up = should_escalate(run.small.confidence, threshold)
        final = run.large if up else run.small
        rows.append(
            {
                "question": run.question,
                "answered_by": final.model,
                "escalated": up,
                "confidence": run.small.confidence,
                "latency_s": run.small.metrics.total_s + (run.large.metrics.total_s if up else 0.0),
                "cost_usd": run.small.metrics.cost_usd + (run.large.metrics.cost_usd if up else 0.0),
                "quality": run.large_quality if up else run.small_quality,
            }
        )
    return pd.DataFrame(rows, columns=["question", "answered_by", "escalated", "confidence", "latency_s", "cost_usd", "quality"])


def route_curve(runs: Sequence[PairedRun]) -> pd.DataFrame:
    """Mean quality, share of LLM calls, latency and cost for each threshold that changes a routing decision.

    Thresholds are 0 (all small), each distinct confidence nudged up so that its query escalates, and 1 (all
    large); rows are sorted by the share of LLM calls.
    """
    confidences = sorted({r.small.confidence for r in runs if r.small.confidence is not None and 0 < r.small.confidence < 1})
    thresholds = [0.0, *(min(c + 1e-9, 1.0) for c in confidences), 1.0]
    rows = []
    for t in dict.fromkeys(thresholds):
        records = route_records(runs, t)
        rows.append(
            {
                "threshold": t,
                "llm_share": float(records["escalated"].mean()) if len(records) else 0.0,
                "quality": float(records["quality"].mean()) if len(records) else 0.0,
                "latency_s": float(records["latency_s"].mean()) if len(records) else 0.0,
                "cost_usd": float(records["cost_usd"].sum()),
            }
        )
    return pd.DataFrame(rows).sort_values(["llm_share", "threshold"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Routed:
    """What a cascade did with one query: the small model's answer, the final one, and the route's cost."""

    first: Answer
    final: Answer
    escalated: bool  # the rule sent it on (even if no large model could answer)

    @property
    def cost_usd(self) -> float:
        """Both calls are paid when the query went on: the small model's attempt is not free."""
        return self.first.metrics.cost_usd + (self.final.metrics.cost_usd if self.final is not self.first else 0.0)

    def record(self, question: str, threshold: float, latency_s: float) -> dict[str, object]:
        """A row of the cascade log."""
        return {
            "question": question,
            "answered by": self.final.model,
            "confidence": self.first.confidence,
            "threshold": threshold,
            "latency (s)": round(latency_s, 2),
            "cost ($)": self.cost_usd,
        }


def route(
    ask_small: Callable[[], Answer | None],
    ask_large: Callable[[], Answer | None] | None,
    threshold: float,
    on_escalate: Callable[[Answer], None] = lambda _answer: None,
) -> Routed | None:
    """Run one query through the cascade: the small model first, the large one when `should_escalate` says so.

    The callables answer (and may draw as they go: the demo streams each answer); `on_escalate` is told before
    the large model is asked. None when the small model gave no answer. Without a large model an escalated
    query keeps the small model's answer.
    """
    first = ask_small()
    if first is None:
        return None
    escalated = should_escalate(first.confidence, threshold)
    final = first
    if escalated and ask_large is not None:
        on_escalate(first)
        final = ask_large() or first
    return Routed(first, final, escalated)


def paired_runs(
    questions: Sequence[tuple[str, str]],
    answer: Callable[[str, str], Answer],
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> list[PairedRun]:
    """Both models' answers to each (question, reference answer), for `route_curve`.

    `answer(question, "small" | "large")` asks one model; `progress(done, total)` follows the batch.
    """
    runs = []
    for done, (question, reference) in enumerate(questions, 1):
        runs.append(paired_run(question, reference, answer(question, "small"), answer(question, "large")))
        progress(done, len(questions))
    return runs
