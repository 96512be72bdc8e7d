"""Self-checks for lesson 02-03, "Touchpoints that fail and touchpoints that delight".

Data: the airline passenger survey (Kaggle test split). Its licence and origin are unclear, so
it is **optional practice only** and never graded (the catalogue flags it). Ratings are 1–5 and
0 means "not applicable": a 0 is not a bad rating and stays out of every denominator. The
worked example looks at business travellers; these exercises at personal travellers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.text import t

_KEY = "practice.m02_touchpoints"

#: The survey's touchpoints in the order a passenger meets them, from booking to baggage.
JOURNEY_ORDER = (
    "ease_of_online_booking",
    "departure_arrival_time_convenient",
    "online_boarding",
    "checkin_service",
    "gate_location",
    "baggage_handling",
    "seat_comfort",
    "leg_room_service",
    "cleanliness",
    "food_and_drink",
    "inflight_wifi_service",
    "inflight_entertainment",
    "on_board_service",
    "inflight_service",
)
#: The ratings counted as "top box" on the 1–5 scale.
TOP_BOX = (4, 5)


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def personal_travellers() -> pd.DataFrame:
    """The respondents travelling for personal reasons (the exercises' segment)."""
    survey = load("airline_passenger_satisfaction")
    return survey[survey["type_of_travel"] == "Personal Travel"]


def top_box_pct(ratings: pd.DataFrame, columns: tuple[str, ...] = JOURNEY_ORDER,
                top: tuple[int, ...] = TOP_BOX) -> pd.Series:
    """% of the applicable answers (rating 1–5; 0 = not applicable is left out) in the top box, per column."""
    answered = ratings[list(columns)].where(ratings[list(columns)] > 0)
    return (100 * answered.isin(top).sum() / answered.notna().sum()).rename("top_box_pct")


def _with_zeros(ratings: pd.DataFrame) -> pd.Series:
    return 100 * ratings[list(JOURNEY_ORDER)].isin(TOP_BOX).mean()


def check_personal_top_box(answer: Any) -> Verdict:
    """Exercise 1: top-2-box % per touchpoint among personal travellers, zeros left out."""
    ratings = personal_travellers()
    expected = top_box_pct(ratings)
    mistakes = [
        Mistake(_with_zeros(ratings), _msg("zeros_counted")),
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(top_box_pct(ratings, top=(3, 4, 5)), _msg("top_three")),
    ]
    return check("personal_top_box", answer, expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("top_box_hint"))


def check_weakest_touchpoint(answer: Any) -> Verdict:
    """Exercise 2: the touchpoint with the lowest top-2-box % among personal travellers."""
    ratings = personal_travellers()
    expected = top_box_pct(ratings).idxmin()
    mistakes = [
        Mistake(ratings[list(JOURNEY_ORDER)].mean().idxmin(), _msg("mean_with_zeros")),
        Mistake(top_box_pct(ratings).idxmax(), _msg("strongest_not_weakest")),
    ]
    return check("weakest_touchpoint", answer, expected, mistakes=mistakes,
                 hint=_msg("weakest_hint"))
