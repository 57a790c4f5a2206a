"""Questions asked of the corpus: `selection` (the explorer's filters, facets and counts, as a value that
round-trips through the URL) and `search` (ranked free-text search).
"""
