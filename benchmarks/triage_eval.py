"""The README's triage table: `triage` on the labelled pool `benchmarks/triage_pool.yaml`, as ASReview reports.

The model is trained on the dataset and the shipped out-of-scope examples only; its threshold comes from
cross-validation on that training data (`models.triage.train_triage`), never from this pool. Run
`.venv/bin/python benchmarks/triage_eval.py [--pool FILE] [--json FILE] [--verbose]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import Corpus, load_corpus
from survey_taxonomy.models.retrieval import load_wordllama
from survey_taxonomy.models.triage import FOLDS, SEED, C, balanced_weights, load_examples, load_pool, screening_metrics, train_triage, training_texts

POOL = Path(__file__).with_name("triage_pool.yaml")


def compare_features(corpus: Corpus) -> None:
    """ROC AUC, on the training papers with a whole abstract, of out-of-fold relevance from each feature set:
    how `models.triage` chose TF-IDF (the pool plays no part)."""
    texts, labels, whole, groups = training_texts(corpus, load_examples())
    folds = list(StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(texts, labels, groups))
    embedded = np.asarray(load_wordllama().embed(texts), dtype=np.float32)
    embedded /= np.maximum(np.linalg.norm(embedded, axis=1, keepdims=True), 1e-12)
    print("| features | C | ROC AUC (out-of-fold, whole abstracts) |\n|---|---|---|")
    for c in (1.0, C):
        for name in ("tfidf", "wordllama", "tfidf+wordllama"):
            scores = np.zeros(len(texts))
            for train, test in folds:
                parts_train, parts_test = [], []
                if "tfidf" in name:
                    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=2).fit([texts[i] for i in train])
                    parts_train.append(vectorizer.transform([texts[i] for i in train]))
                    parts_test.append(vectorizer.transform([texts[i] for i in test]))
                if "wordllama" in name:
                    parts_train.append(csr_matrix(embedded[train]))
                    parts_test.append(csr_matrix(embedded[test]))
                model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear").fit(hstack(parts_train).tocsr(), labels[train])
                scores[test] = model.decision_function(hstack(parts_test).tocsr())
            auc = roc_auc_score(labels[whole], scores[whole], sample_weight=balanced_weights(labels[whole]))
            print(f"| {name} | {c:g} | {auc:.3f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=Path, default=POOL)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--verbose", action="store_true", help="print every paper's verdict")
    parser.add_argument("--choose", action="store_true", help="only compare feature sets by cross-validation on the training papers")
    args = parser.parse_args(argv)
    corpus = load_corpus(Settings.from_env().data_dir)
    if args.choose:
        compare_features(corpus)
        return 0
    start = time.perf_counter()
    triage = train_triage(corpus)
    train_s = time.perf_counter() - start
    pool = load_pool(args.pool, corpus.taxonomy)
    report, verdicts = screening_metrics(triage, pool)
    kinds = sorted({p.kind for p in pool})
    print("| pool | papers | in scope | out-of-scope caught | in-scope kept | WSS@95 | recall at 10 % | node top-1 | node top-3 | s / paper |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    r = report
    print(
        f"| {args.pool.name} | {r.papers} | {r.in_scope} | {r.out_caught:.0%} | {r.in_kept:.0%} | {r.wss95:.2f} | {r.recall_at_10:.0%} "
        f"| {r.node_top1:.0%} | {r.node_top3:.0%} | {r.seconds_per_paper:.3f} |"
    )
    print(f"\nthreshold {triage.threshold:.3f} (cross-validated on the training data), training {train_s:.1f} s, Brier score {r.brier:.3f}")
    print("\n| kind | papers | judged in scope |\n|---|---|---|")
    for kind in kinds:
        rows = [v for v, p in zip(verdicts, pool, strict=True) if p.kind == kind]
        print(f"| {kind} | {len(rows)} | {sum(v.in_scope for v in rows)} |")
    if args.verbose:
        for v, p in sorted(zip(verdicts, pool, strict=True), key=lambda vp: -vp[0].relevance):
            mark = "ok " if v.in_scope == p.in_scope else "XX "
            print(f"{mark}{v.relevance:.2f} {p.label:<3} {p.kind[:12]:<12} {p.title[:70]:<70} -> {v.nodes[0]}")
    if args.json:
        args.json.write_text(json.dumps({**report.to_dict(), "threshold": round(triage.threshold, 4), "train_s": round(train_s, 2)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
