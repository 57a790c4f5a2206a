"""Review queue: with the admin token, approve or reject pending submissions (survey_taxonomy.submissions does the work).

Approved papers are in Explore at once: `ui.corpus()` keys its cache on the store's approval version.
User text is shown only through `st.text`/`st.code` or escaped with `markdown_text`, never as HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey_taxonomy import ui
from survey_taxonomy.errors import SubmissionError
from survey_taxonomy.submissions import check_token, markdown_text, store_for

state = st.session_state
settings = ui.settings()

st.title("Review queue")
if not settings.admin_token:
    st.info(
        "Review is disabled: no admin token is configured. To enable it, set the environment variable `SURVEY_ADMIN_TOKEN` "
        "to a long random string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and restart the app."
    )
    st.stop()

token = st.text_input("Admin token", type="password", key="review_token")
if not token:
    st.info("Enter the admin token to see the submissions waiting for review.")
    st.stop()
try:
    check_token(token, settings.admin_token)
except SubmissionError as exc:
    st.error(markdown_text(str(exc)))
    st.stop()

store = store_for(settings)
corpus = ui.corpus()


def _decide(submission_id: int, decision: str) -> None:
    try:
        done = store.review(
            submission_id,
            decision,
            token=state.get("review_token", ""),
            admin_token=settings.admin_token,
            corpus=corpus,  # the run's corpus: ui.corpus() may rerun, which a callback must not
            reviewer=state.get("review_reviewer", ""),
            note=state.get(f"review_note_{submission_id}", ""),
        )
    except SubmissionError as exc:
        state["review_message"] = ("error", str(exc))
        return
    then = "it is in Explore now" if done.status == "approved" else "it stays out of the atlas"
    state["review_message"] = ("success", f"Submission #{done.id} ({done.key}) {done.status}: {then}.")


st.text_input("Your name, recorded with each decision", key="review_reviewer", value="maintainer")
if message := state.pop("review_message", None):
    (st.error if message[0] == "error" else st.success)(markdown_text(message[1]))

submissions = store.find()
pending = [s for s in submissions if s.status == "pending"]
st.caption(
    f"{len(pending)} submission(s) waiting. Approved ones join Explore at once; `python -m survey_taxonomy submissions merge` writes them into papers.bib."
)
for submission in pending:
    with st.container(border=True):
        st.markdown(f"**#{submission.id}** · {markdown_text(submission.title)}")
        draft = submission.draft
        st.text(f"{', '.join(draft.paper.authors)} · {draft.paper.year or 'no year'} · {', '.join(draft.paper.taxonomy)}")
        if draft.why:
            st.text(f"Why: {draft.why}")
        if draft.contact:
            st.text(f"Contact: {draft.contact}")
        st.code(submission.bibtex, language="bibtex")
        findings = store.findings(submission, corpus)
        if not findings:
            st.success("No problem found: complete, well-formed, not a duplicate.")
        for p in findings:
            (st.warning if p.severity == "warning" else st.error)(markdown_text(f"{p.field or 'input'}: {p.message}"))
        st.text_input("Review note", key=f"review_note_{submission.id}")
        approve_col, reject_col, _ = st.columns([1, 1, 4])
        approve_col.button("Approve", key=f"review_approve_{submission.id}", type="primary", on_click=_decide, args=(submission.id, "approve"))
        reject_col.button("Reject", key=f"review_reject_{submission.id}", on_click=_decide, args=(submission.id, "reject"))

reviewed = [s for s in submissions if s.status != "pending"][-20:]
if reviewed:
    with st.expander("Recently reviewed"):
        rows = [{"id": s.id, "status": s.status, "key": s.key, "title": s.title, "reviewer": s.reviewer, "note": s.review_note} for s in reversed(reviewed)]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
