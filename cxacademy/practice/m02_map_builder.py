"""Metrics and the self-check for lesson 02-04, "Build and keep your own map".

A map's cards carry numbers computed from the data, so that next quarter's rebuild can say what
moved. :func:`booking_metrics` computes one number per booking-journey touchpoint for any slice
of the hotel bookings (Antonio, Almeida & Nunes, 2019, CC BY 4.0); the worked example uses the
City Hotel, the exercise the Resort Hotel's arrivals of the second quarter of 2017.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Verdict
from cxacademy.data import load
from cxacademy.journey_map import NOTES, JourneyMap
from cxacademy.text import t

_KEY = "practice.m02_map_builder"
#: The exercise's slice: this hotel's bookings arriving in this quarter.
PRACTICE_HOTEL, PRACTICE_QUARTER = "Resort Hotel", "2017Q2"
#: Fewest touchpoints a workshop-ready map needs, and the tolerance on each card's number.
MIN_TOUCHPOINTS, TOLERANCE = 3, 0.05
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def arrival_quarter(bookings: pd.DataFrame) -> pd.Series:
    """Each booking's arrival quarter as text, e.g. "2017Q2" (the map is rebuilt per quarter)."""
    month = bookings["arrival_date_month"].astype(str).map({name: i + 1 for i, name in enumerate(_MONTHS)})
    return bookings["arrival_date_year"].astype(str) + "Q" + ((month - 1) // 3 + 1).astype(str)


def booking_metrics(bookings: pd.DataFrame) -> dict[str, float]:
    """One number per touchpoint of the booking journey, for a slice of bookings (percentages 0–100)."""
    stayed = bookings[bookings["reservation_status"] == "Check-Out"]
    other_room = stayed["assigned_room_type"].astype(str) != stayed["reserved_room_type"].astype(str)
    return {
        "median lead time (days)": float(bookings["lead_time"].median()),
        "bookings changed (%)": float(100 * (bookings["booking_changes"] > 0).mean()),
        "special requests (%)": float(100 * (bookings["total_of_special_requests"] > 0).mean()),
        "on a waiting list (%)": float(100 * (bookings["days_in_waiting_list"] > 0).mean()),
        "cancelled (%)": float(100 * bookings["is_canceled"].mean()),
        "no-shows (%)": float(100 * (bookings["reservation_status"] == "No-Show").mean()),
        "other room type (% of stays)": float(100 * other_room.mean()),
        "repeat guests (%)": float(100 * bookings["is_repeated_guest"].mean()),
    }


@cache
def practice_bookings() -> pd.DataFrame:
    """The exercise's slice: the Resort Hotel's bookings arriving in 2017Q2."""
    bookings = load("hotel_bookings")
    hotel = bookings[bookings["hotel"] == PRACTICE_HOTEL]
    return hotel[arrival_quarter(hotel) == PRACTICE_QUARTER]


def _problems(answer: JourneyMap) -> list[str]:
    """What keeps the map from being workshop-ready, in the learner's terms (empty when nothing does)."""
    metrics = booking_metrics(practice_bookings())
    problems = []
    if len(answer.touchpoints) < MIN_TOUCHPOINTS:
        problems.append(_msg("too_few", count=len(answer.touchpoints), needed=MIN_TOUCHPOINTS))
    if answer.incomplete():
        problems.append(_msg("missing_notes", names=", ".join(answer.incomplete()), notes=", ".join(NOTES)))
    for tp in answer.touchpoints:
        if tp.metric not in metrics:
            problems.append(_msg("unknown_metric", name=tp.name, metric=tp.metric))
        elif abs(tp.value - metrics[tp.metric]) > TOLERANCE:
            problems.append(_msg("wrong_number", name=tp.name, metric=tp.metric))
    return problems


def check_my_map(answer: Any) -> Verdict:
    """Exercise: a map of the Resort Hotel's 2017Q2 arrivals, every card with a true number and three notes."""
    if answer is None or answer is Ellipsis or (isinstance(answer, JourneyMap) and not answer.touchpoints):
        verdict = Verdict(False, t("check.not_answered", name="my_map"))
    elif not isinstance(answer, JourneyMap):
        verdict = Verdict(False, _msg("not_a_map"))
    else:
        problems = _problems(answer)
        verdict = Verdict(not problems, " ".join([_msg("not_ready"), *problems]) if problems
                          else t("check.correct", name="my_map"))
    print(verdict.message)
    return verdict
