"""`python -m survey_taxonomy citations refresh` and `python -m survey_taxonomy discover`: the scholarly indexes.

`cli.build_parser` adds both with `register`. Progress goes to stderr as
tqdm bars (hidden when stderr is not a terminal); the report goes to stdout. A failing source is one line on
stderr and exit 1, and no file is written. Everything printed passes `console.terminal_text` first: titles and
messages come from the network. `--max-age 0` fetches every answer again; `--dry-run` adds nothing to the
cache.

- `citations refresh [--source openalex|semanticscholar|all] [--dry-run] [--prune] [--max-age DAYS]`
- `discover [--source ...] [--min-links N] [--since YYYY|YYYY-MM|YYYY-MM-DD] [--dry-run] [--max-age DAYS]`
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Protocol

from ..config import Settings
from ..console import terminal_text
from ..data.words import plural
from ..errors import SourceError
from . import CHOICES, Progress, ScholarlySource, Since, open_sources, source_names
from .http import HttpClient


class Reported(Protocol):
    """What a run returns: a report that says, for people, what it did."""

    def describe(self) -> str: ...


def terminal_progress() -> tuple[Progress, Callable[[], None]]:
    """A `Progress` that shows one tqdm bar per stage on stderr, and the function that closes the last bar."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}  # the current stage's bar (a disabled bar keeps no description of its own)

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            close()
            bars[stage] = tqdm(total=total, desc=terminal_text(stage), unit="step", file=sys.stderr, disable=None, leave=False)
        bar = bars[stage]
        bar.total = total
        bar.n = done
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.close()
        bars.clear()

    return progress, close


def _open(settings: Settings, args: argparse.Namespace, progress: Progress) -> tuple[HttpClient, list[ScholarlySource]]:
    return open_sources(settings, source_names(args.source), max_age=dt.timedelta(days=args.max_age), progress=progress, store=not args.dry_run)


def cmd_refresh(args: argparse.Namespace) -> int:
    from .refresh import refresh_citations

    settings: Settings = args.settings
    return _with_sources(args, "No file was written", lambda sources: refresh_citations(settings.data_dir, sources, dry_run=args.dry_run, prune=args.prune))


def _with_sources(args: argparse.Namespace, on_failure: str, work: Callable[[list[ScholarlySource]], Reported]) -> int:
    """Run `work` on the chosen sources with a terminal progress bar; a failing source is one line and exit 1."""
    progress, close = terminal_progress()
    http, sources = _open(args.settings, args, progress)
    try:
        report = work(sources)
    except SourceError as exc:
        print(terminal_text(f"error: {exc}. {on_failure}."), file=sys.stderr)
        return 1
    finally:
        close()
        http.close()
    print(terminal_text(report.describe()))
    print(f"{plural(http.network_requests, 'network request')}", file=sys.stderr)
    return 0


def _since(value: str) -> Since:
    try:
        return Since.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _days(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value[:20]!r} is not a number of days; write a whole number >= 0 (0 fetches everything again)")
    return int(value)


def cmd_discover(args: argparse.Namespace) -> int:
    from ..data.corpus import load_corpus
    from ..submissions import open_store
    from .discovery import discover

    settings: Settings = args.settings
    with open_store(settings) as store:
        return _with_sources(
            args,
            "Nothing was queued",
            lambda sources: discover(
                load_corpus(settings.data_dir), sources, store, settings, min_links=args.min_links, since=args.since, dry_run=args.dry_run
            ),
        )


def _common(p: argparse.ArgumentParser, default_source: str) -> None:
    p.add_argument("--source", choices=CHOICES, default=default_source, help=f"which index to ask (default: {default_source})")
    p.add_argument("--dry-run", action="store_true", help="fetch and show what would change, write nothing")
    p.add_argument("--max-age", type=_days, default=7, metavar="DAYS", help="reuse cached answers up to this many days old; 0 fetches all again (default: 7)")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `citations refresh` and `discover` to the main parser."""
    group = commands.add_parser("citations", help="citation data from OpenAlex and Semantic Scholar")
    sub = group.add_subparsers(dest="citations_command", required=True)
    p = sub.add_parser("refresh", help="fetch citations between dataset papers, their ids and citation counts; print the diff")
    _common(p, "all")
    p.add_argument("--prune", action="store_true", help="remove edges and counts a refreshed source no longer reports")
    p.set_defaults(func=cmd_refresh)
    p = commands.add_parser("discover", help="queue papers the dataset lacks (citing it, or cited by it) for review")
    _common(p, "openalex")
    p.add_argument("--min-links", type=int, default=2, metavar="N", help="dataset papers a candidate must cite or be cited by (default: 2)")
    p.add_argument("--since", type=_since, metavar="DATE", help="only candidates published then or later: YYYY, YYYY-MM or YYYY-MM-DD, inclusive")
    p.set_defaults(func=cmd_discover)
