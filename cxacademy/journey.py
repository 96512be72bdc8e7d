"""Journeys from event logs: steps, variants, stage funnels, waiting times, rework and a drawn map.

An event log has one row per *event*: a case (one customer's application, order or ticket),
an activity, a timestamp and often a lifecycle transition. Three rules keep a journey
measured from such a log honest, and every function here follows them:

- **Cases, not events.** A customer who was sent three offers is one customer who reached
  "offer sent"; conversion and drop-off count cases.
- **One step, not three.** A staff work item is logged as SCHEDULE, START and COMPLETE
  (sometimes START/COMPLETE several times, when work is paused). They are moments of one
  step, so a step is a *completed* activity (:func:`journey_steps`); counting every
  transition triples the work items and invents variants.
- **Medians and percentiles, not means.** Waiting times are skewed: most cases move in
  hours, a few wait for weeks, and the mean describes neither.

The directly-follows graph is built with networkx and drawn with matplotlib, both permissive
(BSD); process-mining packages such as pm4py are AGPL-licensed and deliberately not used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

#: The lifecycle transition that closes a step; SCHEDULE and START are moments within it.
COMPLETE = "COMPLETE"
#: How a variant's steps are joined into one readable label.
ARROW = " → "
#: Percentiles reported beside the median of a waiting time (share of cases).
PERCENTILES = (0.25, 0.75, 0.90)


def journey_steps(
    events: pd.DataFrame, case: str = "case_id", activity: str = "activity",
    timestamp: str = "timestamp", lifecycle: str | None = "lifecycle",
) -> pd.DataFrame:
    """One row per completed step, in time order within each case (the original order breaks ties).

    Why only COMPLETE: SCHEDULE → START → COMPLETE is one step seen three times; a step counts
    when it is done. Without a lifecycle column (``lifecycle=None``) every event is a step.
    """
    steps = events if lifecycle is None else events[events[lifecycle].astype(str) == COMPLETE]
    ordered = steps.assign(_order=np.arange(len(steps))).sort_values([case, timestamp, "_order"], kind="stable")
    return ordered.drop(columns="_order").reset_index(drop=True)


def variant_table(steps: pd.DataFrame, case: str = "case_id", activity: str = "activity") -> pd.DataFrame:
    """Each distinct path through the journey with how many cases took it, most common first.

    Columns: ``cases``, ``share_pct`` (of all cases) and ``cumulative_pct`` (covered by this
    variant and every more common one). Ties are ordered by the variant's label, so the table
    is the same on every run.
    """
    # Concatenating "name → " strings per case is ~5x faster than a Python join per group.
    linked = (steps[activity].astype(str) + ARROW).groupby(steps[case], sort=False).sum()
    paths = linked.str[: -len(ARROW)]
    counts = paths.value_counts().rename_axis("variant").rename("cases").reset_index()
    counts = counts.sort_values(["cases", "variant"], ascending=[False, True]).set_index("variant")
    share = 100 * counts["cases"] / counts["cases"].sum()
    return counts.assign(share_pct=share, cumulative_pct=share.cumsum())


def top_variant_coverage(variants: pd.DataFrame, top: int) -> float:
    """% of cases that follow one of the ``top`` most common variants (of a :func:`variant_table`)."""
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    return float(100 * variants["cases"].iloc[:top].sum() / variants["cases"].sum())


def _first_reached(steps: pd.DataFrame, stages: Mapping[str, str], case: str, activity: str,
                   timestamp: str) -> pd.DataFrame:
    """When each case first reached each stage (NaT when it never did); one column per stage label."""
    first = steps.groupby([case, activity], observed=True)[timestamp].min().unstack()
    return pd.DataFrame({label: first[name] if name in first else pd.NaT for label, name in stages.items()},
                        index=first.index)


def _reached_in_order(first: pd.DataFrame) -> pd.DataFrame:
    """Whether each case reached each stage *and* every stage before it (a funnel never grows)."""
    return first.notna().cummin(axis=1)


def stage_funnel(
    steps: pd.DataFrame, stages: Mapping[str, str], case: str = "case_id", activity: str = "activity",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Cases reaching each stage, conversion from the previous stage, drop-off and cases lost.

    ``stages`` maps a label to the activity that marks reaching it, in journey order. A case
    counts at a stage when it reached that stage and all before it. ``conversion_pct`` is % of
    the previous stage's cases (100 for the first stage), ``drop_off_pct`` = 100 − conversion,
    and ``lost`` = cases of the previous stage that never got here: drop-off weighted by how
    many cases were there to lose, which is what ranks stages by impact.
    """
    reached = _reached_in_order(_first_reached(steps, stages, case, activity, timestamp)).sum()
    previous = reached.shift(1, fill_value=reached.iloc[0])
    conversion = 100 * reached / previous
    return pd.DataFrame({
        "cases": reached.astype("int64"),
        "conversion_pct": conversion.astype("float64"),
        "drop_off_pct": (100 - conversion).astype("float64"),
        "lost": (previous - reached).astype("int64"),
    }).rename_axis("stage")


def stage_waits(
    steps: pd.DataFrame, stages: Mapping[str, str], case: str = "case_id", activity: str = "activity",
    timestamp: str = "timestamp", unit: str = "h",
) -> pd.DataFrame:
    """Time from first reaching the previous stage to first reaching each stage, in ``unit`` ("h", "D").

    Only cases that reached both stages count (``cases``). Columns: the median and the
    :data:`PERCENTILES` (``p25``, ``p75``, ``p90``); the first stage has no wait and is left out.
    """
    first = _first_reached(steps, stages, case, activity, timestamp)
    labels = list(stages)
    rows = {}
    for before, after in zip(labels[:-1], labels[1:]):
        waits = ((first[after] - first[before]) / pd.Timedelta(1, unit=unit)).dropna()
        row = {"cases": len(waits), "median": waits.median()}
        row.update({f"p{round(100 * q)}": waits.quantile(q) for q in PERCENTILES})
        rows[after] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("stage")


def directly_follows(
    steps: pd.DataFrame, case: str = "case_id", activity: str = "activity", timestamp: str = "timestamp",
    unit: str = "h",
) -> pd.DataFrame:
    """Every pair of steps that follow each other directly in some case, how often, and the time between.

    Columns ``source``, ``target``, ``transitions`` (how many times the pair occurred), ``cases``
    (how many cases contain it), ``median_wait`` and ``p90_wait`` in ``unit``; most frequent first.
    The waits show where customers wait longest between two steps.
    """
    following = steps.groupby(case, sort=False)
    pairs = pd.DataFrame({
        case: steps[case],
        "source": steps[activity].astype(str),
        "target": following[activity].shift(-1).astype("string"),
        "wait": (following[timestamp].shift(-1) - steps[timestamp]) / pd.Timedelta(1, unit=unit),
    }).dropna(subset=["target"])
    grouped = pairs.groupby(["source", "target"])
    table = pd.DataFrame({
        "transitions": grouped.size(),
        "cases": grouped[case].nunique(),
        "median_wait": grouped["wait"].median(),
        "p90_wait": grouped["wait"].quantile(0.9),
    }).reset_index()
    table["target"] = table["target"].astype(str)
    return table.sort_values(["transitions", "source", "target"], ascending=[False, True, True], ignore_index=True)


def rework(steps: pd.DataFrame, case: str = "case_id", activity: str = "activity") -> pd.DataFrame:
    """How often each step is repeated within a case: a loop the customer lives through again.

    Columns: ``cases`` (cases with the step), ``cases_repeating`` (with it more than once),
    ``repeat_pct`` (% of those cases) and ``median_times`` (median count among repeating cases);
    the most repeated first.
    """
    per_case = steps.groupby([case, activity], observed=True).size()
    by_step = per_case.groupby(level=activity, observed=True)
    repeating = per_case[per_case > 1].groupby(level=activity, observed=True)
    table = pd.DataFrame({"cases": by_step.size(), "cases_repeating": repeating.size()}).fillna(0)
    table["cases_repeating"] = table["cases_repeating"].astype("int64")
    table["repeat_pct"] = 100 * table["cases_repeating"] / table["cases"]
    table["median_times"] = repeating.median()
    table.index = table.index.astype(str)
    return table.rename_axis("step").sort_values(["repeat_pct", "cases"], ascending=False)


def rate_by_band(values: pd.Series, outcome: pd.Series, edges: Sequence[float]) -> pd.Series:
    """% of rows with ``outcome`` True within each band of ``values`` (e.g. cancellations by lead time).

    Bands are closed on the right, ``(edges[i], edges[i + 1]]``, and labelled by whole numbers
    ("0–7", "8–30", …, "181+" when the last edge is infinite). The denominator is each band's
    own rows: a rate, not the band's share of all outcomes.
    """
    labels = band_labels(edges)
    bands = pd.cut(values, bins=list(edges), labels=labels, include_lowest=True)
    rates = 100 * outcome.astype(float).groupby(bands, observed=False).mean()
    return rates.rename(index=str).reindex(labels).rename("rate_pct")


def band_labels(edges: Sequence[float]) -> list[str]:
    """Readable labels for integer bands closed on the right: [0, 7, 30, inf] → "0–7", "8–30", "31+"."""
    labels = []
    for position, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        start = int(low) if position == 0 else int(low) + 1
        labels.append(f"{start}+" if np.isinf(high) else f"{start}–{int(high)}")
    return labels


def dfg_graph(follows: pd.DataFrame, min_cases: int = 1) -> nx.DiGraph:
    """A directed graph of the pairs in a :func:`directly_follows` table seen in at least ``min_cases`` cases.

    Why a threshold: a real log's full graph is a hairball; the map a team can discuss keeps
    the paths that enough customers walk.
    """
    kept = follows[follows["cases"] >= min_cases]
    graph = nx.DiGraph()
    for row in kept.itertuples(index=False):
        graph.add_edge(row.source, row.target, transitions=int(row.transitions), cases=int(row.cases),
                       median_wait=float(row.median_wait))
    return graph


def _layers(graph: nx.DiGraph, start: str | None) -> dict[str, int]:
    """Each step's column in the drawing: its shortest distance from the start (loops do not move it)."""
    roots = [start] if start in graph else [n for n in graph if graph.in_degree(n) == 0] or list(graph)[:1]
    depth: dict[str, int] = {}
    for root in roots:
        for node, distance in nx.single_source_shortest_path_length(graph, root).items():
            depth[node] = min(distance, depth.get(node, distance))
    deepest = max(depth.values(), default=0)
    return {node: depth.get(node, deepest + 1) for node in graph}


def draw_dfg(graph: nx.DiGraph, ax: Axes | None = None, start: str | None = None, unit: str = "h") -> Axes:
    """Draw a directly-follows graph left to right: columns by distance from ``start``, edge width by cases.

    Each edge is labelled with its number of cases and median wait; self-loops (rework) are drawn
    as loops. Returns the axes so a lesson can title it and show it with a description.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 6))
    layered = graph.copy()  # the layout needs a node attribute; the caller's graph stays as it was
    nx.set_node_attributes(layered, _layers(graph, start), "layer")
    positions = nx.multipartite_layout(layered, subset_key="layer")
    cases = np.array([data["cases"] for *_, data in graph.edges(data=True)], dtype=float)
    widths = 0.5 + 5 * cases / cases.max() if len(cases) else []
    nx.draw_networkx_nodes(graph, positions, ax=ax, node_size=900, node_color="#dbe9f6", edgecolors="#3a6ea5")
    nx.draw_networkx_labels(graph, positions, ax=ax, font_size=7)
    nx.draw_networkx_edges(graph, positions, ax=ax, width=widths, edge_color="#555555", arrowsize=12,
                           connectionstyle="arc3,rad=0.12", node_size=900)
    edge_labels = {(u, v): f"{d['cases']} · {d['median_wait']:.1f}{unit}" for u, v, d in graph.edges(data=True)}
    nx.draw_networkx_edge_labels(graph, positions, edge_labels=edge_labels, ax=ax, font_size=6,
                                 connectionstyle="arc3,rad=0.12")
    ax.set_axis_off()
    return ax
