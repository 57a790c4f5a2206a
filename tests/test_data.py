"""Guards on the shipped dataset: what CI checks before any change to data/ lands."""

import re
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares.names import split_multiple_persons_names

from survey_taxonomy.data.bibliography import load_bibliography
from survey_taxonomy.data.corpus import Corpus, read_citations
from tests.test_data_sources import primary_hosts

# Venues whose papers the ACL Anthology publishes with a 10.18653/v1/<Anthology id> DOI. LREC and COLING are
# left out on purpose: the Anthology gives LREC-COLING 2024 and COLING 2025 papers no DOI (its data files
# 2024.lrec.xml and 2025.coling.xml have no doi element), so a rule for them would demand a DOI that does not exist.
ACL_VENUE = re.compile(r"\b(ACL|EMNLP|NAACL|EACL|AACL)\b|^Findings\b")
ANTHOLOGY_DOI = re.compile(r"10\.18653/v1/(?:(?P<year>\d{4})\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4})")
# The one way an Anthology-venue paper may lack its DOI: its note says the record was not found, so the gap shows.
NO_RECORD = "Anthology record not found"
# Family-name particles that BibTeX cannot tell from given names when a name is written "Given Family". Malay
# "bin"/"binti" is left out: it introduces the father's name (a patronymic), not a family name to invert.
PARTICLES = frozenset({"ben", "da", "das", "de", "del", "della", "der", "di", "dos", "du", "la", "le", "ten", "ter", "van", "von"})


def test_no_failed_blocks_and_no_errors(corpus: Corpus, data_dir: Path) -> None:
    assert load_bibliography(data_dir / "papers.bib").problems == []
    assert corpus.errors == []


def test_every_taxonomy_id_used_exists(corpus: Corpus) -> None:
    used = {node for p in corpus.papers for node in p.taxonomy}
    assert used <= set(corpus.taxonomy.nodes)


def test_keys_unique_and_well_formed(corpus: Corpus) -> None:
    keys = [p.key for p in corpus.papers]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z]+\d{0,4}[a-z0-9]*", k) for k in keys)


def test_every_edge_points_to_a_known_key_and_has_a_source(corpus: Corpus, data_dir: Path) -> None:
    keys = set(corpus.by_key)
    citations, problems = read_citations(data_dir / "citations.csv")
    assert problems == [] and citations
    for c in citations:
        assert c.citing in keys and c.cited in keys and c.source
    assert all(a in keys and b in keys for a, b in corpus.edges())


def test_survey_papers_have_authors_year_and_a_node(corpus: Corpus) -> None:
    cited = [p for p in corpus.papers if p.relation == "cited-by-survey"]
    assert len(cited) == 91
    for p in cited:
        assert p.authors and p.year and p.taxonomy and p.summary, p.key


def test_relations(corpus: Corpus) -> None:
    survey = [p for p in corpus.papers if p.relation == "survey"]
    assert [p.arxiv for p in survey] == ["2409.06857"]
    the_survey = survey[0]
    assert the_survey.year is not None
    survey_year = the_survey.year
    by_relation = {p.key for p in corpus.papers if p.relation == "cites-survey"}
    by_edge = {a for a, b in corpus.edges() if b == the_survey.key}
    assert by_relation and by_relation <= by_edge and the_survey.key not in by_edge
    # A paper that cites the survey without `cites-survey` must be one the survey itself lists (ProxyLM); any
    # other relation on a citing paper is a mistake that a refresh or an import made.
    assert {corpus.by_key[k].relation for k in by_edge - by_relation} <= {"cited-by-survey"}
    # Nothing cites the survey before it appeared.
    early = sorted(k for k in by_edge if (corpus.by_key[k].year or survey_year) < survey_year)
    assert not early, f"papers dated before the survey ({survey_year}) cannot cite it: {early}"


def test_competition_nodes_have_at_least_eight_papers_and_none_claims_the_survey_cites_it(corpus: Corpus) -> None:
    for node in corpus.taxonomy["competition"].children:
        papers = [p for p in corpus.papers if node in p.taxonomy]
        assert len(papers) >= 8, node
        assert all(p.relation != "cited-by-survey" for p in papers)


def test_summaries_are_one_sentence_of_reasonable_length(corpus: Corpus) -> None:
    for p in corpus.papers:
        words = len(p.summary.split())
        assert 8 <= words <= 60, (p.key, words)


def test_every_acl_anthology_venue_paper_has_its_anthology_doi(corpus: Corpus) -> None:
    """The Anthology gives each paper of these venues a DOI; the DOI also settles Findings versus main conference."""
    missing: list[str] = []
    wrong: list[str] = []
    for p in corpus.papers:
        if not ACL_VENUE.search(p.venue):
            continue
        match = ANTHOLOGY_DOI.fullmatch(p.doi)
        if not match:
            if NO_RECORD not in p.note:
                missing.append(f"{p.key} ({p.venue}): doi {p.doi or 'missing'!r}")
            continue
        if ("findings" in p.doi) != p.venue.startswith("Findings"):
            wrong.append(f"{p.key}: venue {p.venue!r} but Anthology DOI {p.doi}")
        if match["year"] and p.year and int(match["year"]) != p.year:
            wrong.append(f"{p.key}: year {p.year} but Anthology DOI {p.doi}")
    assert not missing, (
        "ACL Anthology venue papers without their 10.18653/v1/<Anthology id> DOI (look the paper up on aclanthology.org "
        f"and copy its DOI, or say '{NO_RECORD}' in the note):\n  " + "\n  ".join(missing)
    )
    assert not wrong, "venue or year disagrees with the Anthology record:\n  " + "\n  ".join(wrong)


def test_at_least_95_percent_of_notes_name_a_primary_page(corpus: Corpus) -> None:
    named = [p for p in corpus.papers if primary_hosts(p.note or "")]
    share = len(named) / len(corpus.papers)
    without = sorted(p.key for p in corpus.papers if p not in named)
    assert share >= 0.95, f"only {len(named)} of {len(corpus.papers)} notes ({share:.1%}) name a primary page; add one to: {without}"


def test_family_names_with_particles_are_stored_family_name_first(data_dir: Path, corpus: Corpus) -> None:
    """'Loubna Ben Allal' reads as given 'Loubna Ben', family 'Allal' in BibTeX; 'Ben Allal, Loubna' cannot."""
    library = bibtexparser.parse_file(str(data_dir / "papers.bib"))
    wrong: list[str] = []
    misread: list[str] = []
    for entry in library.entries:
        names = split_multiple_persons_names(entry["author"])
        for name, parsed in zip(names, corpus.by_key[entry.key].author_names, strict=True):
            words = name.split()
            if "," not in name and any(word.lower() in PARTICLES for word in words[1:-1]):
                wrong.append(f"{entry.key}: {name!r}")
            if "," in name and parsed.family != name.split(",")[0].strip():
                misread.append(f"{entry.key}: {name!r} loads as family {parsed.family!r}")
    assert not wrong, "write these names family name first ('Ben Allal, Loubna') so that BibTeX splits them right:\n  " + "\n  ".join(wrong)
    assert not misread, "\n  ".join(misread)
