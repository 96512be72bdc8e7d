"""Employee survey indices as OPM defines them for the FEVS (Module 03, employees first).

OPM's **Employee Engagement Index** (EEI) has three sub-indices of five items each. An item's
score is its *percent positive* — the weighted share answering 4 or 5 on the 1–5 scale — a
sub-index is the mean of its items' scores, and the EEI the mean of its three sub-indices.
Every estimate uses OPM's analysis weight (``weight``), because the respondents are not a
random draw of the workforce: some agencies and groups answer far more often than others.

The course also classifies each respondent (OPM does not): **engaged** when more than half of
the 15 EEI items are positive. That lets a leader compare intent to leave between engaged and
not-engaged staff — a correlation across people, not proof that engagement keeps them.
In the shipped sample, "do not know" answers were imputed with the item median (data card).
"""

from __future__ import annotations

import pandas as pd

#: OPM's three EEI sub-indices and their FEVS 2018 items (lower-case column names).
EEI_SUBINDICES: dict[str, tuple[str, ...]] = {
    "leaders_lead": ("q53", "q54", "q56", "q60", "q61"),
    "supervisors": ("q47", "q48", "q49", "q51", "q52"),
    "intrinsic_work_experience": ("q3", "q4", "q6", "q11", "q12"),
}
EEI_ITEMS: tuple[str, ...] = tuple(item for items in EEI_SUBINDICES.values() for item in items)
#: Answers that count as positive on the 1–5 scale (agree, strongly agree; satisfied, very satisfied).
POSITIVE_FROM = 4
#: More than half of the 15 EEI items positive makes a respondent "engaged" (the course's rule).
ENGAGED_MIN_ITEMS = 8


def weighted_percent(flags: pd.Series, weights: pd.Series, by: pd.Series | None = None) -> float | pd.Series:
    """Weighted percentage of True in ``flags``: Σ w·flag / Σ w × 100, overall or per group of ``by``."""
    weighted = pd.DataFrame({"hits": flags.astype(float) * weights, "weights": weights})
    if by is None:
        return float(100 * weighted["hits"].sum() / weighted["weights"].sum())
    totals = weighted.groupby(by, observed=True).sum()
    return 100 * totals["hits"] / totals["weights"]


def percent_positive(survey: pd.DataFrame, items: tuple[str, ...], by: str | None = None) -> float | pd.Series:
    """OPM's index score: the mean over ``items`` of each item's weighted percent positive."""
    group = None if by is None else survey[by]
    scores = [weighted_percent(survey[item].ge(POSITIVE_FROM), survey["weight"], group) for item in items]
    return sum(scores) / len(scores)


def engagement_index(survey: pd.DataFrame, by: str | None = None) -> pd.DataFrame | pd.Series:
    """The three sub-indices and the EEI (mean of the three), in percent, overall or per group."""
    scores = {name: percent_positive(survey, items, by) for name, items in EEI_SUBINDICES.items()}
    table = pd.DataFrame(scores) if by is not None else pd.Series(scores)
    table["eei"] = sum(scores.values()) / len(scores)
    return table


def engaged(survey: pd.DataFrame) -> pd.Series:
    """Whether each respondent is engaged: at least ``ENGAGED_MIN_ITEMS`` of the 15 EEI items positive."""
    return survey[list(EEI_ITEMS)].ge(POSITIVE_FROM).sum(axis=1).ge(ENGAGED_MIN_ITEMS)


def leaving_by_engagement(survey: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per group: weighted % considering leaving among engaged and not-engaged staff, and the gap in points."""
    is_engaged = engaged(survey)
    rates = {
        label: weighted_percent(survey.loc[mask, "leaving_intent"], survey.loc[mask, "weight"], survey.loc[mask, by])
        for label, mask in (("leave_engaged_pct", is_engaged), ("leave_not_engaged_pct", ~is_engaged))
    }
    table = pd.DataFrame(rates)
    table["leave_gap_pts"] = table["leave_not_engaged_pct"] - table["leave_engaged_pct"]
    return table
