"""Self-checks for lesson 04-01, "Survey metrics done right".

Data: the HCAHPS hospital survey (2022). Its 0–10 overall rating is published per hospital as
the shares of 9–10, 7–8 and 0–6 answers, so an NPS-style net rating (% 9–10 − % 0–6) and its
standard error can be computed exactly; it is the rating question, not the recommend question.
Expected values come from ``cxacademy.metrics``; each typical mistake is computed the way a
learner would make it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd
from scipy import stats

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import (
    Comparison,
    nps_difference_from_shares,
    nps_interval_from_shares,
    nps_sample_size,
    nps_standard_error,
    pooled_net_rating,
    pooled_percent,
    percent,
)
from cxacademy.text import t

_KEY = "practice.m04_survey_metrics"

HIGH, MIDDLE, LOW, N = "overall_rating_9_10_pct", "overall_rating_7_8_pct", "overall_rating_0_6_pct", "n_completed_surveys"

#: Exercise 2: two hospitals in Pueblo, Colorado — St Mary Corwin (A) and Parkview (B).
PUEBLO_A, PUEBLO_B = "060012", "060020"
#: Exercise 3: "top-rated" means a net rating of at least this many points; "small" means fewer surveys.
TOP_RATED, SMALL_SURVEYS = 80, 300
#: Exercise 4: the margin of error (± points) the survey should reach.
TARGET_MARGIN = 5


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def _hospitals() -> pd.DataFrame:
    return load("hcahps_hospital_2022")


def _national_shares() -> tuple[float, float, int]:
    """Pooled share of 9–10 and of 0–6 ratings (0–1) of all surveyed patients, and their number."""
    hospitals = _hospitals()
    return (
        pooled_percent(hospitals[HIGH], hospitals[N]) / 100,
        pooled_percent(hospitals[LOW], hospitals[N]) / 100,
        int(hospitals[N].sum()),
    )


def check_national_net(answer: Any) -> Verdict:
    """Exercise 1: the national NPS-style net rating of all surveyed patients, with its 95 % interval."""
    hospitals = _hospitals()
    n = hospitals[N]
    expected = pooled_net_rating(hospitals[HIGH], hospitals[LOW], n)
    high, low, total = _national_shares()
    mistakes = [
        Mistake(pooled_net_rating(hospitals[HIGH] + hospitals[MIDDLE], hospitals[LOW], n), _msg("passives_as_promoters")),
        Mistake(nps_interval_from_shares(hospitals[HIGH].mean() / 100, hospitals[LOW].mean() / 100, total),
                _msg("unweighted_hospitals")),
        Mistake(nps_interval_from_shares(high, low, len(hospitals)), _msg("hospitals_as_n", hospitals=len(hospitals))),
        Mistake(pooled_net_rating(hospitals["recommend_definitely_yes_pct"], hospitals["recommend_not_pct"], n),
                _msg("recommend_question")),
    ]
    return check("national_net", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("national_net_hint"))


def _hospital_shares(facility_id: str, top: tuple[str, ...] = (HIGH,)) -> tuple[float, float, int]:
    row = _hospitals().set_index("facility_id").loc[facility_id]
    return sum(row[column] for column in top) / 100, row[LOW] / 100, int(row[N])


def _added_errors(a: tuple[float, float, int], b: tuple[float, float, int]) -> Comparison:
    """The gap tested with SE_A + SE_B instead of √(SE_A² + SE_B²) — a typical slip."""
    right = nps_difference_from_shares(*a, *b)
    se = nps_standard_error(*a) + nps_standard_error(*b)
    z = right.difference / se
    return Comparison(right.difference, se, z, float(2 * stats.norm.sf(abs(z))))


def check_pueblo_gap(answer: Any) -> Verdict:
    """Exercise 2: St Mary Corwin minus Parkview, as the full ``Comparison`` (difference, SE, z, p)."""
    a, b = _hospital_shares(PUEBLO_A), _hospital_shares(PUEBLO_B)
    expected = nps_difference_from_shares(*a, *b)
    reversed_gap = nps_difference_from_shares(*b, *a)
    mistakes = [
        Mistake(reversed_gap, _msg("gap_reversed")),
        Mistake(_added_errors(a, b), _msg("standard_errors_added")),
        Mistake(nps_difference_from_shares(*_hospital_shares(PUEBLO_A, (HIGH, MIDDLE)),
                                           *_hospital_shares(PUEBLO_B, (HIGH, MIDDLE))),
                _msg("passives_as_promoters")),
    ]
    return check("pueblo_gap", answer, expected, tolerance=0.005, mistakes=mistakes, hint=_msg("pueblo_gap_hint"))


def check_small_in_top_pct(answer: Any) -> Verdict:
    """Exercise 3: % of top-rated hospitals (net rating ≥ 80) that have fewer than 300 surveys."""
    hospitals = _hospitals()
    top = (hospitals[HIGH] - hospitals[LOW]) >= TOP_RATED
    small = hospitals[N] < SMALL_SURVEYS
    expected = percent(int((top & small).sum()), int(top.sum()))
    mistakes = [
        Mistake(percent(int((top & small).sum()), int(small.sum())), _msg("conditional_reversed")),
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(int((top & small).sum()), _msg("count_not_percent")),
        Mistake(percent(int(small.sum()), len(hospitals)), _msg("all_hospitals_small")),
    ]
    return check("small_in_top_pct", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("small_in_top_hint"))


def check_surveys_needed(answer: Any) -> Verdict:
    """Exercise 4: answers needed for a ±5-point margin at the national shares of 9–10 and 0–6."""
    high, low, _ = _national_shares()
    expected = nps_sample_size(high, low, TARGET_MARGIN)
    mistakes = [
        Mistake(nps_sample_size(high, low, 2 * TARGET_MARGIN), _msg("width_not_margin")),
        Mistake(nps_sample_size(high, low, TARGET_MARGIN / 100), _msg("margin_as_share")),
    ]
    return check("surveys_needed", answer, expected, tolerance=1, mistakes=mistakes, hint=_msg("surveys_needed_hint"))

