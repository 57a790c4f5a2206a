"""Provenance guard on the shipped dataset: every paper's `note` must name a primary page.

A primary page is the paper's own publication or preprint page (arXiv, ACL Anthology, OpenReview, a
proceedings site, the publisher, a DOI) or the authors' repository. Aggregators and mirrors (Papers with
Code, Semantic Scholar, ScienceStack, ar5iv, AI-written summaries, ...) do not count on their own. Where no
primary page could be found, the note must say so with the words "no primary page found".
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from survey_taxonomy.data.corpus import Corpus

# Hosts (and their subdomains) that publish papers themselves or hold the authors' code.
PRIMARY_DOMAINS = (
    "arxiv.org",
    "aclanthology.org",
    "openreview.net",
    "proceedings.neurips.cc",
    "papers.nips.cc",
    "neurips.cc",
    "nips.cc",
    "iclr.cc",
    "icml.cc",
    "proceedings.mlr.press",
    "jmlr.org",
    "github.com",
    "doi.org",
    "ieeexplore.ieee.org",
    "dl.acm.org",
    "aaai.org",
    "ojs.aaai.org",
    "ijcai.org",
    "link.springer.com",
    "nature.com",
    "sciencedirect.com",
    "lrec-conf.org",
    "isca-archive.org",
    "projecteuclid.org",
    "thecvf.com",
)
NONE_FOUND = "no primary page found"
# Mirrors whose host ends in a primary domain but which are not the primary page.
MIRRORS = ("ar5iv.labs.arxiv.org", "ar5iv.org")

URL = re.compile(r"https?://[^\s,;)\]}>'\"]+")
BARE_HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)*(?:" + "|".join(re.escape(d) for d in PRIMARY_DOMAINS) + r"))\.?/", re.I)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def _is_primary_host(host: str) -> bool:
    if not host or any(host == m or host.endswith("." + m) for m in MIRRORS):
        return False
    host = host.removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in PRIMARY_DOMAINS)


def primary_hosts(note: str) -> set[str]:
    """The primary hosts a note names, as full URLs or as bare `host/path` mentions."""
    hosts = {_host(u) for u in URL.findall(note)}
    hosts |= {m.group(1).lower() for m in BARE_HOST.finditer(note)}
    return {h for h in hosts if _is_primary_host(h)}


def test_the_domain_check_itself() -> None:
    assert primary_hosts("checked on https://arxiv.org/abs/2211.17192.") == {"arxiv.org"}
    assert primary_hosts("see http://arxiv.org./abs/2412.17837 and aclanthology.org/2024.acl-long.1/")
    assert primary_hosts("https://papers.nips.cc/paper_files/paper/2023/hash/x-Abstract.html")
    assert not primary_hosts("https://ar5iv.labs.arxiv.org/html/2207.08815 https://www.sciencestack.ai/paper/1")
    assert not primary_hosts("https://paperswithcode.com/paper/x https://notarxiv.org.example.com/abs/1")


def test_every_note_names_a_primary_page_or_says_none_was_found(corpus: Corpus) -> None:
    broken = []
    for paper in corpus.papers:
        note = paper.note or ""
        if primary_hosts(note) or NONE_FOUND in note.lower():
            continue
        broken.append(f"{paper.key} (line {paper.line}): {note[:90]!r}")
    assert not broken, (
        f"{len(broken)} paper note(s) name no primary page (arXiv, ACL Anthology, OpenReview, proceedings, "
        f"publisher, DOI or the authors' repository) and do not say '{NONE_FOUND}':\n  " + "\n  ".join(broken)
    )
