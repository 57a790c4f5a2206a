"""Person names split as BibTeX splits them, so that every format gets the same family and given names.

Terms:
- *display form*: "Given Family Suffix", as pages show a name ("Loubna Ben Allal").
- *BibTeX form*: what `author` holds. "Given Family" is read by BibTeX's rule (the last word is the family name,
  lowercase words before it are a particle that stays with it: "Leandro von Werra"); a family name of several
  words that rule would cut ("Ben Allal") must be written "Family, Given" ("Ben Allal, Loubna").
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from bibtexparser.middlewares.names import parse_single_name_into_parts


class PersonName(NamedTuple):
    """One author: given names, family name (with its particle: "von Werra") and suffix ("Jr.")."""

    given: str
    family: str
    suffix: str = ""

    @property
    def display(self) -> str:
        """The name as pages show it.

        >>> PersonName("Loubna", "Ben Allal").display
        'Loubna Ben Allal'
        """
        return " ".join(part for part in (self.given, self.family, self.suffix) if part)

    @property
    def bibtex(self) -> str:
        """The name as BibTeX reads it back to these parts: "Given Family" where that splits right, else "Family, Given".

        >>> PersonName("Yaniv", "Leviathan").bibtex, PersonName("Loubna", "Ben Allal").bibtex, PersonName("Leandro", "von Werra").bibtex
        ('Yaniv Leviathan', 'Ben Allal, Loubna', 'Leandro von Werra')
        """
        if not self.suffix and split_name(self.display) == self:
            return self.display
        return ", ".join(part for part in (self.family, self.suffix, self.given) if part)


@lru_cache(maxsize=65536)
def split_name(name: str) -> PersonName:
    """A name in either BibTeX form, split by BibTeX's rule; cached, since the same authors recur.

    >>> split_name("Ben Allal, Loubna"), split_name("Loubna Ben Allal")
    (PersonName(given='Loubna', family='Ben Allal', suffix=''), PersonName(given='Loubna Ben', family='Allal', suffix=''))
    >>> split_name("Leandro von Werra").family, split_name("Plato"), split_name("King, Jr., Martin Luther").suffix
    ('von Werra', PersonName(given='', family='Plato', suffix=''), 'Jr.')
    """
    name = " ".join(name.split())
    words = name.split(" ")
    if "," not in name and "{" not in name and all(w[:1].isupper() for w in words[1:]):
        return PersonName(" ".join(words[:-1]), words[-1])  # the common case, as BibTeX splits it, without its parser
    parts = parse_single_name_into_parts(name, strict=False)
    family = " ".join([*parts.von, *parts.last]) or name
    return PersonName(" ".join(parts.first), family, " ".join(parts.jr))
