"""In-place edits of fields of existing BibTeX entries, keeping everything else of the file byte for byte.

`bibliography` writes whole entries (new papers); a refresh only adds or changes a few raw fields (the
`openalex` and `s2` ids) of entries that people wrote and formatted, with comments between them. Rewriting
the file from parsed papers would reorder and reformat it; this edits the text of each entry instead and then
checks that the result parses to the same papers with only those fields changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

import bibtexparser

from ..errors import BibliographyError
from .bibliography import _RAW_FIELDS, _UNSAFE_RAW, parse_bibtex


def _set_field(raw: str, name: str, value: str) -> str:
    """The entry text `raw` with `name = {value}`: the field's value replaced, or the field added as the last one."""
    existing = re.compile(rf"(?im)^(\s*{re.escape(name)}\s*=\s*)\{{[^{{}}\n]*\}}")
    if existing.search(raw):
        return existing.sub(lambda m: f"{m.group(1)}{{{value}}}", raw, count=1)
    body = raw.rstrip()
    if not body.endswith("}"):
        raise BibliographyError(f"entry {raw[:40]!r} does not end with a closing brace; fix it before refreshing")
    body = body[:-1].rstrip()
    return f"{body}{'' if body.endswith(',') else ','}\n  {name} = {{{value}}}\n}}" + raw[len(raw.rstrip()) :]


def set_fields(text: str, updates: Mapping[str, Mapping[str, str]], source: str = "papers.bib") -> str:
    """`text` with the raw fields of `updates` (key -> field -> value) set in those entries; the rest unchanged.

    Only raw fields (ids, links) may be set, with values that cannot break out of their braces. Raises
    `BibliographyError` when an entry is missing or the edited text would not parse to the same papers with
    only those fields changed.

    >>> print(set_fields("@misc{a,\\n  title = {T}\\n}\\n", {"a": {"openalex": "W1"}}))
    @misc{a,
      title = {T},
      openalex = {W1}
    }
    <BLANKLINE>
    """
    for key, fields in updates.items():
        for name, value in fields.items():
            if name not in _RAW_FIELDS or _UNSAFE_RAW.search(value) or not value:
                raise BibliographyError(f"[{key}] refusing to set {name} = {value[:40]!r}: only non-empty raw fields without braces are set in place")
    library = bibtexparser.parse_string(text, parse_stack=[])
    entries = {entry.key: entry for entry in library.entries}
    missing = sorted(set(updates) - set(entries))
    if missing:
        raise BibliographyError(f"{source}: no entry {missing[0]!r} to update; was it removed meanwhile?")
    out: list[str] = []
    position = 0
    # Parsed blocks always carry their line and text; bibtexparser types both optional for blocks built in code.
    for block in sorted((entries[key] for key in updates), key=lambda b: b.start_line or 0):
        raw = block.raw or ""
        start = text.find(raw, position)
        if start < 0:
            raise BibliographyError(f"{source}: the text of entry {block.key!r} was not found where the parser saw it")
        new = raw
        for name, value in updates[block.key].items():
            new = _set_field(new, name, value)
        out += [text[position:start], new]
        position = start + len(raw)
    result = "".join([*out, text[position:]])
    before, after = parse_bibtex(text, source), parse_bibtex(result, source)
    expected = [replace(p, **cast("Mapping[str, Any]", updates[p.key])) if p.key in updates else p for p in before.papers]
    if after.papers != expected or len(after.problems) != len(before.problems):
        raise BibliographyError(f"{source}: setting the ids would change more than the ids; nothing was written")
    return result
