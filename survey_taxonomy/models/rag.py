"""Ask the survey: retrieve the top-k papers for a question and let a model answer from them, citing keys.

Terms:
- *sources*: the retrieved papers, shown to the model numbered [1]..[k] with title, summary, taxonomy labels and
  topics. Numbers are far easier for a 135M model to copy than keys like `leviathan2023fast`; each `[n]` the model
  writes is replaced by `[key]` while the answer streams.
- *cited*: the keys of the sources the answer refers to, in order of first mention; numbers outside 1..k (which
  a small model sometimes invents) are dropped, so `cited` only ever holds keys of the retrieved set.
- *prefill*: for models served by llama.cpp in this process, the answer is started with "According to [" and the
  model continues it, which makes even the small model name a source; the prefix is part of the shown answer.

`ask` runs the whole thing for the CLI; the page uses `start_ask` to stream, and `ask_result` to report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..export import markdown_text
from ..records import Paper
from ..taxonomy import Taxonomy
from .cascade import should_escalate
from .chat import Answer, ChatModel, Message, Reply
from .retrieval import Retriever, paper_text

PREFILL = "According to ["
SYSTEM = (
    "You answer questions about research papers, using only the numbered papers below. "
    "Cite every paper you use by its number in square brackets, like [1]. Answer in two or three sentences."
)
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

    >>> print(answer_markdown("See [a2020x] and [zz](https://x.org).", ["a2020x"]))
    See [\\[a2020x\\]](paper?key=a2020x) and \\[zz\\]\\(h⁠ttps\\://x\\.org\\)\\.
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
    """A question on its way to a model: the sources are known, the answer streams when iterated."""

    question: str
    papers: list[Paper]
    reply: Reply
    prefix: str = ""

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.papers]

    def __iter__(self) -> Iterator[str]:
        def pieces() -> Iterator[str]:
            if self.prefix:
                yield self.prefix
            yield from self.reply

        return _keyed(pieces(), self.keys)

    def answer(self) -> Answer:
        """The finished model answer (streaming the rest first if needed)."""
        return self.reply.result()

    @property
    def text(self) -> str:
        return with_keys(self.prefix + self.answer().text, self.keys)

    def result(self) -> dict[str, Any]:
        """The JSON-ready record: answer, cited keys, model, confidence, metrics, retrieved keys."""
        answer = self.answer()
        text = self.text
        return {
            "answer": text,
            "cited": cited_keys(text, self.keys),
            "model_used": answer.model,
            "confidence": answer.confidence,
            "metrics": answer.metrics.to_dict(),
            "retrieved": self.keys,
        }


def start_ask(question: str, model: ChatModel, retriever: Retriever, taxonomy: Taxonomy, k: int = 5, max_tokens: int = 160) -> Asked:
    """Retrieve the top `k` papers and prepare `model`'s streamed answer from them."""
    papers = [p for p, _ in retriever.search(question, k)]
    prefill = model.local
    reply = model.stream(build_messages(question, papers, taxonomy, prefill=prefill), max_tokens=max_tokens)
    return Asked(question, papers, reply, PREFILL if prefill else "")


def cascade_result(first: Asked, second: Asked | None, threshold: float) -> dict[str, Any]:
    """The record of a cascaded question: the final answer's fields plus the route taken and its total cost."""
    final = second or first
    small = first.answer()
    answers = [small] + ([second.answer()] if second else [])
    record = final.result()
    record["confidence"] = small.confidence
    record["route"] = {
        "threshold": threshold,
        "small_confidence": small.confidence,
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
    mode: str = "small",
    k: int = 5,
    threshold: float = 0.5,
    max_tokens: int = 160,
) -> dict[str, Any]:
    """Answer `question` from the top `k` papers with the small model, the large one, or the cascade of both.

    Raises `ModelError` when the model cannot answer, or `ValueError` when `mode` needs a large model and none is given.
    """
    if mode not in ("small", "large", "cascade"):
        raise ValueError(f"unknown mode {mode!r}; choose small, large or cascade")
    if mode != "small" and large is None:
        raise ValueError(f"mode {mode!r} needs a large model")
    if mode == "small" or large is None:  # large is None only in small mode, by the check above
        return start_ask(question, small, retriever, taxonomy, k, max_tokens).result()
    if mode == "large":
        return start_ask(question, large, retriever, taxonomy, k, max_tokens).result()
    first = start_ask(question, small, retriever, taxonomy, k, max_tokens)
    second = start_ask(question, large, retriever, taxonomy, k, max_tokens) if should_escalate(first.answer().confidence, threshold) else None
    return cascade_result(first, second, threshold)
