"""Self-checks for lesson 03-04, "Standards and judgement".

Data: the "Anonymous Bank" call log of February 1999 (Guedj & Mandelbaum, Technion; teaching
and research use). The expected value is computed from the data with plain pandas; each
typical mistake is computed the way a learner would make it. ``calm_down_quiz`` asks what to
say to an alarmed customer, with every word taken from the lesson's locale file.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.text import t
from cxacademy.widgets import Quiz

_KEY = "practice.m03_standards_and_judgement"

#: A call shorter than this (seconds) is too short to have solved anything.
SHORT_CALL_S = 10
#: Agents with at least this many answered calls are compared.
MIN_CALLS = 1000
#: "A customer calls: 'you have blocked my card twice!'" — the best answer is option 3.
CALM_DOWN_QUIZ = Quiz(f"{_KEY}.quiz", answer=2)


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def check_short_calls(answer: Any) -> Verdict:
    """Exercise: % of each busy agent's answered calls shorter than 10 seconds, highest first."""
    calls = load("call_center_anonymous_bank_1999")
    handled = calls[calls["outcome"].astype(str).eq("AGENT") & calls["server"].astype(str).ne("NO_SERVER")]
    agent = handled["server"].astype(str)
    busy = agent.value_counts()[lambda counts: counts >= MIN_CALLS].index
    short = handled["ser_time"].lt(SHORT_CALL_S)
    expected = (100 * short.groupby(agent).mean())[busy].sort_values(ascending=False)
    mistakes = [
        Mistake(expected / 100, _msg("shares")),
        Mistake((100 * short.groupby(agent).sum() / short.sum())[busy].sort_values(ascending=False),
                _msg("composition")),
    ]
    return check("short_call_pct", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("short_hint"))


calm_down_quiz = CALM_DOWN_QUIZ.show
