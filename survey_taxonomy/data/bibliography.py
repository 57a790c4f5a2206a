"""BibTeX <-> `Paper`, through bibtexparser's v2 API.

Our entries carry, besides the standard fields, `venue` (short form such as "ICML 2023"), `code`,
`taxonomy` (node ids, comma-separated), `topic` (facets, semicolon-separated), `relation`, `summary`,
`note`, `cites` (keys, comma-separated) and the scholarly ids `openalex` and `s2`; see data/README.md. Blocks bibtexparser cannot parse, and
duplicate keys, become `Problem`s with their line, so one broken entry never loses the rest.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.middlewares.names import parse_single_name_into_parts
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, Field, ParsingFailedBlock

from ..errors import BibliographyError
from .files import write_atomic, write_lock
from .latex import decode, decode_short, escape
from .names import PersonName, split_name
from .records import Paper, Problem
from .schema import BIBTEX_FIELDS, FieldSpec
from .validation import clean_url

_AND = re.compile(" [Aa][Nn][Dd] ")  # exactly what the brace-aware loop in `split_authors` splits on
_AND_WORD = re.compile(r"\s[Aa][Nn][Dd]\s")
_YEAR = re.compile(r"\d{4}")
# Values written without `escape` (ids, links, keys) must hold none of these: a brace or backslash would end the
# value or change how it reads (`10.1/x},url={javascript:...` would write a second url field), a control
# character could end the line. The key and entry type have their own, narrower alphabets.
_UNSAFE_RAW = re.compile(r"[{}\\\x00-\x1f\x7f]")
_SAFE_KEY = re.compile(r"[^\s,{}()\"#%'=\\~]+")
_SAFE_TYPE = re.compile(r"[A-Za-z]+")
_RAW_FIELDS = frozenset(("archiveprefix", *(spec.bibtex for spec in BIBTEX_FIELDS if spec.value in ("raw", "year", "url", "keys"))))
# The fields `paper_from_entry` reads; the others (archiveprefix, ...) are left as bibtexparser split them.
_READ = frozenset(spec.bibtex for spec in BIBTEX_FIELDS)


@dataclass(frozen=True)
class ParseResult:
    """Papers that parsed, and the problems of those that did not."""

    papers: list[Paper]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def split_authors(value: str) -> list[PersonName]:
    """Split a BibTeX author list into names, each split as BibTeX splits it.

    >>> [n.display for n in split_authors("Leviathan, Yaniv and Matan Kalman and M{\\\\\\"u}ller, Hans and {Ben Allal}, Loubna")]
    ['Yaniv Leviathan', 'Matan Kalman', 'Hans Müller', 'Loubna Ben Allal']
    """
    if "{" not in value and "}" not in value:  # no group can hide an " and ": split without the loop
        return [name for name in map(_author_name, _AND.split(value)) if name is not None]
    names, depth, start, i = [], 0, 0, 0
    while i < len(value):
        ch = value[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and value[i : i + 5].lower() == " and ":
            names.append(value[start:i])
            i += 5
            start = i
            continue
        i += 1
    names.append(value[start:])
    return [name for name in map(_author_name, names) if name is not None]


@lru_cache(maxsize=65536)
def _author_name(raw: str) -> PersonName | None:
    """One name (None if it is empty); cached because the same authors recur all over a bibliography.

    A name with braces is split before it is decoded, so that a braced group stays one part ("{Ben Allal}, Loubna").
    """
    raw = " ".join(raw.split())
    if "{" not in raw:
        name = decode(raw)
        return split_name(name) if name else None
    parts = parse_single_name_into_parts(raw, strict=False)
    person = PersonName(decode(" ".join(parts.first)), decode(" ".join([*parts.von, *parts.last])), decode(" ".join(parts.jr)))
    return person if person.display else None


def _bibtex_name(person: PersonName) -> str:
    """A name escaped for `author`, in the form BibTeX splits back into the same parts (see `PersonName.bibtex`)."""
    form = person.bibtex
    if form == person.display:
        return escape(form)
    family = escape(person.family)
    if _AND_WORD.search(f" {family} ") or "," in family:
        family = "{" + family + "}"  # a group: "Barnes and Noble" is one name, not two
    return ", ".join(part for part in (family, escape(person.suffix), escape(person.given)) if part)


def clear_caches() -> None:
    """Forget the cached names and short values, so that the next parse decodes everything again (benchmarks)."""
    _author_name.cache_clear()
    split_name.cache_clear()
    decode_short.cache_clear()


def _split_list(value: str, sep: str) -> tuple[str, ...]:
    return tuple(item for item in map(decode_short, value.split(sep)) if item)


def _unenclosed(value: str) -> str:
    """The value without its enclosing braces or quotes, by bibtexparser's own rule (see `parse_bibtex`)."""
    inner = value[1:-1]
    if value[:1] == "{" and value[-1:] == "}" and "{" not in inner and "}" not in inner and not inner.endswith("\\"):
        return inner  # the common case, decided as bibtexparser's fast path decides it
    return RemoveEnclosingMiddleware._strip_enclosing(value)[0]


def paper_from_entry(entry: Entry, source: str = "") -> tuple[Paper | None, list[Problem]]:
    """Convert one parsed entry; a year that is not a number is a problem, not a crash."""
    line = (entry.start_line or 0) + 1  # parsed blocks always have a line; bibtexparser types it optional for built ones
    fields = {f.key.lower(): f.value for f in entry.fields}  # the last of repeated fields wins, as in `fields_dict`
    fields = {name: _unenclosed(value.strip()) for name, value in fields.items() if name in _READ}
    problems: list[Problem] = []
    year: int | None = None
    raw_year = fields.get("year", "").strip()
    if raw_year:
        if _YEAR.fullmatch(raw_year):
            year = int(raw_year)
        else:
            problems.append(Problem(f"year {raw_year!r} is not a four-digit year", source, line, entry.key, "year", "write e.g. year = {2024}"))
    values: dict[str, Any] = {spec.name: _read_value(spec, fields.get(spec.bibtex, "")) for spec in BIBTEX_FIELDS if spec.value != "year"}
    names = values.pop("authors")
    paper = Paper(
        key=entry.key,
        entry_type=entry.entry_type.lower(),
        year=year,
        # as written: `validate_paper` reports another relation
        **values,
        authors=tuple(n.display for n in names),
        author_names=tuple(names),
        line=line,
    )
    return paper, problems


def _read_value(spec: FieldSpec, value: str) -> Any:
    """A field's text as the attribute holds it, by its value kind."""
    if spec.value == "text":
        return decode(value)
    if spec.value == "short":
        return decode_short(value)
    if spec.value == "names":
        return split_authors(value)
    if spec.value == "texts":
        return _split_list(value, ";")
    if spec.value == "keys":
        return tuple(t.strip() for t in value.split(",") if t.strip())
    return value.strip()


def _failed_block_problem(block: ParsingFailedBlock, source: str) -> Problem:
    line = (block.start_line or 0) + 1
    raw = (block.raw or "").strip()
    first = raw.splitlines()[0][:80] if raw else ""
    if isinstance(block, DuplicateBlockKeyBlock):
        return Problem(
            f"duplicate key {block.key!r}: an earlier entry already uses it",
            source,
            line,
            block.key,
            "key",
            "give this entry its own key, e.g. add a letter: 'leviathan2023fastb'",
        )
    error = getattr(block, "error", None)
    lines = str(getattr(error, "abort_reason", "") or error or "").strip().splitlines()
    reason = lines[-1].strip() if lines else "not a well-formed entry"
    return Problem(
        f"entry starting {first!r} cannot be parsed: {reason}",
        source,
        line,
        "",
        "",
        "check that every '{' has its '}' and fields are separated by commas",
    )


def parse_bibtex(text: str, source: str = "input") -> ParseResult:
    """Parse BibTeX text into papers; every failed block becomes a `Problem` with its line.

    >>> r = parse_bibtex("@misc{a2024x, title={A}, year={2024}}\\n@misc{b, title={oops}")
    >>> [p.key for p in r.papers], [p.line for p in r.problems]
    (['a2024x'], [2])
    """
    # No parse stack: `paper_from_entry` strips the enclosing of the fields it reads by the rule of
    # RemoveEnclosingMiddleware, which costs less than the middleware running over every field of every entry.
    library = bibtexparser.parse_string(text, parse_stack=[])
    papers: list[Paper] = []
    problems = [_failed_block_problem(b, source) for b in library.failed_blocks]
    for entry in library.entries:
        paper, entry_problems = paper_from_entry(entry, source)
        problems.extend(entry_problems)
        if paper is not None:
            papers.append(paper)
    if not papers and not problems and text.strip():
        problems.append(Problem("no BibTeX entry found", source, 1, hint="entries start with '@article{key,' or similar"))
    return ParseResult(papers, sorted(problems, key=lambda p: p.line or 0))


def load_bibliography(path: str | Path) -> ParseResult:
    """Read a `.bib` file; raise `BibliographyError` only if the file itself cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BibliographyError(f"{path}: file not found; set SURVEY_DATA_DIR to the folder with papers.bib") from exc
    except UnicodeDecodeError as exc:
        raise BibliographyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:  # a folder, no permission, ...
        raise BibliographyError(f"{path}: cannot be read ({exc.strerror or exc}); check SURVEY_DATA_DIR and the file's permissions") from exc
    return parse_bibtex(text, source=path.name)


def entry_from_paper(paper: Paper) -> Entry:
    """The BibTeX entry of a paper, every text value escaped so that it cannot break out of its braces."""
    return Entry(paper.entry_type or "misc", paper.key, [Field(name, "{" + value + "}") for name, value in _field_values(paper)])


def _field_values(paper: Paper) -> list[tuple[str, str]]:
    """The (field, escaped value) pairs of a paper's entry, in the order they are written; empty ones left out.

    Text is escaped for LaTeX (`escape`); a value written as it is that could break out of its braces raises
    `BibliographyError`, so no input can add fields or entries to the file.
    """
    values: list[tuple[str, str]] = []
    for spec in BIBTEX_FIELDS:
        value = paper.author_names if spec.value == "names" else getattr(paper, spec.name)
        values.append((spec.bibtex, _written_value(spec, value)))
        if spec.name == "arxiv":
            values.append(("archiveprefix", "arXiv" if paper.arxiv else ""))
    for name, value in values:
        if name in _RAW_FIELDS and _UNSAFE_RAW.search(value):
            raise BibliographyError(
                f"[{paper.key}] {name}: refusing to write {value[:60]!r}: a brace, backslash or control character would change "
                "the entry's structure; fix the value (nothing was written)"
            )
    if not _SAFE_KEY.fullmatch(paper.key) or not _SAFE_TYPE.fullmatch(paper.entry_type or "misc"):
        raise BibliographyError(f"refusing to write the entry @{paper.entry_type[:20]}{{{paper.key[:40]}: its type or key would change the entry's structure")
    return [(name, value) for name, value in values if value]


def _written_value(spec: FieldSpec, value: Any) -> str:
    """A field's value as BibTeX text, by its value kind: text escaped, links rebuilt, raw values as they are."""
    if spec.value in ("text", "short"):
        return escape(value)
    if spec.value == "names":
        return " and ".join(map(_bibtex_name, value))
    if spec.value == "year":
        return str(value) if value else ""
    if spec.value == "texts":
        return "; ".join(map(escape, value))
    if spec.value == "keys":
        return ", ".join(value)
    if spec.value == "url":
        return clean_url(value) or value  # rebuilt, so a brace or backslash in a link is quoted, not refused
    return str(value)


def format_bibtex(papers: Iterable[Paper], fields: Collection[str] | None = None) -> str:
    """Write papers as BibTeX text that `parse_bibtex` reads back to equal papers.

    The text is what bibtexparser's writer makes of `entry_from_paper` entries (two-space indent, one blank
    line between entries), put together directly: the writer's objects cost ~0.1 ms per entry, which a
    download of 10k papers pays on every run of the page. Repeated keys still raise bibtexparser's error.
    `fields`, when given, keeps only those fields.
    """
    papers = list(papers)
    if len({p.key for p in papers}) < len(papers):
        Library([entry_from_paper(p) for p in papers])  # raises ValueError naming the repeated key
    return "\n".join(_entry_text(p, fields) for p in papers)


def _entry_text(paper: Paper, fields: Collection[str] | None = None) -> str:
    """One entry; `fields` keeps only those fields (e.g. the standard ones of a citable entry)."""
    values = [(name, value) for name, value in _field_values(paper) if fields is None or name in fields]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in values)
    return f"@{paper.entry_type or 'misc'}{{{paper.key},\n{body}{chr(10) if body else ''}}}\n"


def append_papers(path: str | Path, papers: Iterable[Paper]) -> None:
    """Append papers to a `.bib` file, under the data folder's writers' lock and atomically (see `files`).

    The file is replaced only if the new entries read back as themselves and add no problem to the file (a
    key it already has, an unclosed entry at its end that would swallow them). Raises `BibliographyError`,
    leaving the file untouched, otherwise; `DataWriteError` if the folder cannot be written.
    """
    papers = list(papers)
    addition = format_bibtex(papers)
    alone = parse_bibtex(addition, "new entries")
    if alone.problems or [p.key for p in alone.papers] != [p.key for p in papers]:
        raise BibliographyError(f"{Path(path).name}: refusing to write entries that do not read back as written: {alone.problems[:1]}")
    with write_lock(path) as target:
        try:
            old = target.read_text(encoding="utf-8") if target.exists() else ""
        except UnicodeDecodeError as exc:
            raise BibliographyError(f"{target}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
        new = old.rstrip("\n") + ("\n\n" if old.strip() else "") + addition
        before, after = parse_bibtex(old, target.name), parse_bibtex(new, target.name)
        if len(after.problems) != len(before.problems) or len(after.papers) != len(before.papers) + len(papers):
            added = [p for p in after.problems if p not in before.problems] or after.problems
            raise BibliographyError(f"{target}: refusing to write, the new entries would not parse in this file: {added[0] if added else 'entries lost'}")
        write_atomic(target, new)
