"""Word forms: stems for keyword search, the plural of a count in a sentence ("1 paper", "2 papers"), and text
cut at a word's end; a topic's identity (`topic_key`) and display form (`topic_label`).

Terms:
- *stem*: what the Snowball English stemmer (Porter 2, the stemmer of Sphinx and Lucene) keeps of a word:
  "routing" -> "rout", "routers" -> "router".
- *stem text*: a paper's words as stems, each preceded by a space, so that " " + stem finds a word that
  starts with that stem. A query word matches a paper when its stem starts one of the paper's stems:
  "routing" (rout) finds "router" and "routers"; "router" (router) finds "routers" but not "routing".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")
_CAPITALISED = re.compile(r"^[A-Z][a-z]+$")  # "Routing", not "LLM", "MoE" or "CoT" (see `topic_label`)


def plural(count: int, noun: str, nouns: str = "") -> str:
    """The count with its noun in the form the count takes; `nouns` for an irregular plural.

    >>> plural(1, "paper"), plural(0, "citation link"), plural(2, "entry", "entries")
    ('1 paper', '0 citation links', '2 entries')
    """
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def clipped(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word's end, with "…" where it was cut, never mid-word.

    >>> clipped("Fast Inference from Transformers", 20), clipped("Fast Inference", 20), clipped("Speculative", 6)
    ('Fast Inference from…', 'Fast Inference', 'Specu…')
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.:;-") + "…"


def first_sentence(text: str, limit: int = 400) -> str:
    """The first sentence of `text` (at most `limit` characters, cut at a word), for a one-line summary.

    >>> first_sentence("We route queries. Then we test it.")
    'We route queries.'
    """
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one lower-case word.

    >>> stem("routing"), stem("routers"), stem("distillation")
    ('rout', 'router', 'distil')
    """
    stemmed: str = _STEMMER.stemWord(word)
    return stemmed


def stem_text(text: str) -> str:
    """The stems of every word of `text`, each after a space (see the module's terms).

    >>> stem_text("Routing LLM queries")
    ' rout llm queri'
    """
    return "".join(" " + stem(word) for word in _WORD.findall(text.lower()))


def query_stems(query: str) -> list[str]:
    """The stems of a query's words, each after a space: the substrings a matching stem text contains.

    >>> query_stems("small-model routing")
    [' small', ' model', ' rout']
    """
    return [" " + stem(word) for word in _WORD.findall(query.lower())]


def topic_key(topic: str) -> str:
    """A topic's identity: case-folded, with single spaces.

    >>> topic_key("  Model   Routing "), topic_key("model routing") == topic_key("MODEL ROUTING")
    ('model routing', True)
    """
    return " ".join(topic.split()).casefold()


def topic_label(topic: str) -> str:
    """A topic in the dataset's display form: lower case, except abbreviations and mixed-case names, which keep
    their capitals. Capitalised words ("Chain-Of-Thought Distillation") are lowered part by part.

    >>> topic_label("Chain-Of-Thought Distillation"), topic_label("LLM routing"), topic_label("MoE pruning")
    ('chain-of-thought distillation', 'LLM routing', 'MoE pruning')
    """
    return " ".join("-".join(part.lower() if _CAPITALISED.match(part) else part for part in word.split("-")) for word in topic.split())


def topic_labels(topics: Iterable[str]) -> dict[str, str]:
    """Each topic key of `topics` with its one display form: the `topic_label` most of its spellings give (the
    first seen on a tie), so "LLM routing" and "llm routing" are shown one way everywhere.

    >>> topic_labels(["Model Routing", "model routing", "LLM routing", "llm routing", "LLM Routing"])
    {'model routing': 'model routing', 'llm routing': 'LLM routing'}
    """
    spellings: dict[str, Counter[str]] = {}
    for topic, n in Counter(topics).items():  # each spelling is labelled once
        if topic.strip():
            spellings.setdefault(topic_key(topic), Counter())[topic_label(topic)] += n
    return {key: forms.most_common(1)[0][0] for key, forms in spellings.items()}
