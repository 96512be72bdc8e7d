"""Self-checks for lesson 01-04, "Complaints and public negative reviews".

Expected values come from ``cfpb_complaints`` through the shared formulas
(``cxacademy.metrics``); each typical mistake is computed the way a learner would make
it. ``reply_quiz`` shows the lesson's reply checklist question, with every label and
explanation taken from the lesson's locale file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import Interval, percent, proportion_interval
from cxacademy.text import t
from cxacademy.widgets import Quiz

_KEY = "practice.m01_complaints_and_reviews"

#: Outcomes that count as relief, and the one outcome that has no result yet.
RELIEF_OUTCOMES = ("Closed with monetary relief", "Closed with non-monetary relief")
MONETARY_RELIEF = "Closed with monetary relief"
IN_PROGRESS = "In progress"

#: The product of exercise 1 (a Pareto of issues) and of exercise 3 (relief with an interval).
PARETO_PRODUCT = "Debt collection"
INTERVAL_PRODUCT = "Credit card or prepaid card"

#: "Which draft reply is better, and why?"
REPLY_QUIZ = Quiz(f"{_KEY}.quiz", answer=2)


def _msg(name: str) -> str:
    return t(f"{_KEY}.{name}")


@cache
def _complaints() -> pd.DataFrame:
    """The complaint sample (read-only: it is cached)."""
    return load("cfpb_complaints")


def _observed(answer: Any) -> Any:
    """Drop zero rows from a numeric Series.

    ``issue`` is a categorical column, so ``value_counts`` lists every issue of every
    product with a count of 0; those rows carry no information and should not fail a check.
    """
    if isinstance(answer, pd.Series) and pd.api.types.is_numeric_dtype(answer):
        return answer[answer != 0]
    return answer


def _pct_by(frame: pd.DataFrame, column: str, whole: int | None = None) -> pd.Series:
    counts = _observed(frame[column].value_counts())
    return percent(counts, counts.sum() if whole is None else whole)


def check_debt_issues_pct(answer: Any) -> Verdict:
    """Exercise 1: each issue's % of Debt collection complaints (the bars of a Pareto chart)."""
    complaints = _complaints()
    debt = complaints[complaints["product"] == PARETO_PRODUCT]
    expected = _pct_by(debt, "issue")
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(_pct_by(debt, "sub_issue"), _msg("sub_issue_not_issue")),
        Mistake(_pct_by(debt, "sub_issue", whole=len(debt)), _msg("sub_issue_not_issue")),
        Mistake(_pct_by(debt, "issue", whole=len(complaints)), _msg("pareto_all_complaints")),
        Mistake(_observed(debt["issue"].value_counts()), _msg("count_not_percent")),
    ]
    return check("debt_issues_pct", _observed(answer), expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("pareto_hint"))


def _relief_interval(frame: pd.DataFrame, outcomes: tuple[str, ...], drop_in_progress: bool) -> Interval:
    outcome = frame["company_response_to_consumer"]
    relief = int(outcome.isin(outcomes).sum())
    base = int((outcome != IN_PROGRESS).sum()) if drop_in_progress else len(frame)
    return proportion_interval(relief, base)


def check_relief_pct(answer: Any) -> Verdict:
    """Exercise 2: relief rate (monetary or non-monetary) over complaints that have an outcome, in %."""
    complaints = _complaints()
    expected = _relief_interval(complaints, RELIEF_OUTCOMES, drop_in_progress=True).estimate
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(
            _relief_interval(complaints, RELIEF_OUTCOMES, drop_in_progress=False).estimate,
            _msg("in_progress_in_denominator"),
        ),
        Mistake(
            _relief_interval(complaints, (MONETARY_RELIEF,), drop_in_progress=True).estimate,
            _msg("monetary_only"),
        ),
        Mistake(
            _relief_interval(complaints, (MONETARY_RELIEF,), drop_in_progress=False).estimate,
            _msg("monetary_only"),
        ),
    ]
    return check("relief_pct", answer, expected, tolerance=0.02, mistakes=mistakes,
                 hint=_msg("relief_hint"))


def _as_interval(answer: Any) -> Interval | None:
    """Three numbers (estimate, low, high) as an Interval; None when the answer is not that."""
    if isinstance(answer, (tuple, list)) and len(answer) == 3:
        try:
            return Interval(*(float(value) for value in answer))
        except (TypeError, ValueError):
            return None
    return None


def check_card_relief(answer: Any) -> Verdict:
    """Exercise 3: relief rate for credit-card complaints with its Wilson 95 % interval."""
    interval = _as_interval(answer)
    complaints = _complaints()
    cards = complaints[complaints["product"] == INTERVAL_PRODUCT]
    expected = _relief_interval(cards, RELIEF_OUTCOMES, drop_in_progress=True)
    mistakes = [
        Mistake(
            _relief_interval(cards, RELIEF_OUTCOMES, drop_in_progress=False),
            _msg("in_progress_in_denominator"),
        ),
        Mistake(_relief_interval(cards, (MONETARY_RELIEF,), drop_in_progress=True), _msg("monetary_only")),
        Mistake(_relief_interval(cards, (MONETARY_RELIEF,), drop_in_progress=False), _msg("monetary_only")),
    ]
    return check("card_relief", answer if interval is None else interval, expected, tolerance=0.02, mistakes=mistakes,
                 hint=_msg("card_relief_hint"))


reply_quiz = REPLY_QUIZ.show
