"""Guards on the shipped dataset: what CI checks before any change to data/ lands."""

import re

from survey_taxonomy.bibliography import load_bibliography
from survey_taxonomy.corpus import read_citations


def test_no_failed_blocks_and_no_errors(corpus, data_dir):
    assert load_bibliography(data_dir / "papers.bib").problems == []
    assert corpus.errors == []


def test_every_taxonomy_id_used_exists(corpus):
    used = {node for p in corpus.papers for node in p.taxonomy}
    assert used <= set(corpus.taxonomy.nodes)


def test_keys_unique_and_well_formed(corpus):
    keys = [p.key for p in corpus.papers]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z]+\d{0,4}[a-z0-9]*", k) for k in keys)


def test_every_edge_points_to_a_known_key_and_has_a_source(corpus, data_dir):
    keys = set(corpus.by_key)
    citations, problems = read_citations(data_dir / "citations.csv")
    assert problems == [] and citations
    for c in citations:
        assert c.citing in keys and c.cited in keys and c.source
    assert all(a in keys and b in keys for a, b in corpus.edges())


def test_survey_papers_have_authors_year_and_a_node(corpus):
    cited = [p for p in corpus.papers if p.relation == "cited-by-survey"]
    assert len(cited) == 91
    for p in cited:
        assert p.authors and p.year and p.taxonomy and p.summary, p.key


def test_relations(corpus):
    survey = [p for p in corpus.papers if p.relation == "survey"]
    assert [p.arxiv for p in survey] == ["2409.06857"]
    citing = {p.key for p in corpus.papers if p.relation == "cites-survey"} | {a for a, b in corpus.edges() if b == survey[0].key}
    assert len(citing) == 29


def test_competition_nodes_have_at_least_eight_papers_and_none_claims_the_survey_cites_it(corpus):
    for node in corpus.taxonomy["competition"].children:
        papers = [p for p in corpus.papers if node in p.taxonomy]
        assert len(papers) >= 8, node
        assert all(p.relation != "cited-by-survey" for p in papers)


def test_summaries_are_one_sentence_of_reasonable_length(corpus):
    for p in corpus.papers:
        words = len(p.summary.split())
        assert 8 <= words <= 60, (p.key, words)
