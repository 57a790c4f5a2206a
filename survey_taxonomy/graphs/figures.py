"""Plotly figures built from frames and graphs (no Streamlit): the pages only display them.

Every figure has a title, axis labels and hover text that names what a mark is. Large graphs are drawn
with `Scattergl` (WebGL) so that 2,000 nodes stay responsive.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import networkx as nx
import pandas as pd
import plotly.graph_objects as go

from ..data.records import RELATION_LABELS
from ..data.taxonomy import Taxonomy
from ..data.words import clipped
from ..query.selection import Selection, facet_counts, node_counts

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#EECA3B"]
RELATION_COLOURS = {
    "survey": "#333333",
    "cited-by-survey": "#4C78A8",
    "cites-survey": "#54A24B",
    "curated": "#F58518",
    "community": "#B279A2",
}
CROWDED = 60  # nodes; from here a drawing sizes its nodes within a smaller range
WEBGL_FROM = 300  # nodes; below this SVG looks crisper, above it WebGL keeps panning smooth


def plain(text: object) -> str:
    """Text from data made inert for Plotly, which renders a subset of HTML (links included) in hover text,
    legends and axis labels.

    >>> plain('<a href="https://evil.example">x</a> & y')
    '&lt;a href="https://evil.example"&gt;x&lt;/a&gt; &amp; y'
    """
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    # Legends go under the plot: beside it they squeeze the plot to nothing on a phone.
    legend = {"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0}
    fig.update_layout(title={"text": plain(title), "x": 0.01}, margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend=legend, **kwargs)
    return fig


def year_axis(years: pd.Series) -> dict[str, Any]:
    """An x axis of whole years: over a short span Plotly's own ticks fall between years ("2,024.5")."""
    known = years.dropna()
    span = int(known.max() - known.min()) if len(known) else 0
    return {"title": "Year", "tickformat": "d", "dtick": 1 if span < 8 else 2}


def colour_map(values: list[str]) -> dict[str, str]:
    """A stable colour per category value, in first-seen order."""
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(dict.fromkeys(values))}


def taxonomy_sunburst(frame: pd.DataFrame, taxonomy: Taxonomy, title: str = "The survey's taxonomy") -> go.Figure:
    """Sunburst of the taxonomy; a sector's size and hover count are the papers in its subtree."""
    counts = node_counts(frame["taxonomy"], taxonomy)
    nodes = list(taxonomy.walk())
    # Sizes: each node's own count minus what its children hold, so that "remainder" sums back to the subtree count.
    own = {n.id: max(counts[n.id] - sum(counts[c] for c in n.children), 0) for n in nodes}
    fig = go.Figure(
        go.Sunburst(
            ids=[n.id for n in nodes],
            labels=[f"{plain(n.label)} ({counts[n.id]})" for n in nodes],
            parents=[n.parent or "" for n in nodes],
            values=[own[n.id] for n in nodes],
            branchvalues="remainder",
            customdata=[[counts[n.id], plain(n.heading)] for n in nodes],
            hovertemplate="<b>%{customdata[1]}</b><br>%{customdata[0]} papers in this part<extra></extra>",
            insidetextorientation="radial",
            maxdepth=3,
        )
    )
    return _layout(fig, title, height=560)


def papers_per_year(frame: pd.DataFrame, by: str = "category", title: str = "Papers per year") -> go.Figure:
    """Stacked bars of papers per year, one colour per value of `by`."""
    data = frame.dropna(subset=["year"]).groupby(["year", by]).size().reset_index(name="papers")
    fig = go.Figure()
    colours = colour_map(sorted(data[by].unique()))
    for value, part in data.groupby(by, sort=True):
        fig.add_bar(
            x=part["year"],
            y=part["papers"],
            name=plain(value),
            marker_color=colours[cast(str, value)],  # a value of `by`, as colour_map was given them
            hovertemplate=f"{plain(value)}<br>%{{x}}: %{{y}} papers<extra></extra>",
        )
    return _layout(fig, title, barmode="stack", xaxis=year_axis(data["year"]), yaxis_title="Papers", legend_title=by.replace("_", " ").title(), height=380)


def node_trends(frame: pd.DataFrame, taxonomy: Taxonomy, node_ids: list[str], title: str = "Papers per year by taxonomy node") -> go.Figure:
    """One line per node: papers per year in its subtree, to see which directions grow."""
    fig = go.Figure()
    years = frame["year"].dropna()
    if years.empty:
        return _layout(fig, title)
    span = list(range(int(years.min()), int(years.max()) + 1))
    colours = colour_map(node_ids)
    for node in node_ids:
        per_year = frame[Selection(node=node).mask(frame)].groupby("year").size().reindex(span, fill_value=0)
        label = plain(taxonomy[node].label)
        fig.add_scatter(
            x=span,
            y=per_year.values,
            mode="lines+markers",
            name=label,
            line_color=colours[node],
            hovertemplate=f"{label}<br>%{{x}}: %{{y}} papers<extra></extra>",
        )
    return _layout(fig, title, xaxis=year_axis(years), yaxis_title="Papers", legend_title="Node", height=420)


VENUE_TICK_CHARS = 32  # a longer venue name is cut on the axis (whole in the hover): it took the bars' width


def top_venues(frame: pd.DataFrame, n: int = 15, title: str = "Most frequent venues") -> go.Figure:
    counts = facet_counts(frame["venue_name"]).head(n)[::-1]
    names = [plain(v) for v in counts.index]
    fig = go.Figure(go.Bar(x=counts.values, y=names, orientation="h", marker_color=PALETTE[0], hovertemplate="%{y}: %{x} papers<extra></extra>"))
    ticks = {"tickmode": "array", "tickvals": names, "ticktext": [plain(clipped(v, VENUE_TICK_CHARS)) for v in counts.index]}
    return _layout(fig, title, xaxis_title="Papers", yaxis_title="Venue", yaxis=ticks, height=max(300, 26 * len(counts) + 80))


def code_share(frame: pd.DataFrame, title: str = "Share of papers with released code") -> go.Figure:
    data = frame.dropna(subset=["year"]).groupby("year")["has_code"].agg(["mean", "size"]).reset_index()
    fig = go.Figure(
        go.Bar(
            x=data["year"],
            y=data["mean"] * 100,
            customdata=data["size"],
            marker_color=PALETTE[2],
            hovertemplate="%{x}: %{y:.0f}% of %{customdata} papers have code<extra></extra>",
        )
    )
    return _layout(fig, title, xaxis=year_axis(data["year"]), yaxis_title="Papers with code (%)", yaxis_range=[0, 100], height=340)


LINKS_GROUP: dict[str, Any] = {"legendgroup": "links", "legendgrouptitle_text": "Links"}
LINK_STYLES = {  # how each kind of link (networks.LINK_KINDS) is drawn: a citation solid, a similarity dotted
    "citation": {"width": 1.4, "color": "rgba(60,60,60,0.75)", "dash": "solid"},
    "similar": {"width": 1.0, "color": "rgba(76,120,168,0.6)", "dash": "dot"},
    "survey": {"width": 0.6, "color": "rgba(150,150,150,0.35)", "dash": "dash"},
    "": {"width": 0.6, "color": "rgba(120,120,120,0.35)", "dash": "solid"},
}


def graph_figure(
    graph: nx.Graph,
    positions: dict[str, tuple[float, float]],
    metrics: pd.DataFrame,
    *,
    colour_by: str = "category",
    size_by: str = "degree",
    highlight: str | None = None,
    labels: Sequence[str] = (),
    title: str = "Citation graph",
) -> go.Figure:
    """Nodes coloured by a node attribute (`category`, `relation` or `year`) and sized by a metric column.

    Links are drawn by their `kind` (LINK_STYLES), each kind a legend entry named by `networks.LINK_KINDS`, so a
    similarity is never drawn or named as a citation; hovering the middle of a link shows its `note` (where a
    citation comes from, or a similarity's score). `highlight` is circled with its links drawn in red; `labels`
    are the nodes whose short names are written beside them (the most central ones first, so the drawing can be
    read without hovering; one that would cover a name already written is left out, see `apart`), each on the
    side of its node that faces the middle of the drawing, so that no label runs off a narrow (phone) drawing.

    Each node trace's `customdata` holds the node ids, so a selection event maps back to nodes.
    """
    from .networks import LINK_KINDS, METRIC_LABELS, node_name

    fig = go.Figure()
    nodes = [n for n in graph if n in positions]
    if not nodes:
        return _layout(fig, title + " (no nodes to show)")
    scatter = go.Scattergl if len(nodes) >= WEBGL_FROM else go.Scatter
    by_kind: dict[str, list[tuple[str, str, str]]] = {}
    for a, b, data in graph.edges(data=True):
        if a in positions and b in positions:
            kind = data.get("kind", "") if data.get("kind", "") in LINK_KINDS else ""
            by_kind.setdefault(kind, []).append((a, b, str(data.get("note", ""))))
    for kind in [*LINK_KINDS, ""]:
        links = by_kind.get(kind, [])
        if not links:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b, _ in links:
            xs += [positions[a][0], positions[b][0], None]
            ys += [positions[a][1], positions[b][1], None]
        name = f"{LINK_KINDS[kind]}: {len(links)}" if kind else ""
        fig.add_trace(scatter(x=xs, y=ys, mode="lines", line=LINK_STYLES[kind], hoverinfo="skip", name=name, showlegend=bool(kind), **LINKS_GROUP))
        if kind:
            arrow = "—" if kind == "similar" else "→"
            fig.add_trace(
                scatter(
                    x=[(positions[a][0] + positions[b][0]) / 2 for a, b, _ in links],
                    y=[(positions[a][1] + positions[b][1]) / 2 for a, b, _ in links],
                    mode="markers",
                    marker={"size": 6, "color": "rgba(120,120,120,0.2)"},
                    text=[
                        f"{plain(_short_label(graph.nodes[a]))} {arrow} {plain(_short_label(graph.nodes[b]))}<br>{plain(note[:200])}" for a, b, note in links
                    ],
                    hovertemplate="%{text}<extra>" + plain(LINK_KINDS[kind].split(" (")[0].lower()) + " link</extra>",
                    showlegend=False,
                )
            )

    metric = metrics.set_index("node")[size_by] if size_by in metrics.columns and not metrics.empty else pd.Series(dtype=float)
    top = float(metric.max()) if len(metric) else 1.0
    size_label = {**METRIC_LABELS, "citations": "Citation count"}.get(size_by, size_by)

    spread = 28 if len(nodes) <= CROWDED else 14  # many nodes drawn big cover each other and their links

    def size(n: str) -> float:
        value = float(metric.get(n, 0.0)) if len(metric) else 0.0
        return 7 + spread * math.sqrt(value / top) if top > 0 else 9

    def hover(n: str) -> str:
        data = graph.nodes[n]
        extra = f"<br>{plain(size_label)}: {float(metric.get(n, 0)):.3g}" if len(metric) else ""
        if data.get("kind") == "author":
            return f"<b>{plain(node_name(graph, n))}</b><br>{len(data.get('papers', ()))} paper(s) here{extra}"
        authors = list(data.get("authors", ()))
        byline = (authors[0] + (" et al." if len(authors) > 1 else "")) if authors else "authors unknown"
        return f"<b>{plain(clipped(str(data.get('title', n)), 90))}</b><br>{plain(byline)} · {data.get('year') or 'year unknown'}{extra}"

    if colour_by == "year":
        years = [graph.nodes[n].get("year") or 0 for n in nodes]
        known = [y for y in years if y]
        fig.add_trace(
            scatter(
                x=[positions[n][0] for n in nodes],
                y=[positions[n][1] for n in nodes],
                mode="markers",
                customdata=nodes,
                text=[hover(n) for n in nodes],
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
                marker={
                    "size": [size(n) for n in nodes],
                    "color": [y or (min(known) if known else 0) for y in years],
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": "Year"},
                    "line": {"width": 0.5, "color": "white"},
                },
            )
        )
    else:
        values = [str(graph.nodes[n].get(colour_by, "")) for n in nodes]
        colours = RELATION_COLOURS if colour_by == "relation" else colour_map(sorted(set(values)))
        for value in sorted(set(values)):
            group = [n for n, v in zip(nodes, values, strict=True) if v == value]
            fig.add_trace(
                scatter(
                    x=[positions[n][0] for n in group],
                    y=[positions[n][1] for n in group],
                    mode="markers",
                    name=RELATION_LABELS.get(value, value) if colour_by == "relation" else plain(value),
                    legendgroup="nodes",
                    legendgrouptitle_text=plain(colour_by.title()),
                    customdata=group,
                    text=[hover(n) for n in group],
                    hovertemplate="%{text}<extra></extra>",
                    marker={"size": [size(n) for n in group], "color": colours.get(value, PALETTE[-1]), "line": {"width": 0.5, "color": "white"}},
                )
            )
    axis: dict[str, Any] = {"showgrid": False, "zeroline": False, "showticklabels": False, "title": ""}
    xaxis, yaxis = dict(axis), dict(axis)
    if positions:  # room at the sides for the labels of the outermost nodes, which plotly would cut
        across, down = [p[0] for p in positions.values()], [p[1] for p in positions.values()]
        xpad, ypad = 0.2 * (max(across) - min(across) or 1), 0.08 * (max(down) - min(down) or 1)
        xaxis["range"], yaxis["range"] = [min(across) - xpad, max(across) + xpad], [min(down) - ypad, max(down) + ypad]
    if labels:
        texts = {n: plain(_short_label(graph.nodes[n])) for n in labels if n in positions}
        shown = apart(texts, positions, xaxis.get("range", [-1.0, 1.0]), yaxis.get("range", [-1.0, 1.0]))
        fig.add_trace(
            scatter(
                x=[positions[n][0] for n in shown],
                y=[positions[n][1] for n in shown],
                mode="text",
                text=[texts[n] for n in shown],
                textposition=[inward(positions[n][0], xaxis["range"]) for n in shown],
                textfont={"size": LABEL_FONT_PX, "color": "#222"},
                **({"cliponaxis": False} if scatter is go.Scatter else {}),  # WebGL draws no text outside the axes anyway
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if highlight is not None and highlight in positions:
        hx, hy = [], []
        for a, b in graph.edges(highlight) if not graph.is_directed() else [*graph.in_edges(highlight), *graph.out_edges(highlight)]:
            if a in positions and b in positions:
                hx += [positions[a][0], positions[b][0], None]
                hy += [positions[a][1], positions[b][1], None]
        fig.add_trace(scatter(x=hx, y=hy, mode="lines", line={"width": 2, "color": "#E45756"}, hoverinfo="skip", showlegend=False))
        fig.add_trace(
            scatter(
                x=[positions[highlight][0]],
                y=[positions[highlight][1]],
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                marker={"size": size(highlight) + 10, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "#E45756"}},
            )
        )
    return _layout(fig, title, xaxis=xaxis, yaxis=yaxis, height=640, hovermode="closest", dragmode="pan")


def inward(x: float, x_range: Sequence[float]) -> str:
    """Where a label goes so that it runs toward the middle of the drawing: left of a node in the right third,
    right of one in the left third, centred between.

    >>> inward(0.9, [-1, 1]), inward(-0.9, [-1, 1]), inward(0.0, [-1, 1])
    ('top left', 'top right', 'top center')
    """
    third = (x_range[1] - x_range[0]) / 3
    return "top left" if x > x_range[1] - third else "top right" if x < x_range[0] + third else "top center"


LABEL_FONT_PX = 11
# The graph's plotting area on a phone (390 px wide; about 560 px at a desktop width; the legend under the plot
# takes a third of the figure's 640 px height), so that labels chosen not to cover each other do not on a phone either.
DRAWING_PX = (360, 380)


def apart(texts: Mapping[str, str], positions: Mapping[str, tuple[float, float]], x_range: Sequence[float], y_range: Sequence[float]) -> list[str]:
    """The nodes of `texts` (in its order: the most central first) whose labels can be written without covering
    one written before, on a drawing of DRAWING_PX showing `x_range` by `y_range`. A label sits over its node on
    the side `inward` gives, one line high and about 0.6 em per character wide.

    >>> apart({"a": "Alpha", "b": "Beta", "c": "Gamma"}, {"a": (0, 0), "b": (0.01, 0), "c": (0, 1)}, [-1, 1], [-1, 1])
    ['a', 'c']
    """
    across = DRAWING_PX[0] / ((x_range[1] - x_range[0]) or 1.0)
    down = DRAWING_PX[1] / ((y_range[1] - y_range[0]) or 1.0)
    written: list[tuple[float, float, float]] = []  # x and y in pixels, half the label's width
    shown = []
    for node, text in texts.items():
        x, y = positions[node][0] * across, positions[node][1] * down
        half = 0.3 * LABEL_FONT_PX * len(text)
        side = inward(positions[node][0], x_range)
        x += -half if side == "top left" else half if side == "top right" else 0.0
        if all(abs(x - wx) >= half + w_half or abs(y - wy) >= 1.3 * LABEL_FONT_PX for wx, wy, w_half in written):
            written.append((x, y, half))
            shown.append(node)
    return shown


def _short_label(data: Mapping[str, Any]) -> str:
    """A node's name on the drawing: an author's name, or a paper's first words."""
    text = str(data.get("title", ""))
    if data.get("kind") == "author":
        return text
    words = text.split(":")[0].split()
    return " ".join(words[:4]) + ("…" if len(words) > 4 else "")


def route_curve_figure(curve: pd.DataFrame, current: tuple[float, float] | None = None, title: str = "Cascade: answer quality against LLM calls") -> go.Figure:
    """Quality (token F1) against the share of queries sent to the large model, one point per threshold.

    `curve` is `models.cascade.route_curve`'s frame; `current` marks (LLM share, quality) at the slider's threshold.
    """
    fig = go.Figure(
        go.Scatter(
            x=100 * curve["llm_share"],
            y=curve["quality"],
            mode="lines+markers",
            name="thresholds",
            customdata=curve[["threshold", "cost_usd", "latency_s"]].to_numpy(),
            hovertemplate="threshold %{customdata[0]:.3f}<br>%{x:.0f}% sent to the LLM<br>quality %{y:.3f}"
            "<br>cost $%{customdata[1]:.5f} · mean latency %{customdata[2]:.2f} s<extra></extra>",
            line={"color": PALETTE[0]},
        )
    )
    if len(curve):
        ends = curve.iloc[[0, -1]]
        fig.add_trace(
            go.Scatter(
                x=100 * ends["llm_share"],
                y=ends["quality"],
                mode="markers+text",
                text=["all small model", "all large model"],
                textposition=["top right", "top left"],
                marker={"size": 12, "color": PALETTE[1]},
                name="end points",
                hoverinfo="skip",
            )
        )
    if current is not None:
        star = {"size": 16, "symbol": "star", "color": PALETTE[3]}
        fig.add_trace(go.Scatter(x=[100 * current[0]], y=[current[1]], mode="markers", name="current threshold", marker=star))
    return _layout(fig, title, xaxis_title="queries sent to the large model (%)", yaxis_title="mean answer quality (token F1)", height=420)
