"""Retrieval for "Ask the survey": the top-k papers of the dataset for a question.

Terms:
- *paper text*: what a paper is indexed by: its title, summary, the labels of its taxonomy nodes and their
  ancestors, and its topics.
- *retrievers*: `tfidf` (the TF-IDF of `search.SearchIndex`, over the paper text), `wordllama` (WordLlama static
  token embeddings, 256 dimensions, weights shipped inside its wheel, cosine similarity) and `hybrid`
  (reciprocal-rank fusion of the two, which rewards papers both rank high).
- *hit rate at k*: the share of questions with at least one of their answering papers in the top k.
- *MRR*: mean reciprocal rank of the first answering paper. It breaks ties in hit rate because the small model
  mostly cites the first source it is shown.
- *recall at k*: the mean share of a question's papers (at most k of them) found in the top k, for reference.

`DEFAULT_RETRIEVER` is the one with the best hit rate at 5 (ties broken by MRR) on the shipped question set;
`tests/test_models.py` re-measures all three and fails if another one becomes better or the chosen one drops
below its floor.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from ..data.corpus import Corpus
from ..data.records import Paper
from ..data.taxonomy import Taxonomy
from ..errors import ModelError
from ..query.search import SearchIndex
from ..query.selection import Selection
from .questions import Question

RETRIEVERS = ("tfidf", "wordllama", "hybrid")
DEFAULT_RETRIEVER = "hybrid"
# Explore's search by meaning shows the papers whose cosine similarity to the search is within MEANING_MARGIN of the
# best one's and at least MEANING_FLOOR. Measured on data/questions.yaml (48 questions, 123 answering papers, WordLlama
# over the paper text): every question keeps an answering paper, 73 % of answering papers are shown, a median of 6 and
# at most 34 papers per question; a search of nonsense words scores at most 0.16 and shows none. A fixed top 20
# showed 20 papers for any text, nonsense included.
MEANING_FLOOR = 0.30
MEANING_MARGIN = 0.10
RRF_K = 60  # the usual constant of reciprocal-rank fusion (Cormack et al., 2009): damps the weight of the very top ranks


def paper_text(paper: Paper, taxonomy: Taxonomy) -> str:
    """The text a paper is retrieved by: its own words plus what its taxonomy nodes are about.

    The node descriptions let a question phrased by purpose ("make decoding faster") find papers whose
    own text only names the method ("speculative decoding").
    """
    nodes = [node for node in paper.taxonomy if node in taxonomy]
    labels = dict.fromkeys(label for node in nodes for label in taxonomy.path_labels(node))
    descriptions = dict.fromkeys(taxonomy[i].description for node in nodes for i in [*taxonomy.ancestors(node)[1:], node])
    return ". ".join(part for part in (paper.title, paper.summary, "; ".join(labels), "; ".join(paper.topics), " ".join(descriptions)) if part)


class Retriever:
    """Scores every paper for a text; `search` keeps the best `k`."""

    name = ""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = list(papers)

    def scores(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def search(self, text: str, k: int = 5) -> list[tuple[Paper, float]]:
        """The `k` best papers, best first, with plain-float scores."""
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.papers[i], float(scores[i])) for i in order]


class TfidfRetriever(Retriever):
    name = "tfidf"

    def __init__(self, papers: Sequence[Paper], taxonomy: Taxonomy) -> None:
        super().__init__(papers)
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        matrix = vectorizer.fit_transform([paper_text(p, taxonomy) for p in self.papers])
        self.index = SearchIndex(self.papers, vectorizer, matrix)

    def scores(self, text: str) -> np.ndarray:
        return self.index.scores(text)


@functools.lru_cache(maxsize=1)
def load_wordllama() -> Any:
    """WordLlama from the weights inside its own wheel; never downloads (plain `load()` looks elsewhere and would)."""
    import wordllama
    from wordllama import WordLlama

    try:
        return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    except (FileNotFoundError, ValueError) as exc:
        raise ModelError(f"WordLlama weights are missing from its wheel ({exc}); reinstall wordllama from requirements.txt") from exc


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class WordLlamaRetriever(Retriever):
    name = "wordllama"

    def __init__(self, papers: Sequence[Paper], taxonomy: Taxonomy) -> None:
        super().__init__(papers)
        self.model = load_wordllama()
        self.matrix = _unit_rows(np.asarray(self.model.embed([paper_text(p, taxonomy) for p in self.papers]), dtype=np.float32))

    def scores(self, text: str) -> np.ndarray:
        query = _unit_rows(np.asarray(self.model.embed([text]), dtype=np.float32))[0]
        scores: np.ndarray = self.matrix @ query
        return scores


class HybridRetriever(Retriever):
    name = "hybrid"

    def __init__(self, parts: Sequence[Retriever]) -> None:
        super().__init__(parts[0].papers)
        self.parts = list(parts)

    def scores(self, text: str) -> np.ndarray:
        fused = np.zeros(len(self.papers))
        for part in self.parts:
            ranks = np.empty(len(self.papers))
            ranks[np.argsort(-part.scores(text), kind="stable")] = np.arange(1, len(self.papers) + 1)
            fused += 1.0 / (RRF_K + ranks)
        return fused


def embedding_part(retriever: Retriever) -> WordLlamaRetriever:
    """The embedding retriever in `retriever` (itself, or the hybrid's part): its scores are cosine similarities,
    a number that means the same for every search, unlike fused ranks."""
    parts = retriever.parts if isinstance(retriever, HybridRetriever) else [retriever]
    found = next((part for part in parts if isinstance(part, WordLlamaRetriever)), None)
    if found is None:
        raise ModelError(f"a search by meaning needs WordLlama embeddings; the {retriever.name!r} retriever has none")
    return found


def filter_by_meaning(
    selection: Selection, frame: pd.DataFrame, retriever: Retriever, floor: float = MEANING_FLOOR, margin: float = MEANING_MARGIN
) -> pd.DataFrame:
    """The rows of a selection whose query ranks by meaning, closest first, with their `similarity`: the cosine
    similarity of the search's and the paper's WordLlama embeddings (-1 to 1; not a probability). Only papers the
    other filters keep and that score at least `floor` and within `margin` of the best of them are kept (see
    MEANING_FLOOR). With no query, or not by meaning, just `selection.filter`."""
    kept = selection.filter(frame)
    if not (selection.by_meaning and selection.query.strip()):
        return kept
    embedder = embedding_part(retriever)
    by_key = dict(zip((p.key for p in embedder.papers), embedder.scores(selection.query.strip()).tolist(), strict=True))
    scores = np.array([by_key.get(key, -1.0) for key in kept["key"]], dtype=float)
    cut = max(floor, float(scores.max(initial=-1.0)) - margin)
    rows = np.flatnonzero(scores >= cut)
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return kept.iloc[rows].assign(similarity=scores[rows])


def similar_papers(retriever: Retriever, paper: Paper, taxonomy: Taxonomy, k: int = 5) -> list[tuple[Paper, float]]:
    """The `k` papers most like `paper` (itself left out), by the text it is retrieved by."""
    found = retriever.search(paper_text(paper, taxonomy), k + 1)
    return [(other, score) for other, score in found if other.key != paper.key][:k]


def build_retriever(corpus: Corpus, name: str = DEFAULT_RETRIEVER) -> Retriever:
    """A retriever over every paper of `corpus`; `name` is one of `RETRIEVERS`."""
    if name == "tfidf":
        return TfidfRetriever(corpus.papers, corpus.taxonomy)
    if name == "wordllama":
        return WordLlamaRetriever(corpus.papers, corpus.taxonomy)
    if name == "hybrid":
        return HybridRetriever([TfidfRetriever(corpus.papers, corpus.taxonomy), WordLlamaRetriever(corpus.papers, corpus.taxonomy)])
    raise ValueError(f"unknown retriever {name!r}; choose one of {', '.join(RETRIEVERS)}")


def retrieval_scores(retriever: Retriever, questions: Sequence[Question], k: int = 5) -> dict[str, float]:
    """Hit rate and recall at `k`, and MRR, of `retriever` on `questions` (see the module docstring)."""
    hits = recall = mrr = 0.0
    for q in questions:
        ranked = [p.key for p, _ in retriever.search(q.question, len(retriever.papers))]
        found = set(q.keys) & set(ranked[:k])
        hits += bool(found)
        recall += len(found) / min(k, len(q.keys))
        mrr += 1.0 / (1 + min((ranked.index(key) for key in q.keys if key in ranked), default=len(ranked)))
    n = max(len(questions), 1)
    return {"hit_rate": hits / n, "recall": recall / n, "mrr": mrr / n}


def evaluate_retrievers(corpus: Corpus, questions: Sequence[Question], k: int = 5) -> dict[str, dict[str, float]]:
    """`retrieval_scores` of every retriever, by name."""
    return {name: retrieval_scores(build_retriever(corpus, name), questions, k) for name in RETRIEVERS}


def best_retriever(scores: dict[str, dict[str, float]]) -> str:
    """The name with the best hit rate, ties broken by MRR (the rule `DEFAULT_RETRIEVER` follows).

    >>> best_retriever({"a": {"hit_rate": 1.0, "mrr": 0.7}, "b": {"hit_rate": 1.0, "mrr": 0.8}, "c": {"hit_rate": 0.9, "mrr": 0.9}})
    'b'
    """
    return max(scores, key=lambda name: (scores[name]["hit_rate"], scores[name]["mrr"]))
