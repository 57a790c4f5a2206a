"""The dataset: the files under `data/` read into checked records, and the rules every paper obeys.

Read from the bottom up: `records` (frozen `Paper`, `Citation`, `Problem`), `names` and `latex` (values as
BibTeX holds them), `words` (stems, plurals, topic forms), `schema` (the one table of a paper's fields), `validation` (field rules), `duplicates` and
`acceptance` (is a paper valid and new?), `files` (safe writes), the readers of each file (`bibliography`,
`taxonomy`, `abstracts`, `counts`, `provenance`, with `bibedit` for in-place edits), and `corpus`, which loads
them together. Nothing here imports another subpackage of the library.
"""
