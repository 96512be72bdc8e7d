"""Self-checks for lesson 03-03, "Service operations".

Data: every call to the "Anonymous Bank" call centre in February 1999 (Guedj & Mandelbaum,
Technion; teaching and research use) and the closed tickets of a ServiceNow service desk
(Amaral et al., CC BY 4.0). Expected values are computed from the data with plain pandas;
each typical mistake is computed the way a learner would make it.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import agents_for_service_level
from cxacademy.operations import NO_AGENT, offered_calls
from cxacademy.text import t

_KEY = "practice.m03_service_operations"

#: Exercise 1: the evening hours and the service-level target of the exercise.
EVENING_HOURS = (19, 20, 21, 22)
EVENING_TARGET_S = 30
#: Exercise 2: the hour of the working day to staff, and its target (90 % within 30 s).
PLAN_HOUR = 15
PLAN_TARGET_S, PLAN_LEVEL = 30, 0.90
WORKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday")


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def _offered() -> pd.DataFrame:
    return offered_calls(load("call_center_anonymous_bank_1999"))


def check_evening_queue(answer: Any) -> Verdict:
    """Exercise 1: service level (30 s) and abandonment, % of offered calls, per evening hour."""
    calls = _offered()
    hour = calls["arrival"].dt.hour
    evening = calls[hour.isin(EVENING_HOURS)]
    by_hour = evening["arrival"].dt.hour
    in_time = evening["answered"] & evening["q_time"].le(EVENING_TARGET_S)
    offered = by_hour.value_counts().sort_index()
    expected = pd.DataFrame({"service_level_pct": 100 * in_time.groupby(by_hour).sum() / offered,
                             "abandon_pct": 100 * evening["abandoned"].groupby(by_hour).sum() / offered})
    answered = evening["answered"].groupby(by_hour).sum()
    over_answered = expected.assign(service_level_pct=100 * in_time.groupby(by_hour).sum() / answered)
    mistakes = [Mistake(over_answered, _msg("abandons_left_out")), Mistake(expected / 100, _msg("shares"))]
    return check("evening_queue", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("evening_hint"))


def _plan(answered_only: bool = False, minutes: bool = False) -> int:
    calls = _offered()
    workdays = calls[calls["date"].dt.day_name().isin(WORKDAYS)]
    slot = workdays[workdays["arrival"].dt.hour == PLAN_HOUR]
    arrivals = slot[slot["answered"]] if answered_only else slot
    per_second = len(arrivals) / workdays["date"].nunique() / 3600
    handled = slot[slot["answered"] & slot["server"].astype(str).ne(NO_AGENT)]
    aht_s = float(handled["ser_time"].mean())
    traffic = per_second * (aht_s / 60 if minutes else aht_s)
    return agents_for_service_level(traffic, PLAN_TARGET_S, aht_s, PLAN_LEVEL)


def _traffic() -> float:
    calls = _offered()
    workdays = calls[calls["date"].dt.day_name().isin(WORKDAYS)]
    slot = workdays[workdays["arrival"].dt.hour == PLAN_HOUR]
    handled = slot[slot["answered"] & slot["server"].astype(str).ne(NO_AGENT)]
    return len(slot) / workdays["date"].nunique() / 3600 * float(handled["ser_time"].mean())


def check_agents_at_three(answer: Any) -> Verdict:
    """Exercise 2: agents needed at 15:00–15:59 on working days for 90 % within 30 seconds."""
    mistakes = [
        Mistake(math.ceil(_traffic()), _msg("traffic_rounded_up")),
        Mistake(_plan(minutes=True), _msg("minutes_against_seconds")),
        Mistake(_plan(answered_only=True), _msg("answered_only")),
    ]
    return check("agents_at_three", answer, _plan(), mistakes=mistakes, hint=_msg("agents_hint"))
