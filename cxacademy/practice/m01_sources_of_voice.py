"""Self-checks for lesson 01.01 "Sources of customer voice".

Data: CFPB complaint log (unsolicited), women's clothing reviews (unsolicited, public),
HCAHPS hospital survey (solicited, aggregated per hospital). Expected values are computed
from the data; each typical mistake is computed the way a learner would make it.
"""

from __future__ import annotations

from typing import Any

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import percent, pooled_percent, rate
from cxacademy.text import t
from cxacademy.widgets import Quiz

_KEY = "practice.m01_sources_of_voice"

#: The delivery quiz: how many options it has and which one (0-based) is right.
#: "Which source answers this question most fairly?"
DELIVERY_QUIZ = Quiz(f"{_KEY}.delivery_quiz", answer=2)


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def check_narrative_pct(answer: Any) -> Verdict:
    """Exercise 1: percentage of complaints that come with the consumer's own written story."""
    has_story = load("cfpb_complaints")["consumer_complaint_narrative"].notna()
    expected = rate(has_story)
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(int(has_story.sum()), _msg("count_not_percent")),
        Mistake(rate(~has_story), _msg("narrative_inverted")),
    ]
    return check("narrative_pct", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("narrative_hint"))


def check_low_rating_pct(answer: Any) -> Verdict:
    """Exercise 2: percentage of reviews with 1 or 2 stars."""
    rating = load("womens_ecommerce_reviews")["rating"]
    expected = rate(rating <= 2)
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(int((rating <= 2).sum()), _msg("count_not_percent")),
        Mistake(rate(rating <= 3), _msg("three_stars_counted")),
        Mistake(rate(rating == 1), _msg("only_one_star")),
    ]
    return check("low_rating_pct", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("low_rating_hint"))


def check_disputed_pct(answer: Any) -> Verdict:
    """Exercise 3: percentage disputed among complaints where the dispute field was answered."""
    disputed = load("cfpb_complaints")["consumer_disputed"]
    expected = rate(disputed)
    n_disputed = int(disputed.sum())
    mistakes = [
        Mistake(
            percent(n_disputed, len(disputed)),
            _msg("missing_in_denominator", answered=int(disputed.notna().sum()), total=len(disputed)),
        ),
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(n_disputed, _msg("count_not_percent")),
        Mistake(100 - expected, _msg("not_disputed_instead")),
    ]
    return check("disputed_pct", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("disputed_hint"))


def check_patient_weighted_pct(answer: Any) -> Verdict:
    """Exercise 4: percentage of surveyed patients whose room was always quiet at night, all hospitals pooled."""
    hospitals = load("hcahps_hospital_2022")
    pct = hospitals["quiet_always_pct"]
    expected = pooled_percent(pct, hospitals["n_completed_surveys"])
    mistakes = [
        Mistake(float(pct.mean()), _msg("unweighted_mean")),
        Mistake(expected / 100, _msg("share_not_percent")),
    ]
    return check(
        "patient_weighted_pct", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("patient_weighted_hint")
    )


delivery_quiz = DELIVERY_QUIZ.show
