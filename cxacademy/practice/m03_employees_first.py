"""Self-checks for lesson 03-02, "Employees first".

Data: the FEVS 2018 respondent sample (OPM, public domain; "do not know" answers imputed with
the item median). Expected values are computed from the data with plain pandas, with OPM's
weights; each typical mistake is computed the way a learner would make it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.employees import EEI_SUBINDICES, EEI_ITEMS
from cxacademy.text import t

_KEY = "practice.m03_employees_first"

#: The sub-agency both exercises look at.
UNIT = "Transportation Security Administration (TSA)"


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def _unit() -> pd.DataFrame:
    survey = load("fevs_2018_respondents")
    return survey[survey["level1_name"].astype(str) == UNIT]


def _item_mean(positive: pd.DataFrame, weights: pd.Series) -> float:
    return float(100 * positive.mul(weights, axis=0).sum().div(weights.sum()).mean())


def check_unit_supervisors(answer: Any) -> Verdict:
    """Exercise 1: the unit's weighted 'supervisors' sub-index, in percent positive."""
    unit = _unit()
    items = unit[list(EEI_SUBINDICES["supervisors"])]
    expected = _item_mean(items.ge(4), unit["weight"])
    mistakes = [
        Mistake(_item_mean(items.ge(4), unit["weight"] * 0 + 1), _msg("unweighted")),
        Mistake(_item_mean(items.ge(5), unit["weight"]), _msg("strongly_agree_only")),
        Mistake(expected / 100, _msg("share")),
    ]
    return check("unit_supervisors", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("supervisors_hint"))


def check_unit_leave_gap(answer: Any) -> Verdict:
    """Exercise 2: weighted % considering leaving, not engaged minus engaged, in points."""
    unit = _unit()
    engaged = unit[list(EEI_ITEMS)].ge(4).sum(axis=1).ge(8)
    leaving = unit["leaving_intent"].astype(float)

    def rate(mask: pd.Series, weights: pd.Series) -> float:
        return float(100 * (leaving * weights)[mask].sum() / weights[mask].sum())

    weights = unit["weight"]
    expected = rate(~engaged, weights) - rate(engaged, weights)
    mistakes = [
        Mistake(-expected, _msg("reversed")),
        Mistake(rate(~engaged, weights * 0 + 1) - rate(engaged, weights * 0 + 1), _msg("unweighted")),
    ]
    return check("unit_leave_gap", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("gap_hint"))
