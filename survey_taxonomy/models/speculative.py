"""Speculative decoding: the small model drafts tokens and a larger model of the same family verifies them.

Terms:
- *target*: the larger local GGUF (`SURVEY_LLM_GGUF`); *draft*: the small model's GGUF. Both must share a
  vocabulary (same family, e.g. SmolLM2-1.7B with SmolLM2-135M), which llama.cpp checks when it loads them.
- *acceptance rate*: accepted draft tokens over drafted tokens, as llama.cpp counts them.
- *speed-up*: decode tokens/s of the target with the draft over the target alone, on the same prompt with greedy
  decoding (so both produce the same text).
- *reported speed-ups*: what the dataset's own summaries of the speculative-decoding papers say about speed,
  quoted as written; a paper whose summary states no figure is listed without one, never with a guessed number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..data.corpus import Corpus
from ..query.selection import Selection
from .chat import Answer, ChatModel, Message
from .local import find_small_gguf, gguf_model
from .server import LocalServers

NODE = "collaboration/sm-enhance-llm/efficient-inference/speculative-decoding"
NEEDS = (
    "Speculative decoding needs a larger model of the small model's family as a local GGUF file: download e.g. a "
    "SmolLM2-1.7B-Instruct GGUF, set `SURVEY_LLM_GGUF=/path/to/that.gguf` and restart. The 135M model then drafts "
    "tokens and the larger one verifies them, in this process, on the CPU."
)
_SPEED = re.compile(r"\b\d+(?:\.\d+)?\s*(?:x|×|times)\b(?:\s+faster)?|\b(?:roughly\s+|about\s+|nearly\s+)?(?:doubl|tripl)\w*[^,.;]*|\btwice\b[^,.;]*", re.I)


def speculative_requirements(settings: Settings) -> str | None:
    """None when speculative decoding can run, else what it needs."""
    if not settings.llm_gguf:
        return NEEDS
    if not Path(settings.llm_gguf).expanduser().is_file():
        return f"SURVEY_LLM_GGUF={settings.llm_gguf} is not a file. {NEEDS}"
    return None


def speculative_models(target: Path, draft: Path, settings: Settings, servers: LocalServers) -> tuple[ChatModel, ChatModel]:
    """The target alone and the target with `draft` drafting for it (two local servers of `servers`, started on first use)."""
    alone = gguf_model(target, f"{target.stem} alone (local)", settings, servers)
    drafted = gguf_model(target, f"{target.stem} + {draft.stem} draft (local)", settings, servers, draft=draft)
    return alone, drafted


def configured_models(settings: Settings, servers: LocalServers) -> tuple[ChatModel, ChatModel]:
    """`speculative_models` for `SURVEY_LLM_GGUF` drafted by the small model; check `speculative_requirements` first."""
    return speculative_models(Path(settings.llm_gguf).expanduser(), find_small_gguf(settings), settings, servers)


@dataclass(frozen=True)
class SpeculativeRun:
    """The same prompt answered by the target alone and with the draft."""

    alone: Answer
    drafted: Answer

    @property
    def acceptance(self) -> float | None:
        return self.drafted.acceptance

    @property
    def speedup(self) -> float | None:
        a, d = self.alone.metrics, self.drafted.metrics
        if a.tokens_per_s and d.tokens_per_s:
            return d.tokens_per_s / a.tokens_per_s
        return a.total_s / d.total_s if d.total_s else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "acceptance": self.acceptance,
            "speedup": self.speedup,
            "drafted_tokens": self.drafted.drafted,
            "accepted_tokens": self.drafted.accepted,
            "alone": self.alone.metrics.to_dict(),
            "with_draft": self.drafted.metrics.to_dict(),
        }


def prompt_messages(prompt: str) -> list[Message]:
    return [{"role": "user", "content": prompt}]


def run_speculative(prompt: str, alone: ChatModel, drafted: ChatModel, max_tokens: int = 128) -> SpeculativeRun:
    """Answer `prompt` greedily with the target alone, then with the draft; raises `ModelError`."""
    messages = prompt_messages(prompt)
    return SpeculativeRun(alone.complete(messages, max_tokens, 0.0), drafted.complete(messages, max_tokens, 0.0))


def speed_claim(summary: str) -> str | None:
    """The words of a summary that state a speed-up, if any.

    >>> speed_claim("Uses a draft model to accept or reject tokens, roughly doubling decoding speed.")
    'roughly doubling decoding speed'
    >>> speed_claim("Runs 2.5x faster than the baseline."), speed_claim("Compares their speed-ups.")
    ('2.5x faster', None)
    """
    match = _SPEED.search(summary)
    return match.group(0).strip() if match else None


def reported_speedups(corpus: Corpus) -> list[dict[str, Any]]:
    """The dataset's speculative-decoding papers with the speed-up their summary states (None when it states none)."""
    keys = set(corpus.frame.loc[Selection(node=NODE).mask(corpus.frame), "key"])
    return [{"key": p.key, "title": p.title, "year": p.year, "claim": speed_claim(p.summary)} for p in corpus.papers if p.key in keys]
