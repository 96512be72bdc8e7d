"""Self-checks for the Module 05 capstone lessons (05-01 the programme, 05-02 the business case).

Lesson 05-03's self-check is ``cxacademy.capstone.check_declaration`` itself: the check a learner
runs on their capstone declaration. Expected values here come from ``cxacademy.capstone`` (the
figures the capstone recomputes) and ``cxacademy.drivers``; each typical mistake is computed the
way a learner would make it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy import capstone
from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.drivers import fix_first, importance_performance
from cxacademy.metrics import nps_interval_from_shares, pooled_percent
from cxacademy.text import t
from cxacademy.voc import code_themes

_KEY = "practice.m05_capstone"
REVIEWS, HOSPITALS = "womens_ecommerce_reviews", "hcahps_hospital_2022"
OUTCOME = "overall_rating_9_10_pct"
#: Lesson 05-02, exercise 2: the driver whose improvement is priced, and the target (a quantile of hospitals).
PRICED_DRIVER, TARGET_QUANTILE = "quiet_always_pct", 0.75


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def check_review_net_score(answer: Any) -> Verdict:
    """Lesson 05-01, exercise 1: the reviews' net score with its 95 % interval, as (value, low, high)."""
    if answer is None:  # "not yet" at once, before seconds of recomputing the expected value
        return check("review_net_score", answer, None)
    net = capstone.recompute(REVIEWS)["net_score"]
    stars = load(REVIEWS)["rating"]
    return check("review_net_score", answer, (net["value"], *net["interval"]), tolerance=0.05, mistakes=[
        Mistake(tuple(nps_interval_from_shares((stars >= 4).mean(), (stars <= 3).mean(), len(stars))),
                _msg("four_stars_positive")),
        Mistake(tuple(nps_interval_from_shares((stars == 5).mean(), (stars <= 2).mean(), len(stars))),
                _msg("three_stars_neutral")),
    ], hint=_msg("net_score_hint"))


def check_review_driver_ranking(answer: Any) -> Verdict:
    """Lesson 05-01, exercise 2: the reviews' themes, most important driver of the star rating first."""
    if answer is None:  # "not yet" at once, before seconds of recomputing the expected value
        return check("review_driver_ranking", answer, None)
    ranking = list(capstone.recompute(REVIEWS)["drivers"])
    mentions = code_themes(load(REVIEWS)["review_text"].dropna()).mean().sort_values(ascending=False)
    answer = list(answer) if isinstance(answer, (pd.Index, pd.Series)) else answer
    return check("review_driver_ranking", answer, ranking, mistakes=[
        Mistake(ranking[::-1], _msg("ranking_reversed")),
        Mistake(list(mentions.index), _msg("ranked_by_mentions")),
    ], hint=_msg("ranking_hint"))


@cache
def _hospital_matrix() -> pd.DataFrame:
    hospitals = load(HOSPITALS)
    importance = pd.Series(capstone.recompute(HOSPITALS)["drivers"])
    performance = pd.Series({driver: pooled_percent(hospitals[driver], hospitals["n_completed_surveys"])
                             for driver in capstone.HCAHPS_DIMENSIONS})
    return importance_performance(importance, performance)


def check_hospital_fix_first(answer: Any) -> Verdict:
    """Lesson 05-02, exercise 1: the hospital drivers in the fix-first quadrant, most important first."""
    if answer is None:  # "not yet" at once, before seconds of recomputing the expected value
        return check("hospital_fix_first", answer, None)
    matrix = _hospital_matrix()
    keep_up = matrix[matrix["quadrant"] == "keep_up"].sort_values("importance", ascending=False)
    return check("hospital_fix_first", answer, fix_first(matrix), mistakes=[
        Mistake([str(name) for name in keep_up.index], _msg("keep_up_not_fix_first")),
    ], hint=_msg("fix_first_hint"))


def check_quiet_worth(answer: Any) -> Verdict:
    """Lesson 05-02, exercise 2: what raising quiet at night to the top-quartile level may be worth, (low, high)."""
    if answer is None:  # "not yet" at once, before seconds of recomputing the expected value
        return check("quiet_worth", answer, None)
    hospitals = load(HOSPITALS)
    pooled = pooled_percent(hospitals[PRICED_DRIVER], hospitals["n_completed_surveys"])
    gain = hospitals[PRICED_DRIVER].quantile(TARGET_QUANTILE) - pooled
    expected = capstone.worth_range(hospitals, capstone.HCAHPS_DIMENSIONS, OUTCOME, PRICED_DRIVER, gain)
    mean_gain = hospitals[PRICED_DRIVER].quantile(TARGET_QUANTILE) - hospitals[PRICED_DRIVER].mean()
    return check("quiet_worth", answer, expected, tolerance=0.05, mistakes=[
        Mistake(capstone.worth_range(hospitals, capstone.HCAHPS_DIMENSIONS, OUTCOME, PRICED_DRIVER, mean_gain),
                _msg("gain_from_plain_mean")),
        Mistake(expected[::-1], _msg("range_reversed")),
    ], hint=_msg("worth_hint"))
