"""Self-checks for lesson 05-04, "Your competency profile".

Data: the course's demo learner's profile (``cxacademy/demo_profile.json``), so every learner
practises on the same numbers whatever their own grades. Expected values follow the rule of
``cxacademy.profile`` from the profile's own evidence; each typical mistake is computed the way a
learner would make it.
"""

from __future__ import annotations

from typing import Any

from cxacademy import profile as rule
from cxacademy.checks import Mistake, Verdict, check
from cxacademy.competencies import COMPETENCIES
from cxacademy.text import t

_KEY = "practice.m05_your_competency_profile"
#: The competency exercise 1 recomputes.
EXERCISE_COMPETENCY = "metrics"


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def demo() -> rule.Profile:
    """The demo learner's profile the exercises use."""
    return rule.load(rule.DEMO_PROFILE)


def check_metrics_score(answer: Any) -> Verdict:
    """Exercise 1: the demo learner's Metrics score recomputed from its evidence, 1–10 to one decimal."""
    evidence = demo().competencies[EXERCISE_COMPETENCY].evidence
    weighted_share = sum(e.weight * e.earned for e in evidence) / sum(e.weight * e.available for e in evidence)
    plain_share = sum(e.earned for e in evidence) / sum(e.available for e in evidence)
    mistakes = [Mistake(round(1 + 9 * plain_share, 1), _msg("unweighted")),
                Mistake(round(10 * weighted_share, 1), _msg("times_ten")),
                Mistake(round(weighted_share, 3), _msg("share_only"))]
    return check("metrics_score", answer, round(1 + 9 * weighted_share, 1), tolerance=0.05,
                 mistakes=mistakes, hint=_msg("score_hint"))


def check_weakest(answer: Any) -> Verdict:
    """Exercise 2: the id of the demo learner's weakest assessed competency."""
    scores = {c: demo().score(c) for c in COMPETENCIES if demo().score(c) is not None}
    strongest = max(scores, key=scores.get)
    return check("weakest", answer, min(scores, key=scores.get),
                 mistakes=[Mistake(strongest, _msg("strongest"))], hint=_msg("weakest_hint"))


def check_raise(answer: Any) -> Verdict:
    """Exercise 3: how many points the first next step would add to the weakest competency's score."""
    step = demo().next_steps[0]
    weakest = demo().competencies[step.competency]
    unweighted = rule.score_of(weakest.earned + step.missed, weakest.available) - step.score_now
    return check("raise_by", answer, round(step.score_after - step.score_now, 1), tolerance=0.05,
                 mistakes=[Mistake(round(unweighted, 1), _msg("raise_unweighted"))], hint=_msg("raise_hint"))
