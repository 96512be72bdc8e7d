"""Self-checks for lesson 01-03, "Coding verbatims into themes".

Every expected value is computed here from ``womens_ecommerce_reviews`` with the
shared codebook (``cxacademy.voc``) and the shared formulas (``cxacademy.metrics``).
Each typical mistake is computed the way a learner would make it, so its message
fires on exactly that answer.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import percent, rate
from cxacademy.text import t
from cxacademy.voc import APPAREL_CODEBOOK, code_themes

_KEY = "practice.m01_coding_verbatims"

#: The theme learners add to the codebook in exercise 4, with the words the lesson gives.
CARE_THEME = "washing_and_care"
CARE_WORDS = ("wash", "shrank", "shrunk", "shrink", "dryer", "dry clean", "laundr")

#: Exercise 2 looks at one department and one theme.
LIFT_DEPARTMENT = "Bottoms"
LIFT_THEME = "fabric_and_quality"


def _msg(name: str) -> str:
    return t(f"{_KEY}.{name}")


@cache
def _coded(with_care_theme: bool = False) -> pd.DataFrame:
    """Reviews joined with one True/False column per theme (read-only: it is cached)."""
    reviews = load("womens_ecommerce_reviews")
    codebook = {**APPAREL_CODEBOOK, CARE_THEME: CARE_WORDS} if with_care_theme else APPAREL_CODEBOOK
    return reviews.join(code_themes(reviews["review_text"], codebook))


def _with_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["review_text"].notna()]


def _lift(frame: pd.DataFrame, theme: str) -> float:
    """Rate of the theme among non-recommending reviews ÷ its rate among recommending ones."""
    return rate(frame.loc[~frame["recommended"], theme]) / rate(frame.loc[frame["recommended"], theme])


def _points_gap(frame: pd.DataFrame, theme: str) -> float:
    return rate(frame.loc[~frame["recommended"], theme]) - rate(frame.loc[frame["recommended"], theme])


def check_low_fit_pct(answer: Any) -> Verdict:
    """Exercise 1: % of 1–2-star reviews with text that mention fit and size."""
    coded = _coded()
    low = coded[coded["rating"] <= 2]
    low_with_text = _with_text(low)
    expected = rate(low_with_text["fit_and_size"])
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(rate(low["fit_and_size"]), _msg("nan_in_denominator")),
        Mistake(float(low_with_text["fit_and_size"].sum()), _msg("count_not_percent")),
        Mistake(
            percent(low_with_text["fit_and_size"].sum(), len(_with_text(coded))),
            _msg("low_fit_wrong_base"),
        ),
    ]
    return check("low_fit_pct", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("low_fit_hint"))


def check_bottoms_quality_lift(answer: Any) -> Verdict:
    """Exercise 2: pain-point lift of fabric and quality in Bottoms (a ratio, not a percent)."""
    coded = _coded()
    bottoms = coded[coded["department_name"] == LIFT_DEPARTMENT]
    expected = _lift(_with_text(bottoms), LIFT_THEME)
    mistakes = [
        Mistake(1 / expected, _msg("lift_inverted")),
        Mistake(_points_gap(_with_text(bottoms), LIFT_THEME), _msg("lift_points_not_ratio")),
        Mistake(_lift(bottoms, LIFT_THEME), _msg("nan_in_denominator")),
        Mistake(_lift(_with_text(coded), LIFT_THEME), _msg("lift_whole_store")),
    ]
    return check("bottoms_quality_lift", answer, expected, tolerance=0.005, mistakes=mistakes,
                 hint=_msg("lift_hint"))


def _quality_by_department(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("department_name", observed=True)[LIFT_THEME].agg(rate)


def check_quality_by_department(answer: Any) -> Verdict:
    """Exercise 3: among non-recommending reviews with text, % mentioning fabric/quality, by department."""
    coded = _coded()
    not_recommending = coded[~coded["recommended"]]
    expected = _quality_by_department(_with_text(not_recommending))
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(_quality_by_department(not_recommending), _msg("nan_in_denominator")),
        Mistake(_quality_by_department(_with_text(coded)), _msg("department_all_reviews")),
    ]
    return check("quality_by_department", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("department_hint"))


def check_care_pct(answer: Any) -> Verdict:
    """Exercise 4: % of reviews with text that the new washing-and-care theme catches."""
    coded = _coded(with_care_theme=True)
    with_text = _with_text(coded)
    expected = rate(with_text[CARE_THEME])
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(rate(coded[CARE_THEME]), _msg("nan_in_denominator")),
        Mistake(float(with_text[CARE_THEME].sum()), _msg("count_not_percent")),
    ]
    return check("care_pct", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("care_hint"))
