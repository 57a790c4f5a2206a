"""The shared widgets of the pages: the filter sidebar, the paper table and cards, downloads, the paper panel,
reading-list buttons, links and badges. Text from data goes through `markdown_text` or `safe_url`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from atlas_ui.cache import browser_id, reading_lists, retriever
from atlas_ui.state import FILTERS, reconcile, table_page
from atlas_ui.url import open_paper, url_params
from survey_taxonomy.data.abstracts import abstract_of
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.provenance import citation_counts, describe_sources
from survey_taxonomy.data.records import RELATION_LABELS, Paper, code_badge
from survey_taxonomy.data.validation import clean_url
from survey_taxonomy.data.words import clipped, plural
from survey_taxonomy.export.cards import cards_html, paper_url
from survey_taxonomy.export.cite import coins_span
from survey_taxonomy.export.writers import export, markdown_text
from survey_taxonomy.query.selection import Selection, facet_counts, node_counts
from survey_taxonomy.submissions.reading_list import owner_id

if TYPE_CHECKING:
    pass


def citation_sources(c: Corpus) -> None:
    """The caption every page with citations carries: where the links come from and when they were refreshed."""
    st.caption(markdown_text(describe_sources(c)))


def relation_label(relation: str) -> str:
    return RELATION_LABELS.get(relation, relation)


def node_label(c: Corpus, node_id: str) -> str:
    """A taxonomy node as shown in select boxes: indented by depth, with its section number.

    A label never carries a count: Streamlit sends a select box's value as its label, so a label that changes
    between reruns (a count that follows the other filters) would come back as the value itself.
    """
    if not node_id:
        return "All of the taxonomy"
    node = c.taxonomy[node_id]
    return f"{'  ' * node.depth}{'└ ' if node.depth else ''}{node.heading}"


def year_span(c: Corpus) -> tuple[int, int]:
    years = c.frame["year"].dropna()
    return (int(years.min()), int(years.max())) if len(years) else (2000, 2000)


def _counts_caption(counts: Mapping[str, int] | pd.Series[int], label: Callable[[str], str], limit: int = 6) -> str:
    """The most frequent options with their counts, for a caption under a filter."""
    items = [(k, int(n)) for k, n in dict(counts).items() if n][:limit]
    return " · ".join(f"{markdown_text(label(k))} {n}" for k, n in items)


def filter_sidebar(c: Corpus, prefix: str, fields: tuple[str, ...] = FILTERS) -> Selection:
    """Draw the filter widgets (set from the URL), with counts, and return the selection they make.

    The URL is the source of truth: when it differs from what this page last wrote (first visit, Back or
    Forward, a link, a reload), the widgets are set from it. Counts are "drill-sideways": the papers an option
    would give with every other filter kept, as in faceted search engines. They are shown in captions, never
    in option labels (see `node_label`).
    """
    span = year_span(c)
    state = st.session_state
    view = reconcile(url_params(), state.to_dict(), prefix, c, span, fields)  # which of URL and widgets this run follows
    for name, value in view.seed.items():
        state[name] = value
    for notice in view.notices:
        st.toast(f"Link: {markdown_text(notice)}", icon=":material/warning:")
    current = view.selection
    state[f"{prefix}__drawn"] = current
    frame = c.frame
    counted = current.sideways(frame, [name for name in ("node", "facets", "venues", "relations", "has_code") if name in fields])
    with st.sidebar:
        st.subheader("Filters")
        if "query" in fields:
            st.text_input(
                "Search titles, authors, summaries",
                key=f"{prefix}_query",
                placeholder="e.g. routing (finds router, routers)",
                help="Every word must match; word forms count as one word (routing, router, routers). Press / to come here.",
            )
            st.toggle(
                "Search by meaning",
                key=f"{prefix}_meaning",
                help="Rank papers by what the search is about, not its words (WordLlama embeddings): "
                "“make decoding faster” finds speculative decoding. Shows the papers close to the best match, with their similarity.",
            )
        if "node" in fields:
            counts = node_counts(frame["taxonomy"].to_numpy()[counted["node"]], c.taxonomy)
            options = ["", *[n.id for n in c.taxonomy.walk()]]
            st.selectbox("Taxonomy node (includes its sub-nodes)", options, key=f"{prefix}_node", format_func=lambda n: node_label(c, n))
            if current.node:
                st.caption(f"{plural(counts.get(current.node, 0), 'paper')} in this node with the other filters")
        if "facets" in fields:
            topic_counts = facet_counts(frame["topics"].to_numpy()[counted["facets"]])
            chosen = [t for t in st.session_state.get(f"{prefix}_facets", []) if t in c.topics]
            options = list(dict.fromkeys([*chosen, *topic_counts.index]))
            # No "Select all": topics must all match, so selecting every topic would always give nothing.
            st.multiselect("Topics (all must match)", options, key=f"{prefix}_facets", select_all=False)
            if len(topic_counts):
                st.caption("Most frequent here: " + _counts_caption(topic_counts, str))
        if "years" in fields and span[0] < span[1]:
            st.slider("Years", span[0], span[1], key=f"{prefix}_years")
        if "venues" in fields:
            venue_counts = facet_counts(frame["venue_name"].to_numpy()[counted["venues"]])
            chosen = [v for v in st.session_state.get(f"{prefix}_venues", []) if v in c.venue_names]
            options = list(dict.fromkeys([*chosen, *venue_counts.index]))
            st.multiselect("Venues", options, key=f"{prefix}_venues")
        if "relations" in fields:
            rel_counts = facet_counts(frame["relations"].to_numpy()[counted["relations"]])
            st.multiselect("Relation to the survey", list(RELATION_LABELS), key=f"{prefix}_relations", format_func=relation_label)
            st.caption(_counts_caption(rel_counts, relation_label))
        if "has_code" in fields:
            with_code = int(frame["has_code"].to_numpy()[counted["has_code"]].sum())
            st.checkbox(f"Only papers with code ({with_code})", key=f"{prefix}_has_code")
        if not current.is_empty():
            clear_button(prefix)
    return current


def clear_button(prefix: str, where: str = "sidebar") -> None:
    """*Clear all filters*: in the sidebar, and where a page says nothing matches (there a mention of the button
    in bold text read as a control, and a click on it did nothing)."""
    st.button(
        "Clear all filters",
        key=f"{prefix}_clear" if where == "sidebar" else f"{prefix}_clear_{where}",
        on_click=_clear_filters,
        args=(prefix,),
        icon=":material/filter_alt_off:",
    )


def _clear_filters(prefix: str) -> None:
    """Forget the page's filters and empty its URL, before the run the click starts: that one run then draws
    every widget at its default (clearing within the run drew the page twice)."""
    for name in FILTERS:
        st.session_state.pop(f"{prefix}_{name}", None)
    st.query_params.clear()


@lru_cache(maxsize=1 << 16)  # the table rebuilds every shown link on each click; parsing them was a tenth of a run
def safe_url(url: str) -> str:
    """`url` rebuilt from its parsed parts when it is an http(s) address with a host, else "" (shown as no link).

    Rebuilding percent-encodes what could end a Markdown link (spaces, brackets, parentheses, quotes) and
    drops a user name (`https://trusted.org@evil.example`), so a stored URL can only ever be one link.
    """
    return clean_url(url) or ""


def meaning_note(selection: Selection) -> None:
    """Under a search by meaning, what the list holds and what its Similarity column means."""
    if selection.by_meaning:
        from survey_taxonomy.models.retrieval import MEANING_FLOOR, MEANING_MARGIN

        st.caption(
            f"Closest first: the papers whose similarity to the search is within {MEANING_MARGIN:.2f} of the best match and at"
            f" least {MEANING_FLOOR:.2f}. Similarity is the cosine of the two texts' WordLlama embeddings, not a probability."
        )


def selected(c: Corpus, selection: Selection) -> pd.DataFrame:
    """The selection's rows: `Selection.filter`, or the closest papers when the search is by meaning."""
    if not selection.by_meaning:
        return selection.filter(c.frame)
    from survey_taxonomy.models.retrieval import filter_by_meaning  # the retriever's imports are paid only by a search by meaning

    return filter_by_meaning(selection, c.frame, retriever(c))


def paper_table(c: Corpus, result: pd.DataFrame, prefix: str) -> None:
    """The papers of a selection: a table on wide screens, cards on a phone, and a title box.

    A row or a title opens its paper through `open_paper`; the table is then drawn anew (a new key), so the
    open paper is always the URL's and never a stale row selection.
    """
    state = st.session_state
    nonce = state.get(f"{prefix}_table_nonce", 0)
    table_key = f"{prefix}_table_{nonce}"
    page, pages, start, stop = table_page(len(result), state.get(f"{prefix}_page", 1))
    if pages > 1:  # a long selection is drawn a page at a time; the downloads still hold all of it
        state[f"{prefix}_page"] = page
        st.number_input(f"Page, of {pages}", min_value=1, max_value=pages, step=1, key=f"{prefix}_page")
        st.caption(f"Papers {start + 1}–{stop} of {len(result)}. Narrow the filters to see fewer; the downloads below hold all of them.")
    result = result.iloc[start:stop]
    keys = list(result["key"])

    def open_row() -> None:
        rows = state[table_key].selection.rows
        if rows:
            open_paper(keys[rows[0]])
            state[f"{prefix}_table_nonce"] = nonce + 1

    def open_title() -> None:
        open_paper(state[f"{prefix}_open"] or "")
        state[f"{prefix}_open"] = None

    table = result.assign(
        relation_label=result["relation"].map(relation_label),
        page=[paper_url(k) for k in keys],
        url=result["url"].map(safe_url),
        code=result["code"].map(safe_url),
    )
    columns = ["title", "authors_text", "year", "venue", "relation_label", "page", "url", "code"]
    if "similarity" in table:  # a search by meaning: what the order rests on, said with its meaning
        columns.insert(0, "similarity")
    with st.container(key=f"{prefix}_wide"):
        st.dataframe(
            table[columns],  # only what is shown: the frame's search columns would be serialised on every rerun
            key=table_key,
            hide_index=True,
            on_select=open_row,
            selection_mode="single-row",
            column_config={
                "title": st.column_config.TextColumn("Title", width="large"),
                "authors_text": st.column_config.TextColumn("Authors", width="medium"),
                "year": st.column_config.NumberColumn("Year", format="%d", width="small"),
                "venue": st.column_config.TextColumn("Venue"),
                "relation_label": st.column_config.TextColumn("Relation"),
                "page": st.column_config.LinkColumn("Page", display_text="page ↗", width="small", help="The paper's own page in this atlas"),
                "url": st.column_config.LinkColumn("Paper", display_text="open ↗", width="small"),
                "code": st.column_config.LinkColumn("Code", display_text="code ↗", width="small"),
                "similarity": st.column_config.NumberColumn("Similarity", format="%.2f", width="small", help=SIMILARITY_HELP),
            },
            height=min(38 + 35 * len(table), 460),
        )
    with st.container(key=f"{prefix}_cards"):
        st.html(cards_html([c.by_key[k] for k in keys[:CARDS]], len(keys)))
    st.selectbox(
        "Or open a paper by title",
        keys,
        index=None,
        key=f"{prefix}_open",
        on_change=open_title,
        placeholder="Type to find a paper of this list…",
        format_func=lambda k: f"{c.by_key[k].title} ({c.by_key[k].year or 'n.d.'})",
    )


CARDS = 30  # cards drawn for a phone; the wide table shows every row


SIMILARITY_HELP = (
    "Cosine similarity of the WordLlama embeddings of your search and of the paper's text (title, summary, taxonomy,"
    " topics): higher is closer in meaning. It is not a probability and not a measure of quality."
)


PAPER_PAGE = "pages/paper.py"


def downloads(c: Corpus, result: pd.DataFrame, selection: Selection, prefix: str) -> None:
    """Download buttons for the selection in every format; files are built on click and named for the selection."""
    papers = [c.by_key[k] for k in result["key"]]
    download_buttons(papers, selection.slug(), prefix)


def download_buttons(papers: list[Paper], slug: str, prefix: str) -> None:
    """One button per export format (citable BibTeX first); `slug` names the files.

    A few papers (a reading list, one paper) are written with the page: a file built on click needs a round trip
    to the server first, and on a busy machine a click could be lost in it. Large selections are built on click,
    so that every rerun of Explore does not write them six times.
    """
    cols = st.columns(len(DOWNLOADS))
    for col, (fmt, label, mime, ext) in zip(cols, DOWNLOADS, strict=True):
        col.download_button(
            f"{label} ({len(papers)})",
            export(papers, fmt) if len(papers) <= EAGER_DOWNLOADS else partial(export, papers, fmt),
            file_name=f"small-models-atlas_{slug}.{ext}",
            mime=mime,
            key=f"{prefix}_download_{fmt}",
            help=DOWNLOAD_HELP[fmt],
            width="stretch",
        )


EAGER_DOWNLOADS = 50  # papers up to which download files are written with the page (see `download_buttons`)


DOWNLOADS = (
    ("cite", "BibTeX", "application/x-bibtex", "bib"),
    ("ris", "RIS", "application/x-research-info-systems", "ris"),
    ("csl", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json"),
    ("bibtex", "Full BibTeX", "application/x-bibtex", "full.bib"),
    ("csv", "CSV", "text/csv", "csv"),
    ("json", "JSON", "application/json", "records.json"),
)


DOWNLOAD_HELP = {
    "cite": "Standard fields only, ready to cite with any BibTeX style.",
    "ris": "For Zotero, Mendeley and EndNote.",
    "csl": "CSL-JSON, for Zotero and citation processors.",
    "bibtex": "The dataset's own format, with taxonomy, topics, summary and provenance.",
    "csv": "A spreadsheet (cells that look like formulas are neutralised).",
    "json": "The project's record format.",
}


def paper_details(c: Corpus, paper: Paper, here: str = "paper") -> None:
    """The detail panel of one paper: facts, summary, taxonomy path, links, citations and BibTeX.

    `here` is the page showing it: in Explore a citation link moves the panel (and the URL, filters kept);
    elsewhere it opens the cited paper's own page.
    """
    if here != "paper":
        st.subheader(markdown_text(paper.title))
        with st.container(horizontal=True, vertical_alignment="center"):  # each action as wide as its label, wrapped on a narrow window
            st.page_link(PAPER_PAGE, label="Open the paper's page", icon=":material/article:", query_params={"key": paper.key})
            reading_button(c, paper.key, here)
            with st.popover("Cite", icon=":material/format_quote:"):
                # Drawn when opened, as Semantic Scholar's Cite: a code block costs the browser about 0.5 s of CPU
                # on every load of a page that shows one, and most visits to Explore do not cite.
                bibtex_block(paper)
    st.markdown(
        f"{markdown_text(', '.join(paper.authors)) or '*Authors unknown*'}  \n"
        f"**{markdown_text(paper.venue) or 'Venue unknown'}** · {paper.year or 'year unknown'} · {relation_label(paper.relation)}"
    )
    st.html(coins_span(paper))  # invisible: the Zotero Connector saves the paper shown from it
    if paper.relation in ("curated", "community"):
        st.caption("Not in the survey's own paper list: added by this project" + (" from a community submission." if paper.relation == "community" else "."))
    if paper.summary:
        st.markdown(markdown_text(paper.summary))
    abstract = abstract_of(c.abstracts, paper.key)
    if abstract is not None:
        with st.expander("Abstract, in the authors' words", expanded=here == "paper"):
            st.markdown(markdown_text(abstract.text))
            st.caption(abstract.label + ". The paragraph above this box is the atlas's own summary.")
    elif here == "paper":
        st.caption("No abstract yet: `citations refresh` fetches abstracts from OpenAlex and Semantic Scholar on a machine with internet.")
    for node_id in paper.taxonomy:
        if node_id in c.taxonomy:
            st.markdown("Taxonomy: " + " › ".join(markdown_text(label) for label in c.taxonomy.path_labels(node_id)))
    if paper.topics:
        st.markdown("Topics: " + ", ".join(markdown_text(t) for t in paper.topics))
    link_badges(paper)
    counts = citation_counts(c, paper.key)
    if counts:
        st.markdown("Citations: " + " · ".join(markdown_text(count.label) for count in counts))
    else:
        st.caption("No citation count yet: `citations refresh` fetches them from OpenAlex and Semantic Scholar on a machine with internet.")
    cites, cited_by = c.links_of(paper.key)
    left, right = st.container(key=f"{here}_links").columns(2)
    # Two papers can cite each other (a later version of one cites the other), so each column's links have a slot
    # of their own.
    for col, title, slot, keys in ((left, "Cites (in this dataset)", "cites", cites), (right, "Cited by (in this dataset)", "cited_by", cited_by)):
        with col:
            st.markdown(f"**{title}: {len(keys)}**")
            for key in keys[:12]:
                paper_link(c, key, here, slot=slot)
            if len(keys) > 12:
                st.caption(f"… and {len(keys) - 12} more (see the citation graph).")
            if not keys:
                st.caption("None known. Citation links are recorded only where a public source shows them.")
    citation_sources(c)
    if paper.note:
        with st.expander("Provenance of this record"):
            st.text(paper.note)
    if here == "paper":
        bibtex_block(paper)


def bibtex_block(paper: Paper) -> None:
    """The paper's citable BibTeX (standard fields only), with Streamlit's copy button."""
    st.markdown("**BibTeX** to cite it (copy with the button at the top right of the box)")
    st.code(export([paper], "cite"), language="bibtex", wrap_lines=True)  # a long title or author list stays in view


def _reader() -> str:
    """This browser's reading-list owner."""
    return owner_id(browser_id())


def reading_list(c: Corpus) -> list[str]:
    """The keys of this browser's reading list that the corpus knows, oldest first."""
    lists = reading_lists()
    keys = lists.keys(_reader()) if lists is not None else st.session_state.get("_reading_list", [])
    return [k for k in keys if k in c.by_key]


def _toggle_reading(key: str) -> None:
    lists = reading_lists()
    if lists is None:
        kept = st.session_state.setdefault("_reading_list", [])
        kept.remove(key) if key in kept else kept.append(key)
        return
    try:
        lists.toggle(_reader(), key)
    except ValueError as exc:
        st.toast(str(exc), icon=":material/warning:")


def reading_button(c: Corpus, key: str, where: str, kept: bool | None = None) -> None:
    """Add the paper to this browser's reading list, or remove it; on the list itself, "Remove" says enough and
    fits the narrow column beside each paper."""
    if kept is None:  # a page that lists many kept papers says so, rather than asking the store once per button
        kept = key in reading_list(c)
    st.button(
        ("Remove" if where == "list" else "Remove from reading list") if kept else "Add to reading list",
        key=f"{where}_keep_{key}",
        icon=":material/bookmark_remove:" if kept else ":material/bookmark_add:",
        on_click=_toggle_reading,
        args=(key,),
    )


def paper_link(c: Corpus, key: str, here: str, slot: str = "") -> None:
    """A link to a paper: on Explore and on a paper's page it opens the paper there (through `open_paper`, which
    updates the URL); elsewhere it goes to the paper's page.

    Streamlit does not change the browser's address for a page link to the page already shown, so a link within
    the same page is a button that sets the URL instead. `slot` tells apart two links to one paper on a page.
    """
    paper = c.by_key[key]
    label = f"{markdown_text(clipped(paper.title, 90))} ({paper.year or 'n.d.'})"
    if here in ("explore", "paper"):
        st.button(label, key=f"{here}_open_{slot}_{key}", type="tertiary", on_click=open_paper, args=(key,), icon=":material/article:")
    else:
        st.page_link(PAPER_PAGE, label=label, query_params={"key": key}, icon=":material/article:")


def link_badges(paper: Paper) -> None:
    """The paper's links, each with a badge that says what it is (a code link says whose code it is)."""
    links = [
        ("Paper", safe_url(paper.link)),
        ("arXiv", f"https://arxiv.org/abs/{paper.arxiv}" if paper.arxiv else ""),
        ("DOI", f"https://doi.org/{paper.doi}" if paper.doi else ""),
    ]
    parts = [f"[{label} ↗]({url})" for label, url in links if url]
    code = safe_url(paper.code)
    if code:
        parts.append(f"[Code ↗]({code}) {CODE_BADGES[code_badge(paper)]}")
    if parts:
        st.markdown(" · ".join(parts))


CODE_BADGES = {
    "official": ":green-badge[official: the authors' repository]",
    "third-party": ":orange-badge[third-party reimplementation]",
    "list": ":blue-badge[paper list]",
    "unknown": ":gray-badge[code: whose is not recorded]",
}
