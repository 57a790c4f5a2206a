"""Review queue: with the admin token, approve or reject pending submissions (survey_taxonomy.submissions does the work).

Approved papers are in Explore at once: `cache.corpus()` keys its cache on the store's approval version.
User text is shown only through `st.text`/`st.code` or escaped with `markdown_text`, never as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from atlas_ui import cache
from survey_taxonomy.data.validation import doi_url
from survey_taxonomy.data.words import plural
from survey_taxonomy.errors import SubmissionError
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.sources.arxiv import verify_arxiv
from survey_taxonomy.sources.jobs import KINDS
from survey_taxonomy.submissions import ORIGINS, Submission, client_key
from survey_taxonomy.submissions.store import triage_in_scope, triage_relevance

ORIGIN_LABELS = {"all": "All", "form": "Form", "bibtex": "BibTeX", "discovered": "Discovered"}
ORDER_LABELS = {"oldest": "Oldest first", "relevance": "Most relevant first"}
JOB_LABELS = {"refresh": "Refresh citations", "discover": "Discover new papers"}
PAGE_SIZE = 20  # submissions drawn per run: the page stays fast however long the queue is

state = st.session_state
settings = cache.settings()

st.title("Review queue")
if not settings.admin_token:
    st.info(
        "Review is disabled: no admin token is configured. To enable it, set the environment variable `SURVEY_ADMIN_TOKEN` "
        "to a long random string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and restart the app."
    )
    st.stop()

store = cache.store()
if "review_token_ok" not in state:
    # A form that forgets its field: the token goes to the server once and is never kept in the page.
    with st.form("review_sign_in", clear_on_submit=True):
        typed = st.text_input("Admin token", type="password", key="review_token_typed")
        signed_in = st.form_submit_button("Sign in")
    if not signed_in or not typed:
        st.info("Enter the admin token to see the submissions waiting for review.")
        st.stop()
    try:
        # Throttled by network address, as submissions are: a fresh browser does not get fresh tries.
        store.authenticate(typed, settings.admin_token, client=client_key(st.context.ip_address))
    except SubmissionError as exc:
        st.error(markdown_text(str(exc)))
        st.stop()
    state["review_token_ok"] = typed  # server-side session memory only: each decision is checked again with it
    st.rerun()
if st.sidebar.button("Sign out of the review", key="review_sign_out"):
    del state["review_token_ok"]
    st.rerun()
corpus = cache.corpus()


def _decide(submission_id: int, decision: str) -> None:
    try:
        done = store.review(
            submission_id,
            decision,
            token=state.get("review_token_ok", ""),
            admin_token=settings.admin_token,
            corpus=corpus,  # the run's corpus: cache.corpus() may rerun, which a callback must not
            reviewer=state.get("review_reviewer", ""),
            note=state.get(f"review_note_{submission_id}", ""),
        )
    except SubmissionError as exc:
        state["review_message"] = ("error", str(exc))
        return
    then = "it is in Explore now" if done.status == "approved" else "it stays out of the atlas"
    state["review_message"] = ("success", f"Submission #{done.id} ({done.key}) {done.status}: {then}.")


def _reject_out_of_scope() -> None:
    try:
        done = store.reject_out_of_scope(token=state.get("review_token_ok", ""), admin_token=settings.admin_token, reviewer=state.get("review_reviewer", ""))
    except SubmissionError as exc:
        state["review_message"] = ("error", str(exc))
        return
    which = ", ".join(f"#{s.id}" for s in done) or "none was pending"
    state["review_message"] = ("success", f"{plural(len(done), 'submission')} out of scope rejected: {which}.")


def _triage(evidence: object) -> None:
    """The triage's verdict on a discovered submission: scope and relevance as a badge, then its reason."""
    relevance, in_scope = triage_relevance(evidence), triage_in_scope(evidence)
    if relevance is None or in_scope is None:
        return
    colour, scope = ("green", "in scope") if in_scope else ("red", "out of scope")
    st.markdown(f":{colour}-badge[{scope} · relevance {relevance:.2f}]")
    found = evidence.get("triage") if isinstance(evidence, Mapping) else None
    reason = found.get("reason") if isinstance(found, Mapping) else None
    if isinstance(reason, str):
        st.caption(markdown_text(reason))


def _verify(submission_id: int, arxiv_id: str, title: str) -> None:
    state[f"review_verified_{submission_id}"] = verify_arxiv(arxiv_id, title)


def _identifiers(submission: Submission) -> None:
    """Badges that say which identifiers were checked against their source, and a button to check the arXiv id."""
    paper = submission.draft.paper
    if paper.arxiv:
        status, why = state.get(f"review_verified_{submission.id}", ("unchecked", "not checked against arXiv yet"))
        colour = {"verified": "green", "mismatch": "red"}.get(status, "orange")
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f":{colour}-badge[arXiv {markdown_text(paper.arxiv)}: {status}] {markdown_text(why)}")
        right.button("Check on arXiv", key=f"review_verify_{submission.id}", on_click=_verify, args=(submission.id, paper.arxiv, paper.title))
    if paper.doi:
        link = doi_url(paper.doi)
        st.markdown(f":orange-badge[DOI {markdown_text(paper.doi)}: not verified] this app cannot resolve DOIs: [resolve it by hand ↗]({link})")


st.text_input("Your name, recorded with each decision", key="review_reviewer", value="maintainer")
if message := state.pop("review_message", None):
    (st.error if message[0] == "error" else st.success)(markdown_text(message[1]))

origin = st.segmented_control(
    "Origin", ["all", *ORIGINS], default="all", key="review_origin", format_func=lambda o: ORIGIN_LABELS.get(o, o), help="How submissions arrived"
)
order = st.segmented_control(
    "Order",
    ["oldest", "relevance"],
    default="oldest",
    key="review_order",
    format_func=lambda o: ORDER_LABELS.get(o, o),
    help="Relevance is the triage's, for discovered papers",
)
chosen = None if origin in ("all", None) else origin
queue = (store.queue_by_relevance if order == "relevance" else store.queue)(state.get("review_page", 1), size=PAGE_SIZE, origin=chosen)
st.button(
    "Reject every out-of-scope submission",
    key="review_reject_out_of_scope",
    on_click=_reject_out_of_scope,
    help="Rejects each pending submission that the triage judged out of the survey's scope, with your name and a note saying so",
)
shown = f" (oldest first; {queue.first}–{queue.first + len(queue.submissions) - 1} here)" if queue.pages > 1 else ""
st.caption(
    f"{plural(queue.total, 'submission')} waiting{shown}. Approved ones join Explore at once; "
    "`python -m survey_taxonomy submissions merge` writes them into papers.bib."
)
if queue.pages > 1:
    state["review_page"] = queue.page  # the queue may have shrunk below the page shown last
    st.number_input(f"Page, of {queue.pages}", min_value=1, max_value=queue.pages, step=1, key="review_page")
found = store.findings_of(queue.submissions, corpus)
for submission in queue.submissions:
    with st.container(border=True):
        st.markdown(f"**#{submission.id}** · {markdown_text(submission.title)}")
        draft = submission.draft
        st.text(f"{', '.join(draft.paper.authors)} · {draft.paper.year or 'no year'} · {', '.join(draft.paper.taxonomy)}")
        if submission.origin == "discovered":
            st.markdown(":violet-badge[discovered in a scholarly index]")
            _triage(submission.evidence)
            if submission.evidence:
                st.json(dict(submission.evidence), expanded=False)
        if draft.why:
            st.text(f"Why: {draft.why}")
        if draft.contact:
            st.text(f"Contact: {draft.contact}")
        st.code(submission.bibtex, language="bibtex")
        if submission.merge_error:
            st.error(f"Sent back by the last merge: {markdown_text(submission.merge_error)}")
        if submission.claimed_cites:
            st.caption(
                "The submitter says it cites: "
                + markdown_text(", ".join(submission.claimed_cites))
                + " (a claim, not recorded as citations; add sourced ones to citations.csv)"
            )
        _identifiers(submission)
        findings = found[submission.id]
        if not findings:
            st.success("No problem found: complete, well-formed, not a duplicate.")
        for p in findings:
            (st.warning if p.severity == "warning" else st.error)(markdown_text(f"{p.field or 'input'}: {p.message}"))
        st.text_input("Review note", key=f"review_note_{submission.id}")
        approve_col, reject_col, _ = st.columns([1, 1, 4])
        approve_col.button("Approve", key=f"review_approve_{submission.id}", type="primary", on_click=_decide, args=(submission.id, "approve"))
        reject_col.button("Reject", key=f"review_reject_{submission.id}", on_click=_decide, args=(submission.id, "reject"))

reviewed = store.find(("approved", "rejected"), newest_first=True, limit=20)
if reviewed:
    with st.expander("Recently reviewed"):
        rows = [{"id": s.id, "status": s.status, "key": s.key, "title": s.title, "reviewer": s.reviewer, "note": s.review_note} for s in reviewed]
        st.dataframe(pd.DataFrame(rows), hide_index=True)


st.subheader("Citation data")
st.caption(
    "Fetch citation links and counts between the dataset's papers from OpenAlex and Semantic Scholar, or queue papers found "
    "there for review. Runs in the background: other readers' pages are not held up, and you can leave this page."
)
left, right = st.columns(2)
if left.button(JOB_LABELS["refresh"], key="review_job_refresh"):
    cache.jobs().start_refresh(settings)
if right.button(JOB_LABELS["discover"], key="review_job_discover"):
    cache.jobs().start_discover(settings, store)


@st.fragment(run_every=2)
def _jobs() -> None:
    """The background runs' progress, redrawn every two seconds without rerunning the page."""
    for kind in KINDS:
        job = cache.jobs().current(kind)
        if job is None:
            continue
        label = JOB_LABELS.get(kind, kind)
        if job.state == "running":
            st.progress(job.fraction, text=f"{label}: {job.stage} ({job.done} of {job.total or '?'})")
            if st.button("Cancel", key=f"review_job_cancel_{kind}", help="stops before the next request; nothing is written"):
                job.cancel()
        elif job.state == "cancelled":
            st.info(f"{label} cancelled: {markdown_text(job.error)}")
        elif job.state == "done":
            st.success(f"{label} finished.")
            st.text(job.summary)
            with st.expander("Every change, item by item"):
                st.code(job.report, language=None)
        else:
            st.error(f"{label} failed: {markdown_text(job.error)}")


_jobs()
