"""The maintainers' command line: `python -m survey_taxonomy COMMAND ...`.

Commands print to stdout and exit 0 on success, 1 when the data or the input has problems (each printed
on stderr with its file, line and fix), 2 on wrong usage or a bad setting (an environment variable the
project cannot run with, named in the message). Every expected failure is a message, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .config import FEED_DIR, Settings
from .console import print_problems, read_bib, write_output
from .data.acceptance import check_papers
from .data.bibliography import append_papers, parse_bibtex
from .data.corpus import load_corpus
from .data.records import RELATIONS, Paper, Problem
from .data.validation import with_clean_links
from .data.words import plural
from .errors import ModelError, SettingsError, SurveyDataError
from .export.feeds import write_feeds
from .export.writers import FORMATS, export
from .models import commands as model_commands
from .models.questions import check_questions, load_questions
from .query.search import SearchIndex
from .query.selection import Selection, node_counts
from .sources import commands as source_commands
from .submissions import commands as submission_commands


def _data_dir(args: argparse.Namespace) -> Path:
    settings: Settings = args.settings
    return settings.data_dir


def question_problems(settings: Settings, keys: set[str], node_ids: set[str]) -> list[Problem]:
    """Problems of the demo's question set (`questions.yaml` of the data folder), none when there is no such file."""
    path = settings.questions_path
    if not path.exists():
        return []
    try:
        questions = load_questions(path)
    except ModelError as exc:
        return [Problem(str(exc), path.name, hint="fix the entry the message names")]
    return check_questions(questions, keys, node_ids)


def cmd_validate(args: argparse.Namespace) -> int:
    corpus = load_corpus(_data_dir(args))
    problems = [*corpus.problems, *question_problems(args.settings, set(corpus.by_key), set(corpus.taxonomy.nodes))]
    print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    print(
        f"{plural(len(corpus), 'paper')}, {plural(len(corpus.taxonomy.nodes), 'taxonomy node')}, {plural(len(corpus.edges()), 'citation edge')}: "
        f"{plural(errors, 'error')}, {plural(len(problems) - errors, 'warning')}"
    )
    return 1 if errors else 0


def cmd_stats(args: argparse.Namespace) -> int:
    corpus = load_corpus(_data_dir(args))
    stats: dict[str, Any] = {  # a JSON document
        "papers": len(corpus),
        "relation": dict(Counter(p.relation for p in corpus.papers).most_common()),
        "year": {str(y): n for y, n in sorted(Counter(p.year for p in corpus.papers if p.year).items())},
        "node": {k: v for k, v in node_counts(corpus.frame["taxonomy"], corpus.taxonomy).items()},
        "with_code": sum(bool(p.code) for p in corpus.papers),
    }
    if args.format == "json":
        print(json.dumps(stats, indent=2))
        return 0
    print(f"{stats['papers']} papers, {stats['with_code']} with code")
    for title in ("relation", "year"):
        print(f"\nby {title}:")
        for k, v in stats[title].items():
            print(f"  {k:<20} {v}")
    print("\nby taxonomy node (a node counts its subtree):")
    for node in corpus.taxonomy.walk():
        print(f"  {'  ' * node.depth}{node.label:<{60 - 2 * node.depth}} {stats['node'][node.id]}")
    return 0


def cmd_taxonomy(args: argparse.Namespace) -> int:
    corpus = load_corpus(_data_dir(args))
    nodes = [
        {"id": n.id, "label": n.label, "parent": n.parent, "section": n.section or None, "description": n.description, "facets": list(n.facets)}
        for n in corpus.taxonomy.walk()
    ]
    if args.format == "json":
        print(json.dumps(nodes, ensure_ascii=False, indent=2))
    else:
        for n in corpus.taxonomy.walk():
            print(f"{'  ' * n.depth}{n.heading}  [{n.id}]")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    corpus = load_corpus(_data_dir(args))
    if args.node and args.node not in corpus.taxonomy:
        print(f"error: no taxonomy node {args.node!r}; list them with `python -m survey_taxonomy taxonomy`", file=sys.stderr)
        return 2
    frame = Selection(node=args.node, query=args.query or "").filter(corpus.frame)
    by_key = corpus.by_key
    papers = [by_key[k] for k in frame["key"]] if (args.node or args.query) else list(corpus.papers)
    write_output(export(papers, args.format, corpus.taxonomy), args.out)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    corpus = load_corpus(_data_dir(args))
    hits = SearchIndex.build(corpus.papers).search(args.text, k=args.k)
    if args.format == "json":
        print(json.dumps([{"key": p.key, "title": p.title, "score": round(s, 4)} for p, s in hits], ensure_ascii=False, indent=2))
    else:
        for paper, score in hits:
            print(f"{score:.3f}  {paper.key:<28} {paper.title}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    data = _data_dir(args)
    corpus = load_corpus(data)
    path = Path(args.file)
    text = read_bib(path)
    if text is None:
        return 1
    if args.node and args.node not in corpus.taxonomy:
        print(f"error: no taxonomy node {args.node!r}; list them with `python -m survey_taxonomy taxonomy`", file=sys.stderr)
        return 2
    parsed = parse_bibtex(text, path.name)
    papers: list[Paper] = []
    for paper in parsed.papers:
        updates: dict[str, Any] = {}
        if args.node and not paper.taxonomy:
            updates["taxonomy"] = (args.node,)
        if not paper.relation:
            updates["relation"] = args.relation
        papers.append(with_clean_links(replace(paper, **updates)))
    found = check_papers(papers, set(corpus.taxonomy.nodes), corpus.papers, source=path.name, taken_keys=set(corpus.by_key))
    problems = [*parsed.problems, *found]
    errors = [p for p in problems if p.severity == "error"]
    print_problems(problems)
    if errors:
        print(f"{plural(len(errors), 'problem')} in {path}; nothing was written to {data / 'papers.bib'}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"{plural(len(papers), 'entry', 'entries')} would be added (dry run: nothing written)")
        return 0
    today = dt.date.today().isoformat()
    append_papers(data / "papers.bib", [p if p.added else replace(p, added=today) for p in papers])
    print(f"added {plural(len(papers), 'entry', 'entries')} to {data / 'papers.bib'}")
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    written = write_feeds(load_corpus(_data_dir(args)), Path(args.out))
    print(f"wrote {plural(len(written), 'Atom feed')} to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m survey_taxonomy", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="data folder (default: SURVEY_DATA_DIR or the repository's data/)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the dataset; exit 1 if it has errors")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("stats", help="counts per taxonomy node, relation and year")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("taxonomy", help="list the taxonomy nodes")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_taxonomy)
    p = sub.add_parser("export", help="write papers as bibtex, csv, json or markdown")
    p.add_argument("--format", choices=FORMATS, default="json")
    p.add_argument("--node", help="only this taxonomy node and its subtree")
    p.add_argument("--query", help="only papers matching all these words")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("search", help="rank papers by relevance to a text")
    p.add_argument("text")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("import", help="add the entries of a .bib file after checking them all")
    p.add_argument("file")
    p.add_argument("--node", help="taxonomy node for entries that name none")
    p.add_argument("--relation", choices=RELATIONS, default="curated", help="relation for entries that name none")
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("feeds", help="write the Atom feed of every taxonomy node (the app writes them at start, merge after merging)")
    p.add_argument("--out", default=str(FEED_DIR), help=f"folder to write them to (default: {FEED_DIR}, which the app serves)")
    p.set_defaults(func=cmd_feeds)
    submission_commands.register(sub)
    source_commands.register(sub)
    model_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a bad setting stops it before it starts (exit 2), with the variable named."""
    for stream in (sys.stdout, sys.stderr):  # user text may hold lone surrogates, which strict UTF-8 cannot print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # The one place the CLI reads its configuration: commands take `args.settings`, with --data applied.
    args.settings = replace(settings, data_dir=Path(args.data)) if args.data else settings
    try:
        code: int = args.func(args)
        return code
    except SurveyDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
