"""The submission form's widgets, drawn from the field table (`data.schema.FORM_SPECS`): a field added to the table
with a `widget` appears in the form with its label, example and length limit, and no page is edited.

Terms:
- *widget kind* (`FieldSpec.widget`): `text` (one line), `lines` (one value per line), `year` (text, so that a
  year out of range is reported rather than dropped), `node` (a taxonomy node), `facets` (the node's facets
  plus free ones).
- *key*: a widget's session-state key, the page's prefix and the payload field (`submit_title`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from atlas_ui.widgets import node_label
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.schema import FieldSpec
from survey_taxonomy.data.validation import MAX_AUTHORS, MAX_ITEMS

# Room around an id for the link a reader pastes (https://arxiv.org/abs/…, https://doi.org/…); validation strips it.
LINK_ROOM = 40
OTHER_FACETS = "facets_other"  # the free-text box beside the facets list


def input_chars(spec: FieldSpec) -> int:
    """How many characters the field's box takes: a list's worth for `lines` and `facets`, an id plus a pasted link
    for raw ids, else the field's own limit.

    >>> from survey_taxonomy.data.schema import BY_NAME
    >>> input_chars(BY_NAME["title"]), input_chars(BY_NAME["arxiv"]), input_chars(BY_NAME["authors"])
    (300, 80, 24200)
    """
    if spec.widget == "lines":
        return MAX_AUTHORS * (spec.max_chars + 1)
    if spec.widget == "facets":
        return MAX_ITEMS["topic"] * (spec.max_chars + 2)
    if spec.value == "raw":
        return spec.max_chars + LINK_ROOM
    return spec.max_chars


def empty_value(spec: FieldSpec) -> Any:
    """What the field's widget holds when the form is cleared.

    >>> from survey_taxonomy.data.schema import BY_NAME
    >>> empty_value(BY_NAME["title"]), empty_value(BY_NAME["taxonomy"]), empty_value(BY_NAME["topics"])
    ('', None, [])
    """
    return {"node": None, "facets": []}.get(spec.widget, "")


def form_field(spec: FieldSpec, prefix: str, c: Corpus) -> None:
    """Draw the field's widget, keyed `{prefix}_{spec.form}`."""
    key, label = f"{prefix}_{spec.form}", spec.prompt or spec.label
    placeholder = spec.placeholder or None
    if spec.widget == "lines":
        st.text_area(label, key=key, height=100, max_chars=input_chars(spec), placeholder=placeholder)
    elif spec.widget == "node":
        st.selectbox(label, [n.id for n in c.taxonomy.walk()], index=None, format_func=lambda n: node_label(c, n), key=key, placeholder=placeholder)
    elif spec.widget == "facets":
        node_id: str = st.session_state.get(f"{prefix}_taxonomy") or ""
        options = [*(c.taxonomy[node_id].facets if node_id in c.taxonomy else ()), *st.session_state.get(key, [])]
        st.multiselect(label, list(dict.fromkeys(options)), key=key, placeholder=placeholder)
        st.text_input(f"Other {label.lower()} (separate with ;)", key=f"{prefix}_{OTHER_FACETS}", max_chars=input_chars(spec))
    else:
        st.text_input(label, key=key, max_chars=input_chars(spec), placeholder=placeholder)
