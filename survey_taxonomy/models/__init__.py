"""Small and large language models for the live demo: clients, cascade, retrieval, drafting, classification.

Terms:
- *small model* (SM): SmolLM2-135M-Instruct, a GGUF file run in this process by xllamacpp (llama.cpp's server).
- *large model* (LLM): any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp), or a larger local GGUF.
- *answer*: a model's text with its *metrics* (time to first token, total time, tokens, tokens/s, cost) and its
  *confidence*, the exp of the mean token log-probability, in (0, 1].
- *cascade*: the SM answers first and the query is *escalated* to the LLM when the SM's confidence is below a
  *threshold* (see `cascade.should_escalate`).
- *retrieval*: the top-k papers of the dataset for a question, which the model answers from, citing their keys.

Import what you need from its submodule (`models.cascade`, `models.local`, ...): this package imports nothing
itself, so `python -m survey_taxonomy validate` does not pay for the model stack. Functions that need the
configuration take `Settings`; only the entry points (atlas_ui.cache, the CLI) read the environment.
"""
