"""Self-checks for lesson 02-01, "The relationship lifecycle and its touchpoints".

Data: the hotel booking records of Antonio, Almeida & Nunes (2019, CC BY 4.0). The worked
example follows the City Hotel's bookings by market segment; the exercises use the Resort
Hotel's no-shows and the City Hotel's booking changes, and the graded assignment neither.
Each typical mistake is computed the way a learner would make it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.text import t

_KEY = "practice.m02_journey_maps"


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def _bookings() -> pd.DataFrame:
    return load("hotel_bookings")


def _hotel(name: str) -> pd.DataFrame:
    bookings = _bookings()
    return bookings[bookings["hotel"] == name]


def _by_segment(values: pd.Series, segments: pd.Series) -> pd.Series:
    return values.astype(float).groupby(segments, observed=True).mean().mul(100).rename(index=str)


def _with_text_index(answer: Any) -> Any:
    """Let a Series indexed by categories compare with one indexed by text."""
    return answer.rename(index=str) if isinstance(answer, pd.Series) else answer


def check_noshow_by_segment(answer: Any) -> Verdict:
    """Exercise 1: no-show rate (%) of each market segment of the Resort Hotel."""
    resort = _hotel("Resort Hotel")
    no_show = resort["reservation_status"] == "No-Show"
    expected = _by_segment(no_show, resort["market_segment"])
    counts = no_show.groupby(resort["market_segment"], observed=True).sum()
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake((100 * counts / counts.sum()).rename(index=str), _msg("composition_not_rate")),
        Mistake(_by_segment(resort["is_canceled"], resort["market_segment"]), _msg("all_cancellations")),
    ]
    return check("noshow_by_segment", _with_text_index(answer), expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("noshow_hint"))


def check_cancel_by_changes(answer: Any) -> Verdict:
    """Exercise 2: City Hotel cancellation rate (%) without and with booking changes, as a tuple."""
    city = _hotel("City Hotel")
    changed = city["booking_changes"] > 0
    without, with_changes = (100 * city.loc[~changed, "is_canceled"].mean(), 100 * city.loc[changed, "is_canceled"].mean())
    cancelled = city["is_canceled"].sum()
    mistakes = [
        Mistake((with_changes, without), _msg("order_reversed")),
        Mistake((without / 100, with_changes / 100), _msg("share_not_percent")),
        Mistake((100 * city.loc[~changed, "is_canceled"].sum() / cancelled,
                 100 * city.loc[changed, "is_canceled"].sum() / cancelled), _msg("composition_not_rate")),
    ]
    return check("cancel_by_changes", answer, (without, with_changes), tolerance=0.05, mistakes=mistakes,
                 hint=_msg("changes_hint"))
