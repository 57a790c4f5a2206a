"""The Streamlit layer of the atlas: the only package that imports Streamlit.

- `state`: the pure core, what a page's filters say from its URL and widgets (no Streamlit; tested without it);
- `compat`: every use of a Streamlit private, each with a canary test naming the Streamlit version;
- `url`: filter state and the open paper in the page's URL;
- `cache`: the one cache layer, keyed on the signature of every data file and the store's approvals, and the
  objects that live as long as the server (submission store, jobs, local model servers, models);
- `layout`: the page style, the shared sidebar and the small scripts of the page;
- `widgets`: filters, tables, downloads, the paper panel, reading-list buttons and links;
- `form`: the Submit form's widgets, drawn from the field table.
Pages (`pages/`) read widgets, call these and the library, and draw.
"""
