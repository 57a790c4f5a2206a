"""The pure core of the pages: what a page's filters say, from its URL and its widgets. No Streamlit here.

Terms:
- *URL params*: the page's query parameters as lists (`{"node": ["competition"]}`), the shareable view.
- *widget state*: the values of a page's filter widgets, keyed `<prefix>_<filter>` (`explore_node`), as Streamlit
  keeps them in session state; plus two keys of the page's own: `<prefix>__url`, the params the page last wrote,
  and `<prefix>__drawn`, the selection it last drew.
- *reconcile*: decide which of the two a run follows. The URL wins when it changed under the page (Back, Forward, a
  link, a reload: it is not what the page last wrote) and no filter was touched since the last run; otherwise the
  widgets win, since a click's rerun can carry an older query that must not undo the click.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.records import RELATION_LABELS
from survey_taxonomy.query.selection import Selection

FILTERS = ("node", "facets", "years", "venues", "relations", "has_code", "query", "meaning")
MAX_QUERY = 200
TABLE_ROWS = 200  # rows of a selection drawn at once, as Datasette pages its tables: 10,000 rows cost each rerun ~0.5 s


@dataclass(frozen=True)
class ViewState:
    """What a run of a filtered page shows, and what it must set first.

    `seed` holds the widget values to set before drawing (empty when the widgets are followed); `notices` the
    values of the URL that were dropped, for a short message; `selection` what the page filters by.
    """

    selection: Selection
    seed: Mapping[str, Any]
    notices: tuple[str, ...] = ()


def widget_values(prefix: str, c: Corpus, selection: Selection, year_span: tuple[int, int]) -> tuple[dict[str, Any], list[str]]:
    """The widget values that show `selection`, keeping only values that name something in the corpus, and the
    values dropped (topics in any case or spacing are matched to their display form)."""
    values: dict[str, Any] = {
        f"{prefix}_node": selection.node or "",
        f"{prefix}_facets": [t for t in dict.fromkeys(c.topic(f) for f in selection.facets) if t],
        f"{prefix}_venues": [v for v in selection.venues if v in c.venue_names],
        f"{prefix}_relations": list(selection.relations),
        f"{prefix}_has_code": selection.has_code,
        f"{prefix}_query": selection.query,
        f"{prefix}_meaning": selection.by_meaning,
    }
    lo = max(selection.year_min or year_span[0], year_span[0])
    hi = min(selection.year_max or year_span[1], year_span[1])
    values[f"{prefix}_years"] = (lo, hi) if lo <= hi else year_span
    dropped = {f for f in selection.facets if c.topic(f) is None} | (set(selection.venues) - c.venue_names)
    return values, sorted(dropped)


def selection_from_widgets(state: Mapping[str, Any], prefix: str, c: Corpus, year_span: tuple[int, int], fields: tuple[str, ...] = FILTERS) -> Selection:
    """The selection the widgets make; a value that is not an id of the corpus is left out, so it never reaches a
    filter, and a filter the page does not draw (`fields`) is off."""
    years = state.get(f"{prefix}_years", year_span)
    lo, hi = years if isinstance(years, tuple | list) and len(years) == 2 else year_span
    node = state.get(f"{prefix}_node") or None
    query = str(state.get(f"{prefix}_query", "")).strip()[:MAX_QUERY] if "query" in fields else ""
    return Selection(
        node=node if "node" in fields and node in c.taxonomy else None,
        facets=tuple(f for f in state.get(f"{prefix}_facets", ()) if f in c.topics) if "facets" in fields else (),
        year_min=lo if "years" in fields and lo > year_span[0] else None,
        year_max=hi if "years" in fields and hi < year_span[1] else None,
        venues=tuple(v for v in state.get(f"{prefix}_venues", ()) if v in c.venue_names) if "venues" in fields else (),
        relations=tuple(r for r in state.get(f"{prefix}_relations", ()) if r in RELATION_LABELS) if "relations" in fields else (),
        has_code=bool(state.get(f"{prefix}_has_code", False)) if "has_code" in fields else False,
        query=query,
        by_meaning=bool(query) and bool(state.get(f"{prefix}_meaning")),
    )


def reconcile(
    url_params: Mapping[str, list[str]],
    state: Mapping[str, Any],
    prefix: str,
    c: Corpus,
    year_span: tuple[int, int],
    fields: tuple[str, ...] = FILTERS,
) -> ViewState:
    """Which selection a run of the page shows, from its URL and its widget state (see the module's terms).

    When the URL wins, `seed` holds the widget values to set and `selection` is what they make; the URL's bad
    values are in `notices`. Otherwise `seed` is empty and `selection` is the widgets'.
    """
    present = any(f"{prefix}_{name}" in state for name in FILTERS)  # Streamlit drops a page's widgets when it is left
    drawn = state.get(f"{prefix}__drawn")
    touched = present and drawn is not None and selection_from_widgets(state, prefix, c, year_span, fields) != drawn
    if state.get(f"{prefix}__url") == url_params or touched:
        return ViewState(selection_from_widgets(state, prefix, c, year_span, fields), {})
    from_url, notices = Selection.from_params(dict(url_params), c.taxonomy)
    seed, dropped = widget_values(prefix, c, from_url, year_span)
    if dropped:
        notices = [*notices, f"ignored unknown values {', '.join(dropped)}"]
    return ViewState(selection_from_widgets({**state, **seed}, prefix, c, year_span, fields), seed, tuple(notices))


def table_page(total: int, asked: object, size: int = TABLE_ROWS) -> tuple[int, int, int, int]:
    """(page, pages, start, stop) of a table of `total` rows shown `size` at a time, at the page `asked` for; any
    value asked for (a stale page after a filter change, not a number) lands on a page that exists.

    >>> table_page(450, 3), table_page(450, 9), table_page(0, 1), table_page(10, "x")
    ((3, 3, 400, 450), (3, 3, 400, 450), (1, 1, 0, 0), (1, 1, 0, 10))
    """
    pages = max(1, -(-total // size))
    page = min(max(asked, 1), pages) if isinstance(asked, int) and not isinstance(asked, bool) else 1
    return page, pages, (page - 1) * size, min(page * size, total)
