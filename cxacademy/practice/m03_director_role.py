"""Self-checks for lesson 03-01, "The CX director's role".

Data: the FEVS 2018 respondent sample (OPM, public domain; "do not know" answers imputed).
The expected value is computed from the data with plain pandas; each typical mistake is
computed the way a learner would make it. ``maturity_quiz`` asks which set-up of the CX role
fits a company's maturity, with every word taken from the lesson's locale file.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.employees import EEI_SUBINDICES
from cxacademy.text import t
from cxacademy.widgets import Quiz

_KEY = "practice.m03_director_role"

#: The agency of the exercise.
AGENCY = "Department of Commerce"
#: "A company at the 'initiate' stage: who should run CX?" — the best answer is option 2.
MATURITY_QUIZ = Quiz(f"{_KEY}.quiz", answer=1)


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def _index(frame: pd.DataFrame, items: tuple[str, ...], weights: pd.Series) -> float:
    return float(100 * frame[list(items)].ge(4).mul(weights, axis=0).sum().div(weights.sum()).mean())


def check_leadership_gap(answer: Any) -> Verdict:
    """Exercise: the agency's 'supervisors' minus 'leaders lead' sub-index, weighted, in points."""
    survey = load("fevs_2018_respondents")
    agency = survey[survey["agency_name"].astype(str) == AGENCY]
    weights, plain = agency["weight"], agency["weight"] * 0 + 1
    supervisors, leaders = EEI_SUBINDICES["supervisors"], EEI_SUBINDICES["leaders_lead"]
    expected = _index(agency, supervisors, weights) - _index(agency, leaders, weights)
    mistakes = [
        Mistake(-expected, _msg("reversed")),
        Mistake(_index(agency, supervisors, plain) - _index(agency, leaders, plain), _msg("unweighted")),
    ]
    return check("leadership_gap", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("gap_hint"))


maturity_quiz = MATURITY_QUIZ.show
