"""LaTeX in BibTeX values: decode to Unicode on the way in, escape on the way out.

Decoding is lazy: most values hold no backslash and only lose their case-protecting braces, so the slow
general decoder (pylatexenc, which bibtexparser already depends on) runs only on values that need it.
Escaping produces only the few sequences `decode` reverses exactly, so write -> parse round-trips.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()} | {r"\{": "{", r"\}": "}"}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)  # str.translate: one C pass instead of a Python loop per character
_TOKEN = re.compile(r"\\textbackslash\{\}|\\textbrace(?:left|right)\{\}|\\[&%$#_{}]|[{}]")
_ONLY_OURS = re.compile(r"\\(?!textbackslash\{\}|textbrace(?:left|right)\{\}|[&%$#_{}])")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _general_decoder():  # imported lazily: pylatexenc costs ~0.1 s to set up
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def decode(value: str) -> str:
    """Turn a BibTeX value into plain Unicode text with single spaces.

    >>> decode("The {BERT} model \\\\& friends")
    'The BERT model & friends'
    >>> decode('M{\\\\"u}ller')
    'Müller'
    """
    if "\\" not in value:  # the common case: at most case-protecting braces to drop
        if "{" in value or "}" in value:
            value = value.replace("{", "").replace("}", "")
        return " ".join(value.split())  # same as collapsing `\s+` and stripping: both use str.isspace
    if _ONLY_OURS.search(value):
        return _SPACE.sub(" ", _general_decoder().latex_to_text(value)).strip()
    return _SPACE.sub(" ", _TOKEN.sub(lambda m: _UNESCAPES.get(m.group(0), ""), value)).strip()


@lru_cache(maxsize=65536)
def decode_short(value: str) -> str:
    """`decode` with a cache, for the short values that repeat across a bibliography (names, venues, topics)."""
    return decode(value)


def escape(text: str) -> str:
    """Escape plain text so that it is one safe, brace-balanced BibTeX value.

    >>> escape("a}, author = {x")
    'a\\\\textbraceright{}, author = \\\\textbraceleft{}x'
    """
    return text.translate(_ESCAPE_TABLE)
