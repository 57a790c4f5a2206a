"""Payloads into drafts: the submission form's fields, the CLI's JSON and pasted BibTeX read into `Draft`s.

Terms (see the package docstring for the rest):
- *payload*: a mapping of the form's fields (`FIELDS`, `EXTRA_FIELDS`, with the spellings of `ALIASES`).
- *draft*: one paper read from a payload or a BibTeX entry, links rebuilt, not yet checked or stored.

Reading never raises on bad input: every shape problem (a number where text belongs, unknown fields, broken JSON
or BibTeX) comes back as a `Problem`, for `checks` to report together with the field rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..data.bibliography import parse_bibtex
from ..data.names import split_name
from ..data.records import Paper, Problem, Where
from ..data.schema import FIELDS as FIELD_TABLE
from ..data.schema import FORM_FIELDS, PAYLOAD_ALIASES, PAYLOAD_EXTRA_FIELDS, PAYLOAD_IGNORED
from ..data.validation import normalise_arxiv_id, normalise_doi, with_clean_links

ORIGINS = ("form", "bibtex", "discovered")
# The form's fields with their labels: the paper's, from the field table, then those only reviewers see.
FIELDS: dict[str, str] = FORM_FIELDS | {"why": "Why it belongs there", "contact": "Contact"}
# Fields kept from pasted BibTeX (and accepted in JSON) that the form does not ask for.
EXTRA_FIELDS = PAYLOAD_EXTRA_FIELDS
# Other spellings accepted in JSON, e.g. from `export --format json`; `key`, `relation` and the ids are always ours.
ALIASES = PAYLOAD_ALIASES
IGNORED = PAYLOAD_IGNORED
MAX_INPUT_CHARS = 200_000
PLACEHOLDER_KEY = "submission"
_AUTHOR_SEPARATOR = re.compile(r"\n|;|\s+and\s+", re.IGNORECASE)
_FACET_SEPARATOR = re.compile(r"[;\n]")
_COMMA = re.compile(",")
# What a venue names when the form gives no entry type: a preprint server, else a journal, else proceedings.
_PREPRINT_VENUE = re.compile(r"^\s*(?:arxiv|corr|biorxiv|medrxiv|ssrn|preprint)\b", re.IGNORECASE)
_JOURNAL_VENUE = re.compile(r"\b(?:journal|transactions|letters|magazine|review|TMLR|JMLR|TACL|PNAS|Nature|Science)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    """A paper about to be submitted, with what only reviewers see (`why`, `contact`).

    `label` names the draft in messages (the BibTeX key the submitter gave); `form` says whether problems
    should use the form's field names (`authors`, `arxiv`, `facets`) or BibTeX's.
    """

    paper: Paper
    why: str = ""
    contact: str = ""
    source: str = "form"
    label: str = ""
    form: bool = True
    cites: tuple[str, ...] = ()  # a claim for the reviewer, never copied into `paper`
    origin: str = ""  # one of ORIGINS; "" means form or bibtex, after `form`
    evidence: Mapping[str, Any] | None = None  # why `discover` proposes it (stored as JSON)

    @property
    def origin_name(self) -> str:
        return self.origin or ("form" if self.form else "bibtex")


def _text(payload: Mapping[str, Any], name: str, where: Where) -> tuple[str, list[Problem]]:
    value = payload.get(name)
    if value is None:
        return "", []
    if isinstance(value, str):
        return " ".join(value.split()) if name != "why" else value.strip(), []
    return "", [Problem(f"must be text, not {type(value).__name__}", field=name, hint="send a string", **where)]


def _list(payload: Mapping[str, Any], name: str, separator: re.Pattern[str], where: Where) -> tuple[list[str], list[Problem]]:
    """A list field given as a list of strings or as one string; every item is split on `separator`."""
    value = payload.get(name)
    if value is None:
        return [], []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        return [], [Problem(f"must be a list of strings or one string, not {type(value).__name__}", field=name, hint='send e.g. ["a", "b"]', **where)]
    out = [" ".join(part.split()) for item in items for part in separator.split(item)]
    return [part for part in out if part], []


def _year(payload: Mapping[str, Any], where: Where) -> tuple[int | None, list[Problem]]:
    value = payload.get("year")
    if value is None or value == "":
        return None, []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value, []
    if isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        return int(value), []
    return None, [Problem(f"{str(value)[:40]!r} is not a year", field="year", hint="write the year of publication as four digits, e.g. 2024", **where)]


def text_size(payload: object, limit: int) -> int:
    """The characters of text in a payload (names and values, numbers as 8), counted until `limit` is passed: a
    flood (150,000 topics) is measured no further than needed to refuse it.

    >>> text_size({"title": "Tiny", "facets": ["a", "bc"], "year": 2024}, 1000), text_size(["x" * 50] * 100, 120) <= 170
    (30, True)
    """
    total, stack = 0, [payload]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple):
            stack += item
        else:
            total += 8
    return total


def read_payload(payload: object, source: str = "form") -> tuple[list[Draft], list[Problem]]:
    """Drafts from one payload (a mapping of the form's fields) or a list of them; shape problems as data. A payload
    with more than `MAX_INPUT_CHARS` characters of text is refused whole, before any field is read.

    >>> drafts, problems = read_payload({"title": "T", "authors": "Ada Lovelace; Alan Turing", "year": "2024", "arxiv": "arXiv:2401.00001"})
    >>> drafts[0].paper.authors, drafts[0].paper.year, drafts[0].paper.arxiv, problems
    (('Ada Lovelace', 'Alan Turing'), 2024, '2401.00001', [])
    """
    if text_size(payload, MAX_INPUT_CHARS) > MAX_INPUT_CHARS:
        hint = "submit fewer papers at once, and keep each field within its limit"
        return [], [Problem(f"the submission holds more than {MAX_INPUT_CHARS:,} characters of text, the limit", source, hint=hint)]
    if isinstance(payload, list):
        if not payload:
            return [], [Problem("no paper in the input", source, hint="send one object with the form's fields, or a list of them")]
        drafts: list[Draft] = []
        problems: list[Problem] = []
        for i, item in enumerate(payload, 1):
            if not isinstance(item, Mapping):
                problems.append(Problem(f"item {i} is not an object but {type(item).__name__}", source, hint="send a list of objects with the form's fields"))
                continue
            item_drafts, item_problems = read_payload(item, f"{source} item {i}")
            drafts += item_drafts
            problems += item_problems
        return drafts, problems
    if not isinstance(payload, Mapping):
        return [], [
            Problem(f"expected an object with the form's fields, got {type(payload).__name__}", source, hint='send e.g. {"title": ..., "authors": [...]}')
        ]
    where: Where = {"source": source}
    problems = []
    known = set(FIELDS) | set(EXTRA_FIELDS)
    data: dict[str, Any] = {}
    for name, given in payload.items():
        canonical = ALIASES.get(name, name)
        if canonical in known:
            data[canonical] = given
        elif name not in IGNORED:
            problems.append(Problem("unknown field", field=str(name)[:40], hint="use only " + ", ".join([*FIELDS, *EXTRA_FIELDS]), **where))
    values: dict[str, Any] = {}
    for spec in FIELD_TABLE:  # every field the payload may carry, read by its value kind
        if not spec.form:
            continue
        value: Any
        if spec.value == "names":
            value, found = _list(data, spec.form, _AUTHOR_SEPARATOR, where)
            value = [split_name(a) for a in value]  # "First Last" or "Last, First", split as BibTeX splits them
        elif spec.value in ("keys", "texts"):
            value, found = _list(data, spec.form, _COMMA if spec.value == "keys" else _FACET_SEPARATOR, where)
        elif spec.value == "year":
            value, found = _year(data, where)
        else:
            value, found = _text(data, spec.form, where)
        values[spec.name] = tuple(value) if isinstance(value, list) else value
        problems += found
    why, found = _text(data, "why", where)
    contact, found_contact = _text(data, "contact", where)
    problems += found + found_contact
    names, cites = values.pop("authors"), values.pop("cites")
    values |= entry_fields(values["entry_type"], values["venue"], values["booktitle"], values["journal"])
    values |= {"arxiv": normalise_arxiv_id(values["arxiv"]), "doi": normalise_doi(values["doi"])}
    paper = Paper(key=PLACEHOLDER_KEY, relation="community", authors=tuple(n.display for n in names), author_names=names, **values)
    return [Draft(with_clean_links(paper), why=why, contact=contact, source=source, cites=cites)], problems


def entry_fields(entry_type: str, venue: str, booktitle: str, journal: str) -> dict[str, str]:
    """The entry type and container of a payload: as given, else from the container given, else from the venue the
    form asks for (it asks for no type), so that a paper the submitter says appeared at a venue is not exported as
    a preprint: a preprint server stays `misc`, a journal's name makes an `article` in it, any other venue an
    `inproceedings` in it.

    >>> [entry_fields("", v, "", "")["entry_type"] for v in ("ACL 2024", "TMLR 2024", "arXiv 2024", "")]
    ['inproceedings', 'article', 'misc', 'misc']
    >>> entry_fields("", "ACL 2024", "", ""), entry_fields("InProceedings", "ACL 2024", "Proceedings of ACL", "")["booktitle"]
    ({'entry_type': 'inproceedings', 'booktitle': 'ACL 2024', 'journal': ''}, 'Proceedings of ACL')
    """
    if entry_type or booktitle or journal:
        kind = entry_type.lower() or ("article" if journal else "inproceedings")
    elif not venue or _PREPRINT_VENUE.match(venue):
        kind = "misc"
    elif _JOURNAL_VENUE.search(venue):
        kind, journal = "article", venue
    else:
        kind, booktitle = "inproceedings", venue
    return {"entry_type": kind, "booktitle": booktitle, "journal": journal}


def _too_long(text: str, source: str) -> list[Problem]:
    if len(text) > MAX_INPUT_CHARS:
        return [Problem(f"the input is {len(text)} characters long; the limit is {MAX_INPUT_CHARS}", source, 1, hint="submit fewer papers at once")]
    return []


def read_bibtex(text: str, source: str = "bibtex", *, why: str = "", contact: str = "") -> tuple[list[Draft], list[Problem]]:
    """Drafts from pasted BibTeX (one or more entries); broken entries become problems with their line."""
    if problems := _too_long(text, source):
        return [], problems
    parsed = parse_bibtex(text, source)
    drafts = [
        Draft(
            with_clean_links(replace(p, key=PLACEHOLDER_KEY, relation="community", cites=())),
            why=" ".join(why.split()),
            contact=" ".join(contact.split()),
            source=source,
            label=p.key,
            form=False,
            cites=p.cites,
        )
        for p in parsed.papers
    ]
    return drafts, list(parsed.problems)


def with_default_node(drafts: Sequence[Draft], node: str | None) -> list[Draft]:
    """Put drafts that name no taxonomy node under `node` (the paste tab's and `add --node`'s default)."""
    if not node:
        return list(drafts)
    return [d if d.paper.taxonomy else replace(d, paper=replace(d.paper, taxonomy=(node,))) for d in drafts]


def read_text(text: str, source: str = "input") -> tuple[list[Draft], list[Problem]]:
    """Drafts from JSON (an object or a list of objects) or BibTeX, told apart by the first character."""
    if problems := _too_long(text, source):
        return [], problems
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("{", "[")):
        return read_bibtex(text, source)
    try:
        payload = json.loads(stripped)
    except json.JSONDecodeError as exc:
        return [], [Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", source, exc.lineno, hint="check quotes and commas, or send BibTeX instead")]
    except RecursionError:  # json nests by recursion: "[[[[...]]]]" a few thousand deep exhausts the stack
        return [], [Problem("the JSON is nested too deeply", source, 1, hint="send one object, or a list of objects, with the form's fields")]
    return read_payload(payload, source)


def payload_of(draft: Draft) -> dict[str, Any]:
    """The stored payload: every form field of the field table with its normalised value, then the reviewers' own
    fields; `read_payload` reads it back to the same paper (authors in their BibTeX form, so a split survives)."""
    p = draft.paper
    data: dict[str, Any] = {}
    for spec in FIELD_TABLE:
        if not spec.form:
            continue
        value = [n.bibtex for n in p.author_names] if spec.value == "names" else draft.cites if spec.name == "cites" else getattr(p, spec.name)
        data[spec.form] = list(value) if isinstance(value, tuple) else value
    data |= {"why": draft.why, "contact": draft.contact}
    return {name: value for name, value in data.items() if value not in ("", [], None)}
