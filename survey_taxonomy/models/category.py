"""Category suggestion: a small classifier trained on the dataset that proposes taxonomy nodes for a new paper.

Terms:
- *training set*: every paper of the dataset with a taxonomy node, except the survey itself; the text is its
  title and summary (what the submission form has), the label its first node.
- *features*: `tfidf` (words and bigrams, fitted on the training texts) or `wordllama` (static embeddings from
  the weights in its wheel); `DEFAULT_FEATURES` is the one with the better leave-one-out accuracy (measured with
  `leave_one_out`; the tfidf run takes minutes, so the tests re-measure only the default).
- *leave-one-out* (LOO): each paper is classified by a model trained on all the others; the *majority baseline*
  predicts the most common node of those others. Top-3 accuracy counts a hit when the true node is among the
  three suggestions the form shows.
- *zero-shot*: the large model is given the node list and picks one; the alternative the page compares with.

This is the survey's "competition" case in small: a task-specific model trained in seconds on 140 examples
against a general LLM asked cold.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from ..data.corpus import Corpus
from ..data.taxonomy import Taxonomy
from .chat import ChatModel, rounded
from .retrieval import load_wordllama

FEATURES = ("tfidf", "wordllama")
DEFAULT_FEATURES = "wordllama"  # LOO on 136 papers: 0.61 (top-3 0.81) against 0.56 (0.73) for tfidf, and 40x faster to train


def paper_input(title: str, summary: str = "") -> str:
    return f"{title.strip()}. {summary.strip()}".strip(" .")


def training_set(corpus: Corpus) -> tuple[list[str], list[str], list[str]]:
    """Keys, texts and labels of the papers the classifier learns from."""
    usable = [p for p in corpus.papers if p.relation != "survey" and p.taxonomy and p.taxonomy[0] in corpus.taxonomy]
    rows = [(p.key, paper_input(p.title, p.summary), p.taxonomy[0]) for p in usable]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


class _Features:
    """Turns texts into a feature matrix; TF-IDF learns its vocabulary from the training texts only."""

    def __init__(self, kind: str) -> None:
        if kind not in FEATURES:
            raise ValueError(f"unknown features {kind!r}; choose one of {', '.join(FEATURES)}")
        self.kind = kind
        self.vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2)) if kind == "tfidf" else None

    def fit_transform(self, texts: Sequence[str]) -> Any:
        return self.vectorizer.fit_transform(texts) if self.vectorizer is not None else self.transform(texts)

    def transform(self, texts: Sequence[str]) -> Any:
        if self.vectorizer is not None:
            return self.vectorizer.transform(texts)
        return np.asarray(load_wordllama().embed(list(texts)), dtype=np.float32)


@dataclass
class CategoryClassifier:
    """Features + multinomial logistic regression over taxonomy node ids."""

    features: _Features
    model: LogisticRegression

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], features: str = DEFAULT_FEATURES) -> CategoryClassifier:
        featurizer = _Features(features)
        model = LogisticRegression(C=10.0, max_iter=2000)  # C=10: few examples per class, so regularise lightly
        model.fit(featurizer.fit_transform(texts), list(labels))
        return cls(featurizer, model)

    def suggest(self, title: str, summary: str = "", n: int = 3) -> list[tuple[str, float]]:
        """The `n` most likely node ids with their probabilities (plain floats), best first."""
        probs = self.model.predict_proba(self.features.transform([paper_input(title, summary)]))[0]
        order = np.argsort(-probs, kind="stable")[:n]
        return [(str(self.model.classes_[i]), float(probs[i])) for i in order]


def classifier_for(corpus: Corpus) -> CategoryClassifier:
    """The default classifier trained on `corpus` (well under a second); the app keeps one per corpus (atlas_ui.cache)."""
    _, texts, labels = training_set(corpus)
    return CategoryClassifier.train(texts, labels)


@dataclass(frozen=True)
class LooReport:
    """Leave-one-out results of one classifier (see the module docstring)."""

    name: str
    n: int
    accuracy: float
    top3_accuracy: float
    majority_baseline: float
    latency_ms: float
    train_s: float

    def to_dict(self) -> dict[str, Any]:
        return rounded(self.__dict__)


def leave_one_out(corpus: Corpus, features: str = DEFAULT_FEATURES) -> LooReport:
    """Leave-one-out accuracy, top-3 accuracy and majority baseline, plus the mean suggestion latency and training time."""
    _, texts, labels = training_set(corpus)
    hits = top3 = majority = 0
    latency = train = 0.0
    for i in range(len(texts)):
        rest_texts, rest_labels = texts[:i] + texts[i + 1 :], labels[:i] + labels[i + 1 :]
        start = time.perf_counter()
        classifier = CategoryClassifier.train(rest_texts, rest_labels, features)
        train += time.perf_counter() - start
        start = time.perf_counter()
        ranked = [node for node, _ in classifier.suggest(texts[i])]
        latency += time.perf_counter() - start
        hits += ranked[0] == labels[i]
        top3 += labels[i] in ranked
        majority += Counter(rest_labels).most_common(1)[0][0] == labels[i]
    n = len(texts)
    return LooReport(features, n, hits / n, top3 / n, majority / n, 1000 * latency / n, train / n)


def zero_shot_prompt(title: str, summary: str, taxonomy: Taxonomy) -> list[dict[str, str]]:
    nodes = "\n".join(f"{n.id}: {n.label}" for n in taxonomy.walk())
    return [
        {"role": "system", "content": f"Classify the paper into one node of this taxonomy. Reply with the node id only.\n\n{nodes}"},
        {"role": "user", "content": paper_input(title, summary)},
    ]


def parse_node(text: str, taxonomy: Taxonomy) -> str | None:
    """The deepest node id named in a model's reply, if any.

    >>> from survey_taxonomy.data.taxonomy import parse_taxonomy
    >>> tax = parse_taxonomy({"nodes": [{"id": "a", "label": "A", "description": "d", "children": [{"id": "a/b", "label": "B", "description": "d"}]}]})
    >>> parse_node("The answer is `a/b`.", tax), parse_node("none", tax)
    ('a/b', None)
    """
    found = [token for token in re.findall(r"[a-z0-9][a-z0-9/-]*", text.lower()) if token in taxonomy]
    return max(found, key=lambda node: node.count("/"), default=None)


def zero_shot_category(model: ChatModel, title: str, summary: str, taxonomy: Taxonomy) -> str | None:
    """The node the large model picks, or None when its reply names no node. Raises `ModelError`."""
    answer = model.complete(zero_shot_prompt(title, summary, taxonomy), max_tokens=40)
    return parse_node(answer.text, taxonomy)


def evaluate_zero_shot(model: ChatModel, corpus: Corpus, limit: int = 20) -> LooReport:
    """Accuracy and latency of the zero-shot model on the first `limit` papers of the training set (no training)."""
    _, texts, labels = training_set(corpus)
    papers = {paper_input(p.title, p.summary): p for p in corpus.papers}
    hits = 0
    latency = 0.0
    for text, label in list(zip(texts, labels, strict=True))[:limit]:
        paper = papers[text]
        start = time.perf_counter()
        hits += zero_shot_category(model, paper.title, paper.summary, corpus.taxonomy) == label
        latency += time.perf_counter() - start
    n = min(limit, len(texts))
    majority = Counter(labels).most_common(1)[0][1] / len(labels)
    return LooReport(f"zero-shot {model.label}", n, hits / n, hits / n, majority, 1000 * latency / n, 0.0)
