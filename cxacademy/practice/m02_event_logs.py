"""Self-checks for lesson 02-02, "Journeys from event logs".

Data: the BPI Challenge 2012 loan-application log (van Dongen, 4TU.ResearchData, CC BY 4.0).
The exercises use the **small loans** (below €5,000): the worked example uses every application
and the graded assignment the large ones, so no answer can be copied from either. Expected
values come from ``cxacademy.journey``; each typical mistake is computed the way a learner
would make it (every event as a step, the mean for the median, days for hours).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.journey import journey_steps, stage_funnel, stage_waits, variant_table
from cxacademy.text import t

_KEY = "practice.m02_event_logs"

#: The loan journey's milestones: a label and the activity that marks reaching it, in order.
STAGES = {
    "submitted": "A_SUBMITTED",
    "pre-accepted": "A_PREACCEPTED",
    "accepted": "A_ACCEPTED",
    "offer sent": "O_SENT",
    "offer returned": "O_SENT_BACK",
    "approved": "A_APPROVED",
}
#: The exercises' segment: applications for less than this amount (EUR).
SMALL_LOAN_EUR = 5_000


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def small_loan_events() -> pd.DataFrame:
    """Every event of the applications below :data:`SMALL_LOAN_EUR` (the exercises' segment)."""
    events = load("bpi2012_loan_applications")
    return events[events["case_amount_requested"] < SMALL_LOAN_EUR]


@cache
def _steps() -> pd.DataFrame:
    return journey_steps(small_loan_events())


def check_small_variant_count(answer: Any) -> Verdict:
    """Exercise 1: the number of distinct variants among the small-loan applications."""
    expected = len(variant_table(_steps()))
    mistakes = [
        Mistake(len(variant_table(journey_steps(small_loan_events(), lifecycle=None))), _msg("transitions_as_steps")),
        Mistake(len(variant_table(journey_steps(load("bpi2012_loan_applications")))), _msg("all_applications")),
    ]
    return check("small_variant_count", answer, expected, mistakes=mistakes, hint=_msg("variant_count_hint"))


def check_small_conversion(answer: Any) -> Verdict:
    """Exercise 2: stage-to-stage conversion (%) of the small-loan applications, indexed by stage label."""
    funnel = stage_funnel(_steps(), STAGES)
    expected = funnel["conversion_pct"]
    events_per_stage = pd.Series({label: float((_steps()["activity"] == name).sum()) for label, name in STAGES.items()})
    mistakes = [
        Mistake(100 * funnel["cases"] / funnel["cases"].iloc[0], _msg("from_first_stage")),
        Mistake(100 * events_per_stage / events_per_stage.shift(1, fill_value=events_per_stage.iloc[0]),
                _msg("events_not_cases")),
        Mistake(expected / 100, _msg("share_not_percent")),
    ]
    return check("small_conversion", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("conversion_hint"))


def check_offer_return_hours(answer: Any) -> Verdict:
    """Exercise 3: median hours from "offer sent" to "offer returned" for the small-loan applications."""
    waits = stage_waits(_steps(), STAGES)
    first = _steps().groupby(["case_id", "activity"], observed=True)["timestamp"].min().unstack()
    hours = ((first[STAGES["offer returned"]] - first[STAGES["offer sent"]]) / pd.Timedelta(hours=1)).dropna()
    expected = float(waits.loc["offer returned", "median"])
    mistakes = [
        Mistake(float(hours.mean()), _msg("mean_not_median")),
        Mistake(expected / 24, _msg("days_not_hours")),
    ]
    return check("offer_return_hours", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("offer_return_hint"))
