"""Small Models Atlas: the data and logic behind the explorer of the survey
"What is the Role of Small Models in the LLM Era" (Chen & Varoquaux, arXiv 2409.06857)."""

from .data.corpus import Corpus, load_corpus
from .data.records import RELATIONS, Paper, Problem, TaxonomyNode
from .data.taxonomy import Taxonomy, load_taxonomy
from .errors import BibliographyError, ModelError, SubmissionError, SurveyDataError, TaxonomyError
from .query.selection import Selection, facet_counts, node_counts

__version__ = "0.1.0"
__all__ = [
    "RELATIONS",
    "BibliographyError",
    "Corpus",
    "ModelError",
    "Paper",
    "Problem",
    "Selection",
    "SubmissionError",
    "SurveyDataError",
    "Taxonomy",
    "TaxonomyError",
    "TaxonomyNode",
    "facet_counts",
    "load_corpus",
    "load_taxonomy",
    "node_counts",
]
