"""LaTeX in BibTeX values: decode to Unicode on the way in, escape on the way out.

Decoding is lazy: most values hold no backslash and only lose their case-protecting braces, so the slow
general decoder (pylatexenc, which bibtexparser already depends on) runs only on values that need it.
Escaping produces only the few sequences `decode` reverses exactly, so write -> parse round-trips.
`decode` never raises, and LaTeX links stay text: `\\url{x}` and `\\href{x}{y}` become their text (pylatexenc's own
forms would be `<x>` and `y <x>`, and it raised IndexError on `\\href`), and a value the general decoder
cannot read falls back to dropping commands and braces. One odd entry must not take the others down.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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


_COMMAND = re.compile(r"\\[A-Za-z]+\*?|\\.?|[{}]", re.DOTALL)


def _last_argument_text(node: Any, l2tobj: Any) -> str:
    """The text of a link macro's last argument (`\\url{x}` -> x, `\\href{x}{y}` -> y); empty when the value ends early."""
    args = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
    text: str = l2tobj.nodelist_to_text(args[-1:])
    return text


@lru_cache(maxsize=1)
def _general_decoder() -> tuple[Any, Any]:  # imported lazily: pylatexenc costs ~0.1 s to set up
    """(parser context, text converter): both know `\\url` and `\\href`, so their arguments are read as such."""
    from pylatexenc import latexwalker, macrospec
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    parsing = latexwalker.get_default_latex_context_db()  # fresh databases on every call, ours to extend
    parsing.add_context_category("survey-links", macros=[macrospec.std_macro("href", False, 2), macrospec.std_macro("url", False, 1)], prepend=True)
    text = get_default_latex_context_db()
    text.add_context_category("survey-links", macros=[MacroTextSpec(n, simplify_repl=_last_argument_text) for n in ("href", "url")], prepend=True)
    return parsing, LatexNodes2Text(latex_context=text, math_mode="verbatim", strict_latex_spaces=True)


def _general_decode(value: str) -> str:
    from pylatexenc.latexwalker import LatexWalker

    parsing, converter = _general_decoder()
    try:
        nodes, _, _ = LatexWalker(value, latex_context=parsing, tolerant_parsing=True).get_latex_nodes()
        text: str = converter.nodelist_to_text(nodes)
        return text
    except Exception:  # a third-party parser on untrusted text: any failure falls back, never spreads
        return _COMMAND.sub(" ", value)


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
        return _SPACE.sub(" ", _general_decode(value)).strip()
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
