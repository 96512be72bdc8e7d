"""Self-checks for lesson 01.02 "Survey scores with uncertainty".

Data: women's clothing reviews (1–5 stars, "would recommend" flag, product classes) and
the HCAHPS hospital survey (0–10 overall rating published as 9–10 / 7–8 / 0–6 shares).
Expected values are computed from the data with ``cxacademy.metrics``; each typical
mistake is computed the way a learner would make it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import Interval, nps_interval_from_shares, proportion_interval, rate_interval, top_box
from cxacademy.text import t
from cxacademy.widgets import Quiz

_KEY = "practice.m01_survey_scores"

#: The league-table quiz: how many options it has and which one (0-based) is right.
#: "Should the director reward kiosk A?"
LEAGUE_QUIZ = Quiz(f"{_KEY}.league_quiz", answer=1)

#: Exercise 2 looks at the smallest department of the review data.
TREND_DEPARTMENT = "Trend"
#: Exercise 3 looks at one small hospital (Nantucket Cottage Hospital, 104 surveys).
EXERCISE_HOSPITAL = "220177"


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def _scaled(interval: Interval, factor: float) -> tuple[float, float, float]:
    return tuple(value * factor for value in interval)


def check_top2_pct(answer: Any) -> Verdict:
    """Exercise 1: top-2-box satisfaction (4 or 5 stars) of all reviews, in percent."""
    rating = load("womens_ecommerce_reviews")["rating"]
    expected = top_box(rating)
    mistakes = [
        Mistake(float(rating.mean()), _msg("mean_not_top2")),
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(top_box(rating, boxes=3), _msg("top3_not_top2")),
        Mistake(top_box(rating, boxes=1), _msg("top1_not_top2")),
    ]
    return check("top2_pct", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("top2_hint"))


def _wald(flags: pd.Series) -> tuple[float, float, float]:
    """The textbook estimate ± 1.96·SE interval a learner may compute by hand (a typical mistake)."""
    share, n = float(flags.mean()), len(flags)
    margin = 1.96 * math.sqrt(share * (1 - share) / n)
    return 100 * share, 100 * (share - margin), 100 * (share + margin)


def check_trend_interval(answer: Any) -> Verdict:
    """Exercise 2: recommendation rate of the Trend department with its Wilson 95 % interval."""
    reviews = load("womens_ecommerce_reviews")
    trend = reviews.loc[reviews["department_name"] == TREND_DEPARTMENT]
    expected = rate_interval(trend["recommended"])
    mistakes = [
        Mistake(_scaled(expected, 1 / 100), _msg("interval_in_shares")),
        Mistake(rate_interval(reviews["recommended"]), _msg("interval_all_reviews")),
        Mistake(rate_interval(trend["rating"] >= 4), _msg("interval_of_top2")),
        Mistake(_wald(trend["recommended"]), _msg("wald_interval")),
    ]
    return check(
        "trend_interval", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("trend_interval_hint")
    )


def check_hospital_nps(answer: Any) -> Verdict:
    """Exercise 3: NPS-style net rating of one hospital's 0–10 overall rating, with its 95 % interval."""
    hospitals = load("hcahps_hospital_2022")
    row = hospitals.loc[hospitals["facility_id"] == EXERCISE_HOSPITAL].iloc[0]
    high, middle, low = (row[f"overall_rating_{band}_pct"] / 100 for band in ("9_10", "7_8", "0_6"))
    n = int(row["n_completed_surveys"])
    expected = nps_interval_from_shares(high, low, n)
    recommend_yes = row["recommend_definitely_yes_pct"] / 100
    recommend_no = row["recommend_not_pct"] / 100
    mistakes = [
        Mistake(nps_interval_from_shares(high + middle, low, n), _msg("passives_as_promoters")),
        Mistake(nps_interval_from_shares(high, low + middle, n), _msg("passives_as_detractors")),
        Mistake(nps_interval_from_shares(low, high, n), _msg("promoters_detractors_swapped")),
        Mistake(nps_interval_from_shares(recommend_yes, recommend_no, n), _msg("recommend_question_used")),
    ]
    return check("hospital_nps", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("hospital_nps_hint"))


def _class_intervals() -> pd.DataFrame:
    """Recommendation rate with its Wilson interval and the number of reviews, per product class."""
    reviews = load("womens_ecommerce_reviews")
    counts = reviews.groupby("class_name")["recommended"].agg(["sum", "size"])
    rows = [proportion_interval(successes, n) for successes, n in zip(counts["sum"], counts["size"])]
    return pd.DataFrame(rows, index=counts.index).assign(reviews=counts["size"])


def check_most_reliable_class(answer: Any) -> Verdict:
    """Exercise 4: the class most surely recommended — highest lower bound, not highest point rate."""
    table = _class_intervals()
    expected = str(table["low"].idxmax())
    best_point = table.loc[table["estimate"] == table["estimate"].max()]
    mistakes = [
        Mistake(str(name), _msg("ranked_by_point_rate", reviews=int(row.reviews), low=row.low))
        for name, row in best_point.iterrows()
        if name != expected
    ]
    biggest = str(table["reviews"].idxmax())
    if biggest != expected:
        mistakes.append(Mistake(biggest, _msg("ranked_by_size")))
    return check(
        "most_reliable_class", answer, expected, mistakes=mistakes, hint=_msg("most_reliable_class_hint")
    )


league_quiz = LEAGUE_QUIZ.show
