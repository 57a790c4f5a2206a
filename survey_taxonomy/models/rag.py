"""Ask the survey: retrieve the top-k papers for a question and answer from them, citing keys, each cited
sentence checked against the paper it cites.

Terms:
- *sources*: the retrieved papers, shown to the model numbered [1]..[k] with title, summary, taxonomy labels and
  topics. Numbers are far easier for a 135M model to copy than keys like `leviathan2023fast`; each `[n]` the model
  writes is replaced by `[key]` while the answer streams. A number outside 1..k stays as written and is reported as
  *invented* (see `support`), never linked or counted as cited.
- *modes*: `extractive` (no model: the retrieved papers' own sentences, each with its key), `small`, `large`, and
  `cascade` (small first, the large model below a token-probability threshold). `DEFAULT_MODE` is the one the
  measurements of `benchmarks/ask_eval.py` favour.
- *prefill*: for models served by llama.cpp in this process, the answer is started with "According to [" and the
  model continues it, which makes even the small model name a source; the prefix is part of the shown answer.
- *cut*: an answer the token limit stopped; its unfinished last sentence is dropped, so answers end at a sentence
  boundary.
- *first word*: seconds from asking (retrieval included) to the first word of the model's own text.

`ask` runs the whole thing for the CLI; the page uses `start_ask`/`start_extract` to stream, and `result` to report.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..data.records import Paper
from ..data.taxonomy import Taxonomy
from ..export.writers import markdown_text
from .cascade import should_escalate
from .chat import Answer, ChatModel, Message, Reply
from .retrieval import Retriever, paper_text
from .support import SentenceCheck, check_answer, complete_sentences, content_stems, evidence_for, split_sentences

PREFILL = "According to ["
SYSTEM = (
    "You answer questions about research papers, using only the numbered papers below. "
    "Cite every paper you use by its number in square brackets, like [1]. Answer in two or three sentences."
)
MODES = ("extractive", "small", "large", "cascade")
# benchmarks/ask_eval.py on the 48 questions: the extractive answer cites the question's own papers more precisely
# (key precision 0.85 against 0.61 for SmolLM2-135M, key recall 0.72 against 0.74), names no paper it was not given
# (the small model wrote 26 source numbers out of range, 12 % of its references), every sentence is its paper's own
# text (80 % of the small model's were not supported by what they cite), and its first word comes in 3 ms, not 7.7 s.
DEFAULT_MODE = "extractive"
EXTRACTIVE_LABEL = "extractive (the papers' own sentences)"
EXTRACT_SENTENCES = 3
# Quote a paper only if its text holds at least this share of the question words the best paper holds: chosen on
# the first 36 questions (key precision 0.56 -> 0.85 against the first three by retrieval rank) and confirmed on
# the 12 added after (0.33 -> 0.83, key recall 0.92 -> 1.0); see benchmarks/ask_eval.py.
EXTRACT_SHARE = 0.75
_NUMBER = re.compile(r"\[(\d{1,3})\]")


def build_messages(question: str, papers: Sequence[Paper], taxonomy: Taxonomy, prefill: bool = False) -> list[Message]:
    """The chat messages: sources in the system message, the question, and optionally the prefilled answer start."""
    sources = "\n".join(f"[{i}] {paper_text(p, taxonomy)}" for i, p in enumerate(papers, 1))
    messages = [{"role": "system", "content": f"{SYSTEM}\n\nPapers:\n{sources}"}, {"role": "user", "content": question}]
    if prefill:
        messages.append({"role": "assistant", "content": PREFILL})
    return messages


def with_keys(text: str, keys: Sequence[str]) -> str:
    """Replace source numbers by keys; numbers that name no source are left as they are.

    >>> with_keys("See [1] and [3], not [7].", ["a2020x", "b2021y", "c2022z"])
    'See [a2020x] and [c2022z], not [7].'
    """
    return _NUMBER.sub(lambda m: f"[{keys[int(m.group(1)) - 1]}]" if 1 <= int(m.group(1)) <= len(keys) else m.group(0), text)


def cited_keys(text: str, keys: Sequence[str]) -> list[str]:
    """Keys of `keys` that `text` cites as `[key]` (several may share brackets, `[a, b]`), in order, once each.

    >>> cited_keys("As [b2021y] and [a2020x; zz] show, [b2021y] ...", ["a2020x", "b2021y"])
    ['b2021y', 'a2020x']
    """
    allowed = set(keys)
    found = (key for group in re.findall(r"\[([^\[\]]+)\]", text) for key in re.split(r"[,;\s]+", group) if key in allowed)
    return list(dict.fromkeys(found))


def answer_markdown(text: str, keys: Sequence[str], url: str = "paper?key=") -> str:
    """A model's answer as inert Markdown, each `[key]` of `keys` made a link to the paper's page.

    The answer is untrusted text: everything but the cited keys is escaped (`markdown_text`, line by line, so
    the model's line breaks stay), so it cannot add links, images or formatting of its own.

    >>> print(answer_markdown("See [a2020x] and **[zz](y)**.", ["a2020x"]))
    See [\\[a2020x\\]](paper?key=a2020x) and \\*\\*\\[zz\\]\\(y\\)\\*\\*\\.
    """
    allowed = set(keys)
    out: list[str] = []
    last = 0
    for match in re.finditer(r"\[([^\[\]]+)\]", text):
        if match.group(1) in allowed:
            out += [_escaped(text[last : match.start()]), f"[\\[{match.group(1)}\\]]({url}{quote(match.group(1))})"]
            last = match.end()
    out.append(_escaped(text[last:]))
    return "".join(out)


def rests_on_markdown(checks: Sequence[SentenceCheck], url: str = "paper?key=") -> str:
    """What an answer rests on, as inert Markdown: each sentence with its verdict, and under it, for each paper it
    cites, the passage of that paper closest to it with the share of the sentence's content words the paper has.

    >>> from .support import check_answer
    >>> print(rests_on_markdown(check_answer("Drafts speed decoding [k1]. Birds fly [k1]. See [9].", {"k1": "Small drafts speed up decoding."})))
    - ✅ **Supported by its source:** Drafts speed decoding [\\[k1\\]](paper?key=k1)\\.
      - [\\[k1\\]](paper?key=k1) has 100% of its words: “Small drafts speed up decoding\\.”
    - ⚠️ **Not supported by the paper it cites:** Birds fly [\\[k1\\]](paper?key=k1)\\.
      - [\\[k1\\]](paper?key=k1) has 0% of its words: “Small drafts speed up decoding\\.”
    - ⚠️ **No source cited:** See \\[9\\]\\. — \\[9\\] names no retrieved paper
    """
    lines = []
    for check in checks:
        sentence = answer_markdown(check.text, check.cited, url)
        if check.supported:
            verdict = "✅ **Supported by its source:**" if len(check.cited) == 1 else "✅ **Supported by its sources together:**"
        elif check.cited:
            verdict = "⚠️ **Not supported by the paper it cites:**" if len(check.cited) == 1 else "⚠️ **Not supported by the papers it cites:**"
        else:
            verdict = "⚠️ **No source cited:**"
        invented = ", ".join(f"\\[{markdown_text(ref)}\\]" for ref in check.invented)
        lines.append(f"- {verdict} {sentence}" + (f" — {invented} names no retrieved paper" if invented else ""))
        for passage in check.passages:
            link = f"[\\[{passage.key}\\]]({url}{quote(passage.key)})"
            lines.append(f"  - {link} has {passage.score:.0%} of its words: “{markdown_text(passage.text)}”")
    return "\n".join(lines)


def _escaped(text: str) -> str:
    """`markdown_text` that keeps line breaks (as Markdown hard breaks) and the spaces at both ends."""
    lines = text.split("\n")
    return "  \n".join((" " if line[:1].isspace() else "") + markdown_text(line) + (" " if line[-1:].isspace() else "") for line in lines)


def _keyed(pieces: Iterator[str], keys: Sequence[str]) -> Iterator[str]:
    """Stream `pieces` with `[n]` replaced by `[key]`; holds back only an unfinished `[...` (at most 5 characters)."""
    pending = ""
    for piece in pieces:
        pending += piece
        cut = pending.rfind("[")
        if cut == -1 or "]" in pending[cut:] or len(pending) - cut > 5:
            cut = len(pending)
        if cut:
            yield with_keys(pending[:cut], keys)
            pending = pending[cut:]
    if pending:
        yield with_keys(pending, keys)


@dataclass
class Asked:
    """A question on its way to a model: the sources are known, the answer streams when iterated.

    `started` is when the question was asked (before retrieval), so `first_word_s` is what a reader waits for.
    """

    question: str
    papers: list[Paper]
    reply: Reply
    prefix: str = ""
    evidence: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    first_word_s: float | None = None

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.papers]

    def __iter__(self) -> Iterator[str]:
        def pieces() -> Iterator[str]:
            if self.prefix:
                yield self.prefix
            for piece in self.reply:
                if self.first_word_s is None and piece.strip():
                    self.first_word_s = time.perf_counter() - self.started
                yield piece

        return _keyed(pieces(), self.keys)

    def answer(self) -> Answer:
        """The finished model answer (streaming the rest first if needed)."""
        if not self.reply.started:
            for _ in self:
                pass
        return self.reply.result()

    @property
    def cut(self) -> bool:
        """Whether the model was stopped by the token limit (its unfinished last sentence is not shown)."""
        return self.answer().finish_reason == "length"

    @property
    def text(self) -> str:
        """The answer with keys for source numbers, ending at a sentence boundary when the token limit cut it."""
        text = with_keys(self.prefix + self.answer().text, self.keys)
        return complete_sentences(text) if self.cut else text.strip()

    def checks(self) -> list[SentenceCheck]:
        return check_answer(self.text, self.evidence)

    def result(self) -> dict[str, Any]:
        """The JSON-ready record (see `answer_record`)."""
        answer = self.answer()
        metrics = answer.metrics.to_dict() | {"first_word_s": _rounded(self.first_word_s)}
        return answer_record(self.text, self.checks(), self.keys, answer.model, metrics, cut=self.cut)


@dataclass
class Extracted:
    """An extractive answer (see `extract`): sentences of the retrieved papers' summaries (or abstracts), each
    followed by its key. Nothing is generated, so every sentence is the paper's own text."""

    question: str
    papers: list[Paper]
    sentences: list[tuple[str, str]]  # (sentence, key)
    evidence: dict[str, str]
    first_word_s: float

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.papers]

    @property
    def text(self) -> str:
        return " ".join(f"{sentence.rstrip('.!? ')} [{key}]." for sentence, key in self.sentences)

    def __iter__(self) -> Iterator[str]:
        yield self.text

    def checks(self) -> list[SentenceCheck]:
        return check_answer(self.text, self.evidence)

    def result(self) -> dict[str, Any]:
        """The JSON-ready record (see `answer_record`)."""
        metrics = {"model": EXTRACTIVE_LABEL, "first_word_s": _rounded(self.first_word_s), "total_s": _rounded(self.first_word_s)}
        return answer_record(self.text, self.checks(), self.keys, EXTRACTIVE_LABEL, metrics)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def answer_record(
    text: str, checks: Sequence[SentenceCheck], retrieved: Sequence[str], model: str, metrics: dict[str, Any], cut: bool = False
) -> dict[str, Any]:
    """An answer as JSON: its text, the retrieved keys it cites (`cited`), each sentence with its support
    (`sentences`), the references that name no retrieved paper (`invented`), who wrote it, its metrics, the
    retrieved keys, and whether the token limit cut it (its unfinished sentence dropped)."""
    return {
        "answer": text,
        "cited": list(dict.fromkeys(key for check in checks for key in check.cited)),
        "sentences": [check.to_dict() for check in checks],
        "invented": list(dict.fromkeys(ref for check in checks for ref in check.invented)),
        "model_used": model,
        "metrics": metrics,
        "retrieved": list(retrieved),
        "cut_at_token_limit": cut,
    }


def extract(
    question: str, papers: Sequence[Paper], abstracts: Mapping[str, str] | None = None, n: int = EXTRACT_SENTENCES, started: float | None = None
) -> Extracted:
    """The extractive answer from `papers` (best first): the retrieved papers re-ranked by how many of the question's
    content words their text holds (retrieval order breaks ties), those within `EXTRACT_SHARE` of the best kept, at
    most `n`; of each, the sentence of its summary or abstract sharing most words with the question."""
    began = time.perf_counter() if started is None else started
    wanted = content_stems(question)
    evidence = evidence_for(papers, abstracts)
    overlap = {p.key: len(wanted & content_stems(evidence[p.key])) for p in papers}
    best = max(overlap.values(), default=0)
    kept = [p for p in sorted(papers, key=lambda p: -overlap[p.key]) if overlap[p.key] >= EXTRACT_SHARE * best][:n]
    chosen = []
    for paper in kept:
        candidates = split_sentences(paper.summary) + split_sentences((abstracts or {}).get(paper.key, ""))
        sentence = max(candidates, key=lambda s: len(wanted & content_stems(s)), default="")
        if sentence:
            chosen.append((sentence, paper.key))
    return Extracted(question, list(papers), chosen, evidence, time.perf_counter() - began)


def start_extract(question: str, retriever: Retriever, k: int = 5, abstracts: Mapping[str, str] | None = None) -> Extracted:
    """Retrieve the top `k` papers and answer with their own sentences (see `Extracted`)."""
    started = time.perf_counter()
    papers = [p for p, _ in retriever.search(question, k)]
    return extract(question, papers, abstracts, started=started)


def start_ask(
    question: str, model: ChatModel, retriever: Retriever, taxonomy: Taxonomy, k: int = 5, max_tokens: int = 160, abstracts: Mapping[str, str] | None = None
) -> Asked:
    """Retrieve the top `k` papers and prepare `model`'s streamed answer from them."""
    started = time.perf_counter()
    papers = [p for p, _ in retriever.search(question, k)]
    prefill = model.local
    reply = model.stream(build_messages(question, papers, taxonomy, prefill=prefill), max_tokens=max_tokens)
    return Asked(question, papers, reply, PREFILL if prefill else "", evidence_for(papers, abstracts), started)


def cascade_result(first: Asked, second: Asked | None, threshold: float) -> dict[str, Any]:
    """The record of a cascaded question: the final answer's fields plus the route taken and its total cost.

    The route's `small_token_probability` is the cascade's routing signal (how sure the small model was of its
    wording), not a measure of whether the answer is right.
    """
    final = second or first
    small = first.answer()
    answers = [small] + ([second.answer()] if second else [])
    record = final.result()
    record["route"] = {
        "threshold": threshold,
        "small_token_probability": small.confidence,
        "escalated": second is not None,
        "small_answer": first.text if second else None,
        "total_s": round(sum(a.metrics.total_s for a in answers), 4),
        "total_cost_usd": round(sum(a.metrics.cost_usd for a in answers), 8),
    }
    return record


def ask(
    question: str,
    small: ChatModel,
    retriever: Retriever,
    taxonomy: Taxonomy,
    large: ChatModel | None = None,
    mode: str = DEFAULT_MODE,
    k: int = 5,
    threshold: float = 0.5,
    max_tokens: int = 160,
    abstracts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Answer `question` from the top `k` papers: extractively, with the small model, the large one, or the cascade.

    Raises `ModelError` when the model cannot answer, or `ValueError` when `mode` needs a large model and none is given.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose {', '.join(MODES)}")
    if mode in ("large", "cascade") and large is None:
        raise ValueError(f"mode {mode!r} needs a large model")
    if mode == "extractive":
        return start_extract(question, retriever, k, abstracts).result()
    if mode == "small" or large is None:  # large is None only in small mode, by the check above
        return start_ask(question, small, retriever, taxonomy, k, max_tokens, abstracts).result()
    if mode == "large":
        return start_ask(question, large, retriever, taxonomy, k, max_tokens, abstracts).result()
    first = start_ask(question, small, retriever, taxonomy, k, max_tokens, abstracts)
    escalate = should_escalate(first.answer().confidence, threshold)
    second = start_ask(question, large, retriever, taxonomy, k, max_tokens, abstracts) if escalate else None
    return cascade_result(first, second, threshold)
