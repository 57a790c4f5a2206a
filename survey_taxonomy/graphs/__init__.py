"""Pictures of the corpus: `networks` (citation, co-authorship, similarity and paper networks with networkx,
their metrics and layouts) and `figures` (Plotly figures from frames and those networks; no Streamlit).
"""
