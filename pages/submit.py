"""Submit a paper: the form or pasted BibTeX -> survey_taxonomy.submissions (checks, store) -> confirmation or problems.

User text is shown only through `st.text`/`st.code` or escaped with `markdown_text`, never as HTML.
"""

from __future__ import annotations

import streamlit as st

from atlas_ui import cache, form, widgets
from survey_taxonomy.data.records import Problem
from survey_taxonomy.data.schema import FORM_SPECS
from survey_taxonomy.data.validation import MAX_LENGTH
from survey_taxonomy.data.words import plural
from survey_taxonomy.errors import SubmissionError, SurveyDataError
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.sources.arxiv import fetch_arxiv
from survey_taxonomy.submissions import FIELDS, MAX_INPUT_CHARS, Draft, client_key, read_bibtex, read_payload, with_default_node

state = st.session_state
settings = cache.settings()
corpus = cache.corpus()
taxonomy = corpus.taxonomy
# The rate limit counts by network address: a new cookie or a fresh browser must not reset it.
client = client_key(st.context.ip_address)


def _send(drafts: list[Draft], problems: list[Problem], result_key: str) -> bool:
    """Store the drafts (all or nothing); keep the outcome for the next run to show. True when stored.

    The outcome is shown above the form, out of sight of a reader who pressed Submit at its foot; a toast, which
    shows wherever the page is scrolled, says at once whether anything was stored.
    """
    try:
        result = cache.store().submit(
            drafts,
            corpus,
            session=client,
            per_minute=settings.submissions_per_minute,
            per_minute_all=settings.submissions_per_minute_all,
            max_pending=settings.max_pending,
            problems=problems,
        )
    except SubmissionError as exc:
        state[result_key] = str(exc)
        st.toast("Nothing was stored: the reason is at the top of the form.", icon=":material/warning:")
        return False
    state[result_key] = result
    if result.ok:
        ids = ", ".join(f"#{s.id}" for s in result.submissions)
        st.toast(f"Thank you! Submission {ids} is stored for review; its record is at the top of the form.", icon=":material/check_circle:")
    else:
        problems_found = plural(len(result.errors), "problem")
        st.toast(f"{problems_found}: nothing was stored. Each is marked in red by its field and listed at the top.", icon=":material/warning:")
    return result.ok


def _submit_form() -> None:
    facets = [*state.get("submit_facets", []), state.get(f"submit_{form.OTHER_FACETS}", "")]
    payload = {name: state.get(f"submit_{name}") for name in FIELDS if name not in ("facets", "taxonomy")}
    payload |= {"taxonomy": state.get("submit_taxonomy") or [], "facets": facets}
    drafts, problems = read_payload(payload, source="form")
    if _send(drafts, problems, "submit_form_result"):
        for spec in FORM_SPECS:
            state[f"submit_{spec.form}"] = form.empty_value(spec)
        for name in (form.OTHER_FACETS, "why", "contact"):
            state[f"submit_{name}"] = ""


def _submit_bibtex() -> None:
    drafts, problems = read_bibtex(
        state.get("submit_bibtex", ""), "BibTeX", why=state.get("submit_bibtex_why", ""), contact=state.get("submit_bibtex_contact", "")
    )
    if _send(with_default_node(drafts, state.get("submit_bibtex_node")), problems, "submit_bibtex_result"):
        state["submit_bibtex"] = ""


def _fill_from_arxiv() -> None:
    try:
        fields = fetch_arxiv(state.get("submit_arxiv", ""))
    except SurveyDataError as exc:
        state["submit_arxiv_message"] = ("error", str(exc))
        return
    for name, value in fields.items():
        if value:
            state[f"submit_{name}"] = "\n".join(value) if name == "authors" else str(value)
    state["submit_arxiv_message"] = ("success", "Filled from arXiv: check every field, then choose the node and write the summary.")


def _suggest_node() -> None:
    try:
        ranked = [(node, p) for node, p in cache.classifier(corpus).suggest(state.get("submit_title", ""), state.get("submit_summary", "")) if node in taxonomy]
    except SurveyDataError as exc:
        state["submit_suggest_message"] = f"No suggestion: {exc}"
        return
    if ranked:
        state["submit_taxonomy"] = ranked[0][0]
        state["submit_suggest_message"] = "Suggested: " + "; ".join(f"{taxonomy[node].label} ({p:.0%})" for node, p in ranked)


def _field_problems(problems: list[Problem], field: str) -> None:
    for p in problems:
        if p.field == field and p.severity == "error":
            st.caption(f":red[{markdown_text(p.message)}]")


def _describe(p: Problem) -> str:
    where = f"line {p.line}, " if p.line else ""
    fix = f" — {markdown_text(p.hint)}" if p.hint else ""
    return f"{where}**{markdown_text(FIELDS.get(p.field, p.field) or 'input')}**: {markdown_text(p.message)}{fix}"


def _outcome(result_key: str) -> list[Problem]:
    """Show the last outcome of this tab; return its problems so that fields can show their own."""
    outcome = state.get(result_key)
    if outcome is None:
        return []
    if isinstance(outcome, str):
        st.error(markdown_text(outcome))
        return []
    if outcome.ok:
        ids = ", ".join(f"#{s.id}" for s in outcome.submissions)
        st.success(f"Thank you! Submission {ids} is stored and waits for a maintainer's review. Once approved, it shows up in Explore.")
        for s in outcome.submissions:
            st.code(s.bibtex, language="bibtex")
    else:
        listing = "\n".join(f"- {_describe(p)}" for p in outcome.errors)
        st.error(f"{plural(len(outcome.errors), 'problem')}: nothing was stored. Fix them and submit again.\n{listing}")
    for p in outcome.warnings:
        st.warning(_describe(p))
    return list(outcome.problems)


st.title("Submit a paper")
st.write(
    "Suggest a paper that belongs in the survey's taxonomy. A maintainer reviews every submission; approved papers appear in Explore "
    "and are later merged into the dataset."
)
fill_tab, bibtex_tab = st.tabs(["Fill in", "Paste BibTeX"])


def _after_arxiv() -> None:
    st.button("Fill from arXiv", key="submit_fill", on_click=_fill_from_arxiv, help="Looks the id up on arXiv (a few seconds at most)")
    if message := state.pop("submit_arxiv_message", None):
        (st.error if message[0] == "error" else st.success)(markdown_text(message[1]))


def _after_node() -> None:
    st.button("Suggest a node from the title and summary", key="submit_suggest", on_click=_suggest_node, disabled=not state.get("submit_title"))
    if suggestion := state.pop("submit_suggest_message", None):
        st.info(markdown_text(suggestion))
    if node_id := state.get("submit_taxonomy"):
        st.caption(taxonomy[node_id].description)


# What the page adds under a field of the table: the look-ups that fill it.
AFTER = {"arxiv": _after_arxiv, "taxonomy": _after_node}

with fill_tab:
    problems = _outcome("submit_form_result")
    for spec in FORM_SPECS:
        form.form_field(spec, "submit", corpus)
        if spec.form in AFTER:
            AFTER[spec.form]()
        _field_problems(problems, spec.form)
    st.text_area("Why it belongs in this node", key="submit_why", height=80, max_chars=MAX_LENGTH["why"])
    _field_problems(problems, "why")
    st.text_input("Contact (optional, seen only by maintainers)", key="submit_contact", max_chars=MAX_LENGTH["contact"])
    _field_problems(problems, "contact")
    st.button("Submit", key="submit_send", type="primary", on_click=_submit_form)

with bibtex_tab:
    _outcome("submit_bibtex_result")
    st.text_area(
        "BibTeX entries",
        key="submit_bibtex",
        height=260,
        max_chars=MAX_INPUT_CHARS,
        placeholder="@inproceedings{key,\n  title = {…},\n  author = {First Last and First Last},\n  year = {2024},\n  url = {https://…},\n"
        "  taxonomy = {collaboration/…},\n  summary = {One sentence on what it does.}\n}",
    )
    st.caption("Each entry needs title, author, year, a link (url, eprint or doi) and summary; keys are chosen by the atlas.")
    st.selectbox(
        "Taxonomy node for entries without a taxonomy field",
        [n.id for n in taxonomy.walk()],
        index=None,
        format_func=lambda n: widgets.node_label(corpus, n),
        key="submit_bibtex_node",
        placeholder="Choose a node",
    )
    st.text_area("Why they belong (optional)", key="submit_bibtex_why", height=80, max_chars=MAX_LENGTH["why"])
    st.text_input("Contact (optional, seen only by maintainers)", key="submit_bibtex_contact", max_chars=MAX_LENGTH["contact"])
    st.button("Submit BibTeX", key="submit_bibtex_send", type="primary", on_click=_submit_bibtex)
