"""The one exception hierarchy of the library.

Expected data problems (a broken BibTeX entry, a bad year) are returned as `Problem` values, not raised;
these exceptions are for the cases where nothing sensible can be returned (a missing file, an unreadable
taxonomy, a store that cannot be reached).
"""


class SurveyDataError(Exception):
    """Base class: something about the survey data or its services is wrong."""


class TaxonomyError(SurveyDataError):
    """The taxonomy file cannot be read or is not a tree of well-formed nodes."""


class BibliographyError(SurveyDataError):
    """A bibliography file cannot be read at all."""


class SubmissionError(SurveyDataError):
    """A submission cannot be stored or reviewed (invalid, duplicate, unknown id, not allowed)."""


class ModelError(SurveyDataError):
    """A model cannot be loaded or reached, or its answer cannot be used."""


class SettingsError(SurveyDataError):
    """An environment variable holds a value the project cannot run with; raised at start, naming the variable."""


class DataWriteError(SurveyDataError):
    """A file of the data folder cannot be written (read-only folder, full disk); the old file is left as it was."""


class SourceError(SurveyDataError):
    """A scholarly API (OpenAlex, Semantic Scholar) cannot be reached or answers what cannot be used; nothing was written."""
