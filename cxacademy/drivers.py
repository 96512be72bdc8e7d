"""Key-driver analysis: which experience dimensions move an overall rating, and which to fix first.

Experience dimensions are collinear — a hospital whose nurses explain well usually also has
doctors who explain well — so raw regression coefficients split their shared effect almost at
random and can even turn negative. The Shapley / LMG decomposition used here shares the model's
R² fairly among the drivers instead: each driver gets its average gain in R² over every order in
which the drivers could enter the model. The shares add up to 100 %.

Importance here is correlational: it says which dimensions move together with the rating
across units, not what would happen if one of them were changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pingouin

from cxacademy.text import t

#: Quadrants of the importance–performance matrix (Martilla & James, 1977), as stable codes.
FIX_FIRST, KEEP_UP, LOW_PRIORITY, POSSIBLE_OVERKILL = "fix_first", "keep_up", "low_priority", "possible_overkill"
QUADRANTS = (FIX_FIRST, KEEP_UP, LOW_PRIORITY, POSSIBLE_OVERKILL)

_COLOURS = {FIX_FIRST: "tab:red", KEEP_UP: "tab:green", LOW_PRIORITY: "tab:grey", POSSIBLE_OVERKILL: "tab:blue"}


def relative_importance(frame: pd.DataFrame, drivers: Sequence[str], outcome: str) -> pd.DataFrame:
    """Each driver's share of the explained variance (Shapley/LMG), beside the numbers it replaces.

    Returns one row per driver, most important first, with columns
    ``importance_pct`` (share of R², sums to 100), ``r2_contribution`` (the same in R² units,
    sums to the model's R²), ``coefficient`` (the raw multiple-regression slope, shown so the
    two can be compared) and ``correlation`` (with the outcome). Rows with a missing value in
    any of the columns used are left out.
    """
    columns = list(drivers)
    data = frame[[*columns, outcome]].dropna()
    model = pingouin.linear_regression(data[columns], data[outcome], relimp=True).set_index("names")
    result = pd.DataFrame(
        {
            "importance_pct": model.loc[columns, "relimp_perc"],
            "r2_contribution": model.loc[columns, "relimp"],
            "coefficient": model.loc[columns, "coef"],
            "correlation": data[columns].corrwith(data[outcome]),
        }
    ).astype("float64")
    result.index.name = "driver"
    return result.sort_values("importance_pct", ascending=False)


def importance_performance(
    importance: pd.Series,
    performance: pd.Series,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> pd.DataFrame:
    """Place each driver in a quadrant of the importance–performance matrix.

    ``fix_first``: more important than the cut and performing below it — where effort pays most;
    ``keep_up``: important and performing well; ``low_priority``: neither; ``possible_overkill``:
    performing well on something that matters little. The cuts default to the mean importance
    and the mean performance of the drivers shown (the data-centred matrix). A driver exactly
    on a cut counts as not important, or as performing well.
    """
    matrix = pd.concat({"importance": importance, "performance": performance}, axis=1).astype("float64")
    if matrix.isna().any().any():
        raise ValueError("importance and performance must give a number for the same drivers")
    i_cut = matrix["importance"].mean() if importance_cut is None else importance_cut
    p_cut = matrix["performance"].mean() if performance_cut is None else performance_cut
    important = matrix["importance"] > i_cut
    strong = matrix["performance"] >= p_cut
    matrix["quadrant"] = np.select(
        [important & ~strong, important & strong, ~important & ~strong],
        [FIX_FIRST, KEEP_UP, LOW_PRIORITY],
        default=POSSIBLE_OVERKILL,
    )
    matrix.attrs.update(importance_cut=float(i_cut), performance_cut=float(p_cut))
    return matrix


def fix_first(matrix: pd.DataFrame) -> list[str]:
    """The drivers in the fix-first quadrant, most important first."""
    chosen = matrix[matrix["quadrant"] == FIX_FIRST].sort_values("importance", ascending=False)
    return [str(name) for name in chosen.index]


def plot_importance_performance(
    matrix: pd.DataFrame, labels: dict[str, str] | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """Draw the matrix from ``importance_performance``: one dot per driver, the cuts as dashed lines.

    ``labels`` maps driver names to short display names (defaults to the names themselves).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5.5))
    names = labels or {}
    for quadrant in QUADRANTS:
        part = matrix[matrix["quadrant"] == quadrant]
        ax.scatter(part["performance"], part["importance"], s=70, color=_COLOURS[quadrant],
                   label=t(f"drivers.quadrant.{quadrant}"))
    for rank, (driver, row) in enumerate(matrix.sort_values("performance").iterrows()):
        ax.annotate(names.get(driver, driver), (row["performance"], row["importance"]),
                    xytext=(6, 4 if rank % 2 == 0 else -12), textcoords="offset points", fontsize=9)
    ax.axvline(matrix.attrs.get("performance_cut", matrix["performance"].mean()), color="grey", linestyle="--", linewidth=1)
    ax.axhline(matrix.attrs.get("importance_cut", matrix["importance"].mean()), color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(t("drivers.performance_axis"))
    ax.set_ylabel(t("drivers.importance_axis"))
    ax.set_title(t("drivers.matrix_title"))
    ax.legend(loc="best", fontsize=9)
    return ax
