"""Explore: filter and search the papers, read one, export the selection. Every filter lives in the URL."""

import streamlit as st

from survey_taxonomy import ui
from survey_taxonomy.export import export

c = ui.corpus()
st.title("Explore papers")
selection = ui.filter_sidebar(c, "explore")
result = selection.filter(c.frame)

open_key = st.query_params.get("key", "")
st.caption(selection.describe(len(result), c.taxonomy))

if result.empty:
    st.info("No paper matches these filters. Remove a filter in the sidebar or use **Clear all filters**.")
else:
    columns = ["title", "authors_text", "year", "venue", "relation_label", "url", "code"]
    table = result.assign(relation_label=result["relation"].map(ui.relation_label))
    event = st.dataframe(
        table[columns],  # only what is shown: the frame's search columns would be serialised on every rerun
        key="explore_table",
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "title": st.column_config.TextColumn("Title", width="large"),
            "authors_text": st.column_config.TextColumn("Authors", width="medium"),
            "year": st.column_config.NumberColumn("Year", format="%d", width="small"),
            "venue": st.column_config.TextColumn("Venue"),
            "relation_label": st.column_config.TextColumn("Relation"),
            "url": st.column_config.LinkColumn("Paper", display_text="open ↗", width="small"),
            "code": st.column_config.LinkColumn("Code", display_text="code ↗", width="small"),
        },
        height=min(38 + 35 * len(table), 460),
    )
    rows = event.selection.rows if event is not None else []
    if rows:
        open_key = str(table.iloc[rows[0]]["key"])
    keys = list(table["key"])
    picked = st.selectbox(
        "Or open a paper by title",
        keys,
        index=None,
        key="explore_open",
        placeholder="Type to find a paper of this list…",
        format_func=lambda k: f"{c.by_key[k].title} ({c.by_key[k].year or 'n.d.'})",
    )
    if picked:
        open_key = picked
    papers = [c.by_key[k] for k in result["key"]]
    cols = st.columns(3)
    for col, (fmt, label, mime, ext) in zip(
        cols,
        [("bibtex", "BibTeX", "application/x-bibtex", "bib"), ("csv", "CSV", "text/csv", "csv"), ("json", "JSON", "application/json", "json")],
        strict=True,
    ):
        col.download_button(
            f"Download {len(papers)} as {label}",
            lambda fmt=fmt: export(papers, fmt),  # built on click, not on every rerun
            file_name=f"small-models-atlas.{ext}",
            mime=mime,
            key=f"explore_download_{fmt}",
            width="stretch",
        )

ui.write_selection_to_url(selection, {"key": open_key} if open_key else None)

st.divider()
if open_key and open_key in c.by_key:
    ui.paper_details(c, c.by_key[open_key])
elif open_key:
    st.warning(f"No paper with key {open_key!r} in the dataset; pick one in the table.")
elif not result.empty:
    st.caption("Select a row (the box left of a title) to read the paper's details, links and BibTeX here.")
