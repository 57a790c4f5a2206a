"""Submissions of new papers: read (`payload`), check (`checks`), store, review and merge (`store`), and the
`submissions` commands of the CLI (`commands`); and the readers' own lists (`reading_list`), kept in the same
database.

Terms:
- *payload*: what a submitter sends, as the form's fields (`FIELDS`); the CLI's JSON has the same shape.
- *draft*: one paper read from a payload or a pasted BibTeX entry, not yet checked or stored, with its links
  rebuilt (`validation.clean_url`).
- *claim*: what a submitter says but only a reviewer may trust: the keys the paper cites (`cites`). Claims are
  stored and shown; they never become fields or citation edges of the dataset, not even by `merge`.
- *submission*: a stored draft with its payload, the BibTeX it would add, a status (`pending`, `approved`,
  `rejected`), timestamps, the reviewer and the review note. Approved submissions join the corpus at once
  as `relation = community`; `SubmissionStore.merge` later writes them into `papers.bib` for a git review,
  and marks them merged so they are never written twice.
- *client*: whoever submits or tries a review token, named by an id the caller chooses (`client_key` of the
  network address for the form and the review's sign-in, "cli", "discover") and stored only as its SHA-256
  with the store's own random salt: no IP, no raw id.
- *rate limit*: per client, at most `per_minute` submissions in the last minute, counted in the store so that
  a reload (a new Streamlit session), a new cookie or another browser does not reset it; at most
  `per_minute_all` from all clients together, the backstop against many addresses; and at most `max_pending`
  submissions waiting for review in all.
- *throttle*: after the n-th wrong review token in a row from a client, its next try waits 2**(n-1) s (at most
  15 min); wrong tokens from all clients together slow every client down ten times more gently.
- *sent back*: an approved submission that `merge` cannot write goes back to `pending` with the reason in
  `merge_error`, so a reviewer can reject or fix it while the others are written.
- *version*: a number that grows whenever the set of approved papers changes, for caches to key on.
- *origin*: how a submission arrived (`ORIGINS`): the `form` (or JSON), pasted `bibtex`, or `discovered` by
  `discover` in a scholarly index, which stores its *evidence* (the dataset papers it cites or is cited by, the
  classifier's suggestions) for the reviewer. Rows from before the column get theirs from their `source`.

Every problem of a submission is returned at once as `Problem` data, and nothing is stored unless all
papers of a submission are valid and new under the acceptance rule (`acceptance.check_papers`): no exact
duplicate (same arXiv id in any version, DOI in any case, or title) of the dataset, of an open submission or of
another paper of the same submission; near-duplicate titles are reported as warnings for the reviewer.
"""

from ..data.records import STATUSES
from ..data.validation import ENTRY_TYPES
from .checks import MAX_PAPERS, check_drafts
from .payload import (
    ALIASES,
    EXTRA_FIELDS,
    FIELDS,
    MAX_INPUT_CHARS,
    ORIGINS,
    PLACEHOLDER_KEY,
    Draft,
    payload_of,
    read_bibtex,
    read_payload,
    read_text,
    with_default_node,
)
from .store import (
    DECISIONS,
    REVIEW_FAILURES,
    SUBMISSIONS,
    QueuePage,
    Submission,
    SubmissionStore,
    SubmitResult,
    check_token,
    citation_key,
    client_key,
    corpus_with_approved,
    hash_client,
    is_admin,
    open_store,
    retry_delay,
    unique_key,
)

__all__ = [
    "ALIASES",
    "DECISIONS",
    "ENTRY_TYPES",
    "EXTRA_FIELDS",
    "FIELDS",
    "MAX_INPUT_CHARS",
    "MAX_PAPERS",
    "ORIGINS",
    "PLACEHOLDER_KEY",
    "REVIEW_FAILURES",
    "STATUSES",
    "SUBMISSIONS",
    "Draft",
    "QueuePage",
    "Submission",
    "SubmissionStore",
    "SubmitResult",
    "check_drafts",
    "check_token",
    "citation_key",
    "client_key",
    "corpus_with_approved",
    "hash_client",
    "is_admin",
    "open_store",
    "payload_of",
    "read_bibtex",
    "read_payload",
    "read_text",
    "retry_delay",
    "unique_key",
    "with_default_node",
]
