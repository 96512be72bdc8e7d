"""Self-checks for lesson 04-02, "Key driver analysis".

Data: the HCAHPS hospital survey (2022), one row per hospital. The drivers are the top-box
percentages of eight experience dimensions; the outcomes are the top-box percentages of the
overall rating (9–10) and of "definitely recommend". Expected values come from
``cxacademy.drivers`` and ``cxacademy.metrics``; each typical mistake is computed the way a
learner would make it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.drivers import KEEP_UP, fix_first, importance_performance, relative_importance
from cxacademy.metrics import pooled_percent
from cxacademy.text import t

_KEY = "practice.m04_key_drivers"

#: The eight HCAHPS experience dimensions, as top-box percentage columns.
DIMENSIONS = (
    "nurse_comm_always_pct",
    "doctor_comm_always_pct",
    "staff_responsive_always_pct",
    "medicines_comm_always_pct",
    "discharge_info_yes_pct",
    "care_transition_strongly_agree_pct",
    "clean_always_pct",
    "quiet_always_pct",
)
RATING, RECOMMEND, N = "overall_rating_9_10_pct", "recommend_definitely_yes_pct", "n_completed_surveys"
#: Exercise 3 looks at hospitals with fewer than this many completed surveys.
SMALL_SURVEYS = 300


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def _hospitals() -> pd.DataFrame:
    return load("hcahps_hospital_2022")


def _drivers(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    return relative_importance(frame, list(DIMENSIONS), outcome)


def _performance(frame: pd.DataFrame) -> pd.Series:
    """Patient-weighted top-box percentage of each dimension."""
    return pd.Series({d: pooled_percent(frame[d], frame[N]) for d in DIMENSIONS})


def _squared_correlation_shares(frame: pd.DataFrame, outcome: str) -> pd.Series:
    squared = frame[list(DIMENSIONS)].corrwith(frame[outcome]) ** 2
    return 100 * squared / squared.sum()


def check_recommend_importance(answer: Any) -> Verdict:
    """Exercise 1: Shapley/LMG importance (% of explained variance) of each dimension for "definitely recommend"."""
    hospitals = _hospitals()
    table = _drivers(hospitals, RECOMMEND)
    mistakes = [
        Mistake(table["coefficient"], _msg("coefficients_as_importance")),
        Mistake(_drivers(hospitals, RATING)["importance_pct"], _msg("rating_not_recommend")),
        Mistake(_squared_correlation_shares(hospitals, RECOMMEND), _msg("squared_correlations")),
        Mistake(table["r2_contribution"], _msg("r2_not_percent")),
    ]
    return check("recommend_importance", answer, table["importance_pct"], tolerance=0.05, mistakes=mistakes,
                 hint=_msg("recommend_importance_hint"))


def check_sign_flip_driver(answer: Any) -> Verdict:
    """Exercise 2: the dimension whose raw coefficient is negative although it correlates positively with the rating."""
    table = _drivers(_hospitals(), RATING)
    flipped = table[(table["coefficient"] < 0) & (table["correlation"] > 0)]
    expected = str(flipped.index[0])
    mistakes = [
        Mistake(str(table["importance_pct"].idxmin()), _msg("least_important_not_flipped")),
        Mistake(str(table["correlation"].idxmin()), _msg("weakest_correlation_not_flipped")),
    ]
    return check("sign_flip_driver", answer, expected, mistakes=[m for m in mistakes if m.value != expected],
                 hint=_msg("sign_flip_hint"))


def _as_sorted_names(answer: Any) -> Any:
    """Compare lists of names regardless of order; leave anything else for the check to explain."""
    if isinstance(answer, (list, tuple, pd.Index)) and all(isinstance(item, str) for item in answer):
        return sorted(answer)
    return answer


def _quadrant(matrix: pd.DataFrame, quadrant: str) -> list[str]:
    return sorted(str(name) for name in matrix.index[matrix["quadrant"] == quadrant])


def _small_hospital_matrix(importance_from: pd.DataFrame | None = None) -> pd.DataFrame:
    """Importance–performance matrix of small hospitals (importance from ``importance_from``, default the small ones)."""
    hospitals = _hospitals()
    small = hospitals[hospitals[N] < SMALL_SURVEYS]
    source = small if importance_from is None else importance_from
    return importance_performance(_drivers(source, RATING)["importance_pct"], _performance(small))


def check_small_fix_first(answer: Any) -> Verdict:
    """Exercise 3: the fix-first dimensions of small hospitals (fewer than 300 surveys), any order."""
    matrix = _small_hospital_matrix()
    expected = sorted(fix_first(matrix))
    national = _small_hospital_matrix(importance_from=_hospitals())
    mistakes: Sequence[Mistake] = [
        Mistake(_quadrant(matrix, KEEP_UP), _msg("keep_up_not_fix_first")),
        Mistake(sorted(fix_first(national)), _msg("national_importance")),
    ]
    return check("small_fix_first", _as_sorted_names(answer), expected,
                 mistakes=[m for m in mistakes if m.value != expected], hint=_msg("small_fix_first_hint"))
