"""Self-checks for lesson 04-04, "KPI design".

Data: the hotel booking records of Antonio, Almeida & Nunes (2019), a resort hotel and a city
hotel in Portugal, arrivals July 2015 – August 2017. A booking's room revenue is its average
daily rate times its nights. Expected values are computed from the data; each typical
mistake is computed the way a learner would make it. ``goodhart_quiz`` shows the lesson's
question on metric gaming, with every word taken from the lesson's locale file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import percent
from cxacademy.text import t
from cxacademy.widgets import Quiz

_KEY = "practice.m04_kpi_design"

#: Exercise 1: the hotel and arrival year whose metric tree is measured.
TREE_HOTEL, TREE_YEAR = "Resort Hotel", 2016
TREE_LEAVES = ("bookings", "kept_pct", "nights_per_stay", "revenue_per_night")
#: Exercises 2 and 3: the city hotel, lead-time bands in days, and the "long lead" cut-off.
CITY_HOTEL = "City Hotel"
LEAD_TIME_BINS = (-1, 7, 30, 90, 180, np.inf)
LEAD_TIME_LABELS = ("0-7", "8-30", "31-90", "91-180", "181+")
LONG_LEAD_DAYS = 180
#: The quiz: option keys in the order shown, and the index of the best answer.
#: "What should the director look at next, after a suspiciously fast KPI gain?"
GOODHART_QUIZ = Quiz(f"{_KEY}.quiz", answer=1)


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def _with_text_index(answer: Any) -> Any:
    """Let a Series indexed by categories compare with one indexed by text."""
    if isinstance(answer, pd.Series):
        return answer.rename(index=str)
    return answer


@cache
def _bookings() -> pd.DataFrame:
    """Hotel bookings with ``nights`` and room revenue ``value`` (adr × nights) added."""
    frame = load("hotel_bookings")
    nights = frame["stays_in_weekend_nights"] + frame["stays_in_week_nights"]
    return frame.assign(nights=nights, value=frame["adr"] * nights)


def _leaves(frame: pd.DataFrame, nights_from_all: bool = False, mean_rate: bool = False) -> pd.Series:
    kept = frame[~frame["is_canceled"]]
    nights_source = frame if nights_from_all else kept
    revenue_per_night = kept["adr"].mean() if mean_rate else kept["value"].sum() / kept["nights"].sum()
    return pd.Series(
        [float(len(frame)), percent(len(kept), len(frame)), float(nights_source["nights"].mean()), float(revenue_per_night)],
        index=list(TREE_LEAVES),
    )


def check_tree_leaves(answer: Any) -> Verdict:
    """Exercise 1: the four leaves of the room-revenue tree of the resort hotel, arrivals in 2016."""
    frame = _bookings()
    year = frame[(frame["hotel"] == TREE_HOTEL) & (frame["arrival_date_year"] == TREE_YEAR)]
    expected = _leaves(year)
    as_share = expected.copy()
    as_share["kept_pct"] /= 100
    mistakes = [
        Mistake(as_share, _msg("kept_as_share")),
        Mistake(_leaves(year, nights_from_all=True), _msg("nights_of_all_bookings")),
        Mistake(_leaves(year, mean_rate=True), _msg("mean_rate_not_revenue_per_night")),
    ]
    return check("tree_leaves", answer, expected, tolerance=0.01, mistakes=mistakes, hint=_msg("tree_leaves_hint"))


def lead_time_band(lead_time: pd.Series) -> pd.Series:
    """The lead-time band ("0-7", "8-30", … "181+" days) of each booking."""
    return pd.cut(lead_time, list(LEAD_TIME_BINS), labels=list(LEAD_TIME_LABELS))


def check_lead_time_cancel_pct(answer: Any) -> Verdict:
    """Exercise 2: cancellation rate (%) of the city hotel's bookings in each lead-time band."""
    city = _bookings()[_bookings()["hotel"] == CITY_HOTEL]
    band = lead_time_band(city["lead_time"]).astype(str)
    cancelled = city["is_canceled"]
    expected = 100 * cancelled.groupby(band).mean()
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(100 * cancelled.groupby(band).sum() / cancelled.sum(), _msg("composition_not_rate")),
        Mistake(cancelled.groupby(band).sum().astype("float64"), _msg("count_not_rate")),
    ]
    return check("lead_time_cancel_pct", _with_text_index(answer), expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("lead_time_hint"))


def check_gamed_kpi(answer: Any) -> Verdict:
    """Exercise 3: (cancellation % after refusing bookings made > 180 days ahead, room revenue lost in €)."""
    city = _bookings()[_bookings()["hotel"] == CITY_HOTEL]
    long_lead = city["lead_time"] > LONG_LEAD_DAYS
    kept = ~city["is_canceled"]
    remaining = city[~long_lead]
    expected = (percent(int(remaining["is_canceled"].sum()), len(remaining)),
                float(city.loc[long_lead & kept, "value"].sum()))
    mistakes = [
        Mistake((percent(int(remaining["is_canceled"].sum()), len(city)), expected[1]), _msg("old_denominator")),
        Mistake((expected[0], float(city.loc[long_lead, "value"].sum())), _msg("cancelled_revenue_counted")),
        Mistake((expected[0], float(city.loc[long_lead & ~kept, "value"].sum())), _msg("only_cancelled_revenue")),
    ]
    return check("gamed_kpi", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("gamed_kpi_hint"))


goodhart_quiz = GOODHART_QUIZ.show
