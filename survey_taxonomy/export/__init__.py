"""Papers written out for other readers: `writers` (BibTeX, CSV, JSON, the survey's Markdown), `cite` (CSL-JSON,
RIS, citation BibTeX and COinS for reference managers), `feeds` (an Atom feed per taxonomy node) and `cards`
(a paper in brief, as the app's lists show it). Every field comes from `data.schema`.
"""
