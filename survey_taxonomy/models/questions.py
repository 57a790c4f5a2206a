"""The demo's question set (`data/questions.yaml`): questions about the survey's topics, each with the dataset
keys of the papers that answer it and a short reference answer.

It serves two measurements: retrieval (share of questions with a correct paper in the top k) and the cascade's
quality-versus-share-of-LLM-calls curve (answers scored against the reference).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..data.records import Problem
from ..errors import ModelError


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    keys: tuple[str, ...]
    answer: str
    node: str = ""


def yaml_rows(path: Path, key: str, what: str) -> list[object]:
    """The list under `key` of a labelled YAML file (the question set, the triage pool); `ModelError` naming the
    file, and saying what it should hold, when it cannot be read or holds no such list."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot read the {what}: {exc}") from exc
    rows = data.get(key) if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ModelError(f"{path}: expected a mapping with a '{key}' list")
    return rows


def load_questions(path: str | Path) -> list[Question]:
    """Read the question set (`Settings.questions_path`); raise `ModelError` naming the file and the entry when it
    is malformed."""
    path = Path(path)
    rows = yaml_rows(path, "questions", "question set")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not all(isinstance(row.get(f), str) and row[f].strip() for f in ("id", "question", "answer")):
            raise ModelError(f"{path}: question #{i} needs non-empty 'id', 'question' and 'answer'")
        keys = row.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise ModelError(f"{path}: question {row['id']!r} needs a non-empty 'keys' list of dataset keys")
        out.append(Question(row["id"], " ".join(row["question"].split()), tuple(keys), " ".join(row["answer"].split()), str(row.get("node") or "")))
    return out


def check_questions(questions: Iterable[Question], keys: set[str], node_ids: set[str]) -> list[Problem]:
    """Keys and nodes a question names that the dataset does not have, and repeated ids."""
    problems, seen = [], set()
    for q in questions:
        if q.id in seen:
            problems.append(Problem(f"question id {q.id!r} appears twice", "questions.yaml", key=q.id, field="id"))
        seen.add(q.id)
        for key in q.keys:
            if key not in keys:
                problems.append(Problem(f"unknown paper key {key!r}", "questions.yaml", key=q.id, field="keys", hint="use keys from data/papers.bib"))
        if q.node and q.node not in node_ids:
            problems.append(Problem(f"unknown taxonomy node {q.node!r}", "questions.yaml", key=q.id, field="node"))
    return problems
