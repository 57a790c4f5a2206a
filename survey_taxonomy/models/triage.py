"""Triage: is a new paper about how small and large models relate (in scope), and where would it go?

Terms:
- *in scope*: a paper the survey's taxonomy has a place for: small and large models helping each other
  (collaboration) or a small model being the better pick (competition). *Out of scope*: everything else,
  of three kinds that reach a maintainer: science that only uses ML words, ML unrelated to how small and large
  models relate, and LLM work that is not about that relation.
- *training set*: the dataset's papers (title and summary, as `models.category.training_set` gives them) are
  in-scope examples; `triage_examples.jsonl` beside this module (`EXAMPLES_PATH`) adds real arXiv papers with
  their title and abstract, labelled `in` (small language models, distillation from a large model, speculative
  decoding, cascading and routing, weak-to-strong, data synthesis for a small model, a small model steering a
  large one's logits, a small fine-tuned model against an LLM) or `out` (the three out-of-scope kinds, and
  compressing one model with no smaller model beside it: quantisation, pruning, KV-cache compression), so that
  the model also learns from texts shaped like what it will triage: a whole abstract, not a one-line summary.
  All come from arXiv listings of 2025-2026 (title and abstract as arXiv lists them, read from the listing data
  kept in github.com/dw-dengwei/daily-arXiv-ai-enhanced, branch `data`); none is in the evaluation pool
  `benchmarks/triage_pool.yaml`.
- *relevance*: the probability, between 0 and 1, that a paper is in scope, from a logistic regression over
  TF-IDF words and bigrams of its title and abstract, calibrated by Platt scaling on its 5-fold out-of-fold
  scores. Both classes weigh the same in the fit and in the calibration, so it is the probability *for equal
  priors*: how much more a paper looks like the in-scope training papers than like the out-of-scope ones, not
  the share of a real inbox that is relevant. It is not a raw similarity. TF-IDF was chosen over WordLlama
  embeddings and their concatenation by 5-fold cross-validation on the training papers (ROC AUC on whole
  abstracts 0.992 against 0.943 and 0.982, with C = 10, liblinear); `benchmarks/triage_eval.py --choose` re-measures it.
- *threshold*: a paper is in scope when its relevance reaches `Triage.threshold`, chosen once per training
  set by cross-validation on the training data (never on the evaluation pool): the highest value that still
  keeps `KEEP` of the in-scope training papers *with an abstract* out-of-fold (`choose_threshold`); those are
  shaped like the papers triage reads, the one-line summaries are not. Missing a relevant paper costs more
  than reading an irrelevant one, so the threshold favours keeping.
- *nodes*: the category classifier's (`models.category`) three most likely taxonomy nodes, best first.
- *reason*: what the decision rests on: the relevance against the threshold, the closest dataset paper and
  the closest out-of-scope example (cosine similarity of their TF-IDF vectors), and the top node's probability.
- *screening metrics* (`screening_metrics`), as systematic-review tools such as ASReview report them:
  out-of-scope caught and in-scope kept at the threshold; *WSS@95*, the share of papers a reviewer need not
  read, reading in relevance order, to find 95 % of the in-scope ones, minus the 5 % that random reading
  would also save (Cohen et al., 2006); *recall at 10 %*, the share of in-scope papers among the top 10 %;
  the *Brier score*, the mean squared gap between relevance and the label (0 is perfect, 0.25 is a constant
  0.5), which checks that relevance reads as a probability.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bibtexparser
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline

from ..data.corpus import Corpus
from ..data.latex import decode
from ..data.records import Paper
from ..data.taxonomy import Taxonomy
from ..data.words import first_sentence
from ..errors import ModelError
from .category import CategoryClassifier, classifier_for, paper_input, training_set
from .chat import rounded
from .questions import yaml_rows

EXAMPLES_PATH = Path(__file__).with_name("triage_examples.jsonl")
C = 10.0  # the logistic regression's inverse regularisation, chosen with the features by cross-validation
KEEP = 0.98  # share of in-scope training papers the threshold keeps out-of-fold: a margin over the 95 % target
FOLDS = 5
SEED = 2409  # fixed folds, so the same training set always gives the same threshold


@dataclass(frozen=True)
class Example:
    """One training paper beyond the dataset: its arXiv id, label (`in` or `out`), kind, title and abstract."""

    arxiv: str
    label: str
    kind: str
    title: str
    abstract: str

    @property
    def text(self) -> str:
        return paper_input(self.title, self.abstract)

    @property
    def short_text(self) -> str:
        """The title and the abstract's first sentence: as short as an atlas summary."""
        return paper_input(self.title, first_sentence(self.abstract))


@dataclass(frozen=True)
class Verdict:
    """The triage of one paper (see the module docstring); `to_dict` is the CLI's JSON object."""

    key: str
    relevance: float
    in_scope: bool
    nodes: tuple[str, ...]
    reason: str
    node_scores: tuple[float, ...] = ()  # the category classifier's probability of each of `nodes`

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "relevance": round(self.relevance, 4), "in_scope": self.in_scope, "nodes": list(self.nodes), "reason": self.reason}


def load_examples(path: Path = EXAMPLES_PATH) -> list[Example]:
    """The training papers beyond the dataset; raises `ModelError` naming the line of a broken row."""
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"cannot read the triage's training examples {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            example = Example(str(row["arxiv"]), str(row["label"]), str(row["kind"]), str(row["title"]), str(row["abstract"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{path.name}, line {number}: not a JSON object with arxiv, label, kind, title and abstract ({exc})") from exc
        if example.label not in ("in", "out"):
            raise ModelError(f"{path.name}, line {number}: label {example.label!r} must be `in` or `out`")
        examples.append(example)
    return examples


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=2)


def _relevance_model(c: float = C) -> Pipeline:
    """TF-IDF (fitted on each training fold alone) and a logistic regression with both classes weighing the same."""
    return make_pipeline(_vectorizer(), LogisticRegression(C=c, class_weight="balanced", solver="liblinear"))


def choose_threshold(scores: Sequence[float], keep: float = KEEP) -> float:
    """The highest threshold that keeps at least `keep` of the in-scope `scores` (those at or above it).

    >>> choose_threshold([0.9, 0.8, 0.7, 0.2], keep=0.75)
    0.7
    >>> choose_threshold([0.9, 0.8, 0.7, 0.2], keep=1.0)
    0.2
    """
    ordered = sorted(scores, reverse=True)
    if not ordered:
        raise ValueError("no in-scope scores to choose a threshold from")
    needed = max(1, int(np.ceil(keep * len(ordered))))
    return float(ordered[needed - 1])


@dataclass
class Triage:
    """The trained relevance model, its threshold, the category classifier and the examples a reason cites."""

    scorer: Pipeline
    calibrator: LogisticRegression
    threshold: float
    classifier: CategoryClassifier
    vectorizer: TfidfVectorizer
    in_titles: list[str]
    in_vectors: Any  # sparse TF-IDF rows of the atlas's papers, for the reason's closest paper
    out_titles: list[str]
    out_vectors: Any
    taxonomy: Taxonomy

    def assess(self, key: str, title: str, text: str = "") -> Verdict:
        """The verdict on one paper from its title and abstract (or summary)."""
        return self.assess_many([(key, title, text)])[0]

    def assess_many(self, papers: Sequence[tuple[str, str, str]]) -> list[Verdict]:
        """Verdicts on `(key, title, abstract)` triples, in their order (the texts are vectorised together)."""
        if not papers:
            return []
        texts = [paper_input(title, text) for _, title, text in papers]
        relevance = self.calibrator.predict_proba(self.scorer.decision_function(texts).reshape(-1, 1))[:, 1]
        vectors = self.vectorizer.transform(texts)
        near_in_all = (self.in_vectors @ vectors.T).toarray()
        near_out_all = (self.out_vectors @ vectors.T).toarray()
        verdicts = []
        for column, ((key, title, text), score) in enumerate(zip(papers, relevance, strict=True)):
            nodes = self.classifier.suggest(title, text, n=3)
            near_in, near_out = near_in_all[:, column], near_out_all[:, column]
            i, o = int(np.argmax(near_in)), int(np.argmax(near_out))
            in_scope = bool(score >= self.threshold)
            read = "title and abstract" if text.strip() else "title only, no abstract"
            reason = (
                f"{'in scope' if in_scope else 'out of scope'}: relevance {score:.2f} "
                f"{'≥' if in_scope else '<'} threshold {self.threshold:.2f} from its {read} (a classifier trained on the atlas's and other "
                f"in-scope papers against {len(self.out_titles)} out-of-scope ones); closest atlas paper: “{self.in_titles[i]}” (similarity {near_in[i]:.2f}); "
                f"closest out-of-scope example: “{self.out_titles[o]}” ({near_out[o]:.2f}); "
                f"best node {nodes[0][0]} (p = {nodes[0][1]:.2f})"
            )
            verdicts.append(Verdict(key, float(score), in_scope, tuple(n for n, _ in nodes), reason, tuple(p for _, p in nodes)))
        return verdicts


def training_texts(corpus: Corpus, examples: Sequence[Example]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Texts, labels (1 in scope), whether each text is a whole abstract, and cross-validation groups.

    The atlas's papers come as title and summary; each example beyond the dataset comes twice, as title and
    abstract and in its short form (title and first sentence), so that a short text does not look in scope just
    for being as short as an atlas summary. Both forms of one paper share a group, so they share a fold.
    """
    positives = [e for e in examples if e.label == "in"]
    negatives = [e for e in examples if e.label == "out"]
    if not negatives or not positives:
        raise ModelError("the triage needs in-scope and out-of-scope examples with abstracts; one kind is missing")
    _, atlas, _ = training_set(corpus)
    extra = [*positives, *negatives]
    extra_labels = [1] * len(positives) + [0] * len(negatives)
    texts = [*atlas, *(e.text for e in extra), *(e.short_text for e in extra)]
    labels = np.array([1] * len(atlas) + extra_labels + extra_labels)
    whole = np.array([False] * len(atlas) + [True] * len(extra) + [False] * len(extra))
    groups = np.concatenate([np.arange(len(atlas) + len(extra)), np.arange(len(atlas), len(atlas) + len(extra))])
    return texts, labels, whole, groups


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Sample weights that give both classes the same total, so a calibrated probability is for equal priors.

    >>> balanced_weights(np.array([1, 0, 0, 0])).tolist()
    [2.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666]
    """
    positives = labels.sum()
    weights: np.ndarray = np.where(labels == 1, len(labels) / (2 * positives), len(labels) / (2 * (len(labels) - positives)))
    return weights


def train_triage(corpus: Corpus, examples: Sequence[Example] | None = None) -> Triage:
    """Train the relevance model, calibrate it and choose its threshold by cross-validation (seconds)."""
    examples = list(load_examples() if examples is None else examples)
    texts, labels, whole, groups = training_texts(corpus, examples)
    folds = list(StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(texts, labels, groups))
    # Platt scaling on out-of-fold scores: each text is scored by a model that never saw it (nor its other form).
    held_out = cross_val_predict(_relevance_model(), texts, labels, cv=folds, method="decision_function")
    calibrator = LogisticRegression(C=1e6).fit(held_out.reshape(-1, 1), labels, sample_weight=balanced_weights(labels))
    relevance = calibrator.predict_proba(held_out.reshape(-1, 1))[:, 1]
    threshold = choose_threshold(relevance[(labels == 1) & whole].tolist())
    scorer = _relevance_model().fit(texts, labels)
    vectorizer: TfidfVectorizer = scorer.steps[0][1]
    keys, atlas, _ = training_set(corpus)
    negatives = [e for e in examples if e.label == "out"]
    return Triage(
        scorer,
        calibrator,
        threshold,
        classifier_for(corpus),
        vectorizer,
        [corpus.by_key[k].title for k in keys],
        vectorizer.transform(atlas),
        [e.title for e in negatives],
        vectorizer.transform([e.text for e in negatives]),
        corpus.taxonomy,
    )


def triage_for(corpus: Corpus, examples_path: Path = EXAMPLES_PATH) -> Triage:
    """The triage trained on `corpus` and the examples file (about 13 s at 149 papers on 2 cores): a caller that
    triages more than once keeps the result, as a `discover` run does for all its candidates."""
    return train_triage(corpus, load_examples(examples_path))


def bibtex_abstracts(text: str) -> dict[str, str]:
    """The `abstract` field of each entry of BibTeX `text`, by key, decoded to plain text (the dataset's reader
    does not keep abstracts; entries without one are left out).

    >>> bibtex_abstracts("@misc{a, title={T}, abstract={Small {LLMs} \\\\& more}} @misc{b, title={U}}")
    {'a': 'Small LLMs & more'}
    """
    splitter = logging.getLogger("bibtexparser")
    level = splitter.level
    splitter.setLevel(logging.ERROR)  # `parse_bibtex` already reported each broken block once
    try:
        library = bibtexparser.parse_string(text)
    finally:
        splitter.setLevel(level)
    found = {}
    for entry in library.entries:
        field = entry.fields_dict.get("abstract")
        if field is not None and str(field.value).strip():
            found[entry.key] = " ".join(decode(str(field.value)).split())
    return found


def triage_papers(triage: Triage, papers: Sequence[Paper], abstracts: dict[str, str] | None = None) -> list[Verdict]:
    """Verdicts on parsed papers; each is read by its title and its abstract, else its summary."""
    abstracts = abstracts or {}
    return triage.assess_many([(p.key, p.title, abstracts.get(p.key) or p.summary) for p in papers])


@dataclass(frozen=True)
class PoolPaper:
    """One labelled paper of an evaluation pool (`benchmarks/triage_pool.yaml` describes the fields)."""

    arxiv: str
    label: str
    kind: str
    title: str
    abstract: str
    nodes: tuple[str, ...] = ()
    why: str = ""

    @property
    def in_scope(self) -> bool:
        return self.label == "in"


def load_pool(path: Path, taxonomy: Taxonomy) -> list[PoolPaper]:
    """The labelled papers of a pool file; raises `ModelError` naming the entry and field that are wrong."""
    rows = yaml_rows(path, "papers", "triage pool")
    pool = []
    for number, row in enumerate(rows, 1):
        where = f"{path.name}, paper {number}"
        if not isinstance(row, dict) or any(not isinstance(row.get(f), str) or not row[f].strip() for f in ("arxiv", "label", "kind", "title", "abstract")):
            raise ModelError(f"{where}: needs arxiv, label, kind, title and abstract as text")
        if row["label"] not in ("in", "out"):
            raise ModelError(f"{where} ({row['arxiv']}): label {row['label']!r} must be `in` or `out`")
        nodes = tuple(row.get("nodes") or ())
        unknown = [n for n in nodes if n not in taxonomy]
        if unknown or (row["label"] == "in" and not nodes):
            raise ModelError(f"{where} ({row['arxiv']}): an in-scope paper needs known taxonomy nodes; unknown: {unknown}")
        pool.append(PoolPaper(row["arxiv"], row["label"], row["kind"], row["title"], row["abstract"], nodes, str(row.get("why", ""))))
    return pool


def node_hit(predicted: str, expected: Sequence[str], taxonomy: Taxonomy) -> bool:
    """Whether a predicted node is one of the expected ones or lies in an expected node's subtree."""
    return any(predicted == node or (node in taxonomy and predicted in taxonomy.subtree(node)) for node in expected)


@dataclass(frozen=True)
class ScreeningReport:
    """Screening metrics of one labelled pool (see the module docstring)."""

    papers: int
    in_scope: int
    out_caught: float
    in_kept: float
    wss95: float
    recall_at_10: float
    node_top1: float
    node_top3: float
    brier: float
    seconds_per_paper: float

    def to_dict(self) -> dict[str, Any]:
        return rounded(self.__dict__)


def wss_at(labels: Sequence[bool], scores: Sequence[float], recall: float = 0.95) -> float:
    """Work saved over sampling at `recall`: reading in descending score order, the share left unread once
    `recall` of the relevant papers are found, minus `1 - recall` (what reading at random saves).

    >>> wss_at([True, True, False, False], [0.9, 0.8, 0.2, 0.1])
    0.45
    >>> wss_at([False, False, True, True], [0.9, 0.8, 0.2, 0.1])
    -0.05
    """
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    ranked = np.asarray(labels, dtype=bool)[order]
    needed = int(np.ceil(recall * ranked.sum()))
    read = int(np.searchsorted(np.cumsum(ranked), needed) + 1)
    return round(float((len(ranked) - read) / len(ranked) - (1 - recall)), 4)


def recall_at(labels: Sequence[bool], scores: Sequence[float], share: float = 0.10) -> float:
    """The share of relevant papers among the first `share` of the papers, read in descending score order.

    >>> recall_at([True, False, True, False, False, False, False, False, False, False], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], share=0.2)
    0.5
    """
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    ranked = np.asarray(labels, dtype=bool)[order]
    top = max(1, int(share * len(ranked)))
    return float(ranked[:top].sum() / max(1, ranked.sum()))


def screening_metrics(triage: Triage, pool: Sequence[PoolPaper]) -> tuple[ScreeningReport, list[Verdict]]:
    """Screening metrics of `triage` on a labelled pool, timed end to end, with the verdicts they rest on."""
    start = time.perf_counter()
    verdicts = triage.assess_many([(p.arxiv, p.title, p.abstract) for p in pool])
    elapsed = time.perf_counter() - start
    labels = [p.in_scope for p in pool]
    scores = [v.relevance for v in verdicts]
    relevant = [(v, p.nodes) for v, p in zip(verdicts, pool, strict=True) if p.in_scope]
    n_out = len(pool) - len(relevant)
    report = ScreeningReport(
        papers=len(pool),
        in_scope=len(relevant),
        out_caught=sum(not v.in_scope for v, p in zip(verdicts, pool, strict=True) if not p.in_scope) / max(1, n_out),
        in_kept=sum(v.in_scope for v, _ in relevant) / max(1, len(relevant)),
        wss95=wss_at(labels, scores),
        recall_at_10=recall_at(labels, scores),
        node_top1=sum(node_hit(v.nodes[0], nodes, triage.taxonomy) for v, nodes in relevant) / max(1, len(relevant)),
        node_top3=sum(any(node_hit(n, nodes, triage.taxonomy) for n in v.nodes) for v, nodes in relevant) / max(1, len(relevant)),
        brier=float(np.mean([(v.relevance - p.in_scope) ** 2 for v, p in zip(verdicts, pool, strict=True)])),
        seconds_per_paper=elapsed / max(1, len(pool)),
    )
    return report, verdicts
