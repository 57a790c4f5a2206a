"""`python -m survey_taxonomy submissions ...`: the submission flow for scripts, e-mailed contributions and maintainers.

`cli.build_parser` adds the group with `register`; the rest of the package never depends on the command line.

- `add FILE|-`: JSON (an object or a list, the form's fields) or BibTeX (one or more entries); every
  problem printed and exit 1, nothing stored, unless all papers are valid. No rate limit: whoever runs
  the CLI can write to the database anyway.
- `list [--status S] [--format text|json]`
- `approve|reject ID [--note TEXT] [--token T] [--reviewer NAME]`: the token defaults to SURVEY_ADMIN_TOKEN.
- `merge [--dry-run]`: approved submissions into `papers.bib` of the data folder; one that cannot be written
  goes back to pending with the reason (exit 1), the others are written.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from ..config import FEED_DIR, Settings
from ..console import print_problems
from ..data.corpus import load_corpus
from ..data.records import STATUSES
from ..data.words import plural
from ..export.feeds import write_feeds
from .payload import read_text, with_default_node
from .store import DECISIONS, corpus_with_approved, open_store


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in containers without a passwd entry
        return "cli"


def cmd_add(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    source = "stdin" if args.file == "-" else Path(args.file).name
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    drafts, problems = read_text(text, source)
    drafts = with_default_node(drafts, args.node)
    with open_store(settings) as store:
        result = store.submit(drafts, corpus_with_approved(settings, store), session="cli", per_minute=None, problems=problems, source=source)
    print_problems(result.problems)
    if not result.ok:
        print(f"{plural(len(result.errors), 'problem')} in {args.file}; nothing was stored", file=sys.stderr)
        return 1
    for submission in result.submissions:
        print(f"stored submission #{submission.id} as {submission.key}: {submission.title}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_store(args.settings) as store:
        submissions = store.find(None if args.status == "all" else args.status)
    if args.format == "json":
        print(json.dumps([s.as_dict() for s in submissions], ensure_ascii=False, indent=2))
        return 0
    for s in submissions:
        merged = " merged" if s.merged_at else ""
        print(f"#{s.id:<5} {s.status:<9}{merged:<7} {s.key:<30} {s.title}")
    print(plural(len(submissions), "submission"), file=sys.stderr)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    with open_store(settings) as store:
        corpus = corpus_with_approved(settings, store) if args.decision == "approve" else None
        submission = store.review(
            args.id,
            args.decision,
            token=args.token or settings.admin_token,
            admin_token=settings.admin_token,
            corpus=corpus,
            reviewer=args.reviewer or _login(),
            note=args.note,
        )
    then = "it shows in the app now; `submissions merge` writes it into papers.bib" if submission.status == "approved" else "it stays out of the dataset"
    print(f"submission #{submission.id} ({submission.key}) {submission.status}: {then}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """Exit 1 when a submission was sent back to review (the others are written all the same)."""
    settings: Settings = args.settings
    with open_store(settings) as store:
        papers, problems = store.merge(settings.data_dir, dry_run=args.dry_run)
    print_problems(problems)
    verb = "would add" if args.dry_run else "added"
    print(f"{verb} {plural(len(papers), 'approved submission')} to {settings.bib_path}" + "".join(f"\n  {p.key}: {p.title}" for p in papers))
    if papers and not args.dry_run:
        written = write_feeds(load_corpus(settings.data_dir), FEED_DIR)
        print(f"wrote {plural(len(written), 'Atom feed')} to {FEED_DIR}")
    return 1 if any(p.severity == "error" for p in problems) else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `submissions` command group to the main parser."""
    group = commands.add_parser("submissions", help="add, list, review and merge submitted papers")
    sub = group.add_subparsers(dest="submissions_command", required=True)
    p = sub.add_parser("add", help="submit papers from JSON (the form's fields) or BibTeX; all or nothing")
    p.add_argument("file", help="a .json or .bib file, or - for standard input")
    p.add_argument("--node", help="taxonomy node for papers that name none")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("list", help="list submissions")
    p.add_argument("--status", choices=(*STATUSES, "all"), default="all")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_list)
    for decision in DECISIONS:
        p = sub.add_parser(decision, help=f"{decision} a pending submission (needs the admin token)")
        p.add_argument("id", type=int)
        p.add_argument("--note", default="", help="review note, kept with the submission")
        p.add_argument("--token", default="", help="admin token (default: SURVEY_ADMIN_TOKEN)")
        p.add_argument("--reviewer", default="", help="name recorded as the reviewer (default: your login)")
        p.set_defaults(func=cmd_review, decision=decision)
    p = sub.add_parser("merge", help="write approved submissions into papers.bib (sorted, validated) and mark them merged")
    p.add_argument("--dry-run", action="store_true", help="show what would be added, write nothing")
    p.set_defaults(func=cmd_merge)
