"""Ranked free-text search over the corpus: TF-IDF (scikit-learn) on title, summary, topics and authors.

The `Selection.query` filter answers "which papers mention X" (all words must appear); this module answers
"which papers are most about X", for the CLI's `search`, the similarity graph and retrieval in the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..data.records import Paper


def document(paper: Paper) -> str:
    """The text a paper is indexed by; the title counts twice as it is the densest signal."""
    return " ".join((paper.title, paper.title, paper.summary, " ".join(paper.topics), " ".join(paper.authors)))


@dataclass
class SearchIndex:
    """A fitted TF-IDF index over `papers`."""

    papers: Sequence[Paper]
    vectorizer: TfidfVectorizer
    matrix: Any  # a scipy.sparse matrix (scipy is untyped here)

    @classmethod
    def build(cls, papers: Sequence[Paper]) -> SearchIndex:
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        matrix = vectorizer.fit_transform([document(p) for p in papers])
        return cls(papers, vectorizer, matrix)

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` with every paper (rows are L2-normalised)."""
        query = self.vectorizer.transform([text])
        return np.asarray((self.matrix @ query.T).todense()).ravel()

    def search(self, text: str, k: int = 10) -> list[tuple[Paper, float]]:
        """The `k` best papers for `text`, best first; papers with score 0 are left out."""
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.papers[i], float(scores[i])) for i in order if scores[i] > 0]
