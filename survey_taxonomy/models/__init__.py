"""Small and large language models for the live demo: clients, cascade, retrieval, drafting, classification.

Terms:
- *small model* (SM): SmolLM2-135M-Instruct, a GGUF file run in this process by xllamacpp (llama.cpp's server).
- *large model* (LLM): any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp), or a larger local GGUF.
- *answer*: a model's text with its *metrics* (time to first token, total time, tokens, tokens/s, cost) and its
  *confidence*, the exp of the mean token log-probability, in (0, 1].
- *cascade*: the SM answers first and the query is *escalated* to the LLM when the SM's confidence is below a
  *threshold* (see `cascade.should_escalate`).
- *retrieval*: the top-k papers of the dataset for a question, which the model answers from, citing their keys.

Submodules are loaded on first use so that `python -m survey_taxonomy validate` does not pay for the model stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Answer": "chat",
    "ChatModel": "chat",
    "Metrics": "chat",
    "Reply": "chat",
    "ServerSpec": "server",
    "find_small_gguf": "local",
    "local_server": "server",
    "small_model": "local",
    "LargeModelStatus": "large",
    "large_model": "large",
    "Question": "questions",
    "load_questions": "questions",
    "Retriever": "retrieval",
    "build_retriever": "retrieval",
    "evaluate_retrievers": "retrieval",
    "ask": "rag",
    "start_ask": "rag",
    "should_escalate": "cascade",
    "answer_quality": "cascade",
    "route_curve": "cascade",
    "CategoryClassifier": "category",
    "suggest_category": "category",
    "leave_one_out": "category",
    "run_speculative": "speculative",
    "reported_speedups": "speculative",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
