"""`python -m survey_taxonomy ask ...`, `suggest-category ...` and `triage ...`: the models from the command line.

`cli.build_parser` adds them with `register`. The model stack is imported inside the handlers so that the other
commands start without it. Both take the run's `Settings` from `args.settings`; `suggest-category` trains on the
dataset with the approved submissions, as the app's classifier does.

- `ask TEXT [--model extractive|small|large|cascade] [--k 5] [--threshold T] [--max-tokens N] [--format json|text]`:
  `rag.answer_record`'s fields (+ `"route"` for the cascade); `extractive` (the default, `rag.DEFAULT_MODE`) quotes
  the retrieved papers and needs no model.
- `suggest-category TEXT [--summary S] [--n 3] [--format json|text]`: `[{"id", "score"}]`.
- `triage FILE.bib [--format json|text]`: per entry, `Verdict.to_dict()` (key, relevance, in_scope, nodes, reason).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import Settings
from ..console import print_problems, read_bib, terminal_text
from ..data.records import Problem
from ..data.words import plural


def cmd_ask(args: argparse.Namespace) -> int:
    from ..data.corpus import load_corpus
    from .large import large_model
    from .local import small_model
    from .rag import ask
    from .retrieval import build_retriever
    from .server import LocalServers

    settings: Settings = args.settings
    corpus = load_corpus(settings.data_dir)
    with LocalServers() as servers:
        large = None
        if args.model in ("large", "cascade"):
            status = large_model(settings, servers)
            if not status.available:
                print(f"error: --model {args.model} needs a large model: {status.message}\n\n{status.help}", file=sys.stderr)
                return 1
            large = status.model
        small = small_model(settings, servers)
        result = ask(args.text, small, build_retriever(corpus), corpus.taxonomy, large, args.model, args.k, args.threshold, args.max_tokens)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(result["answer"])
    print(f"\ncited: {', '.join(result['cited']) or 'none'}")
    supported = sum(s["supported"] for s in result["sentences"])
    invented = f"; names no retrieved paper: {', '.join(result['invented'])}" if result["invented"] else ""
    print(f"answered by {result['model_used']}: {supported} of {plural(len(result['sentences']), 'sentence')} supported by the papers cited{invented}")
    print(" · ".join(f"{k} {v}" for k, v in result["metrics"].items() if k != "model"))
    return 0


def cmd_suggest_category(args: argparse.Namespace) -> int:
    from ..submissions import corpus_with_approved, open_store
    from .category import classifier_for

    with open_store(args.settings) as store:
        corpus = corpus_with_approved(args.settings, store)
    suggestions = classifier_for(corpus).suggest(args.text, args.summary, n=args.n)
    if args.format == "json":
        print(json.dumps([{"id": node, "score": round(score, 4)} for node, score in suggestions], indent=2))
    else:
        for node, score in suggestions:
            print(f"{score:.3f}  {node}")
    return 0


def _threshold(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def cmd_triage(args: argparse.Namespace) -> int:
    from ..data.bibliography import parse_bibtex
    from ..data.corpus import load_corpus
    from .triage import bibtex_abstracts, triage_for, triage_papers  # scikit-learn loads only for this command

    path = Path(args.file)
    text = read_bib(path)
    if text is None:
        return 1
    parsed = parse_bibtex(text, path.name)
    untitled = [
        Problem("entry has no title; triage reads the title and abstract", path.name, p.line, p.key, "title", "add title = {...}")
        for p in parsed.papers
        if not p.title.strip()
    ]
    problems = [*parsed.problems, *untitled]
    papers = [p for p in parsed.papers if p.title.strip()]
    print_problems(problems)
    if not papers:
        print(f"error: no entry of {path} could be triaged; fix the problems above", file=sys.stderr)
        return 1
    verdicts = triage_papers(triage_for(load_corpus(args.settings.data_dir)), papers, bibtex_abstracts(text))
    for verdict in verdicts:
        if args.format == "json":
            print(json.dumps(verdict.to_dict()))  # ASCII escapes: a hostile title cannot reach the terminal raw
        else:
            print(terminal_text(f"{verdict.key}: {'IN' if verdict.in_scope else 'OUT'} {verdict.relevance:.2f} {', '.join(verdict.nodes)}\n  {verdict.reason}"))
    return 1 if any(p.severity == "error" for p in problems) else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ask`, `suggest-category` and `triage` to the main parser."""
    p = commands.add_parser("ask", help="answer a question from the survey's papers with the small or large model, citing keys")
    p.add_argument("text")
    p.add_argument("--model", choices=("extractive", "small", "large", "cascade"), default="extractive")  # rag.MODES, rag.DEFAULT_MODE
    p.add_argument("--k", type=int, default=5, help="papers retrieved and shown to the model")
    p.add_argument("--threshold", type=_threshold, default=0.5, help="cascade: escalate below this small-model token probability (0 never, 1 always)")
    p.add_argument("--max-tokens", type=int, default=160)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_ask)
    p = commands.add_parser("suggest-category", help="suggest taxonomy nodes for a paper's title (and summary)")
    p.add_argument("text", help="the paper's title, or title and summary")
    p.add_argument("--summary", default="")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_suggest_category)
    p = commands.add_parser("triage", help="is each entry of a .bib file in the survey's scope, and under which nodes")
    p.add_argument("file", help="a .bib file; each entry is read by its title and its abstract field (else its summary)")
    p.add_argument("--format", choices=("json", "text"), default="json", help="json: one object per line with key, relevance, in_scope, nodes, reason")
    p.set_defaults(func=cmd_triage)
