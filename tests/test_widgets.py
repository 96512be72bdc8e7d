"""Widgets build without a browser and draw with the shared formula and labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cxacademy import widgets  # noqa: E402
from cxacademy.practice import (  # noqa: E402
    m01_complaints_and_reviews,
    m01_sources_of_voice,
    m01_survey_scores,
    m04_kpi_design,
)
from cxacademy.text import t  # noqa: E402

QUIZZES = {
    "delivery": m01_sources_of_voice.DELIVERY_QUIZ,
    "league": m01_survey_scores.LEAGUE_QUIZ,
    "reply": m01_complaints_and_reviews.REPLY_QUIZ,
    "goodhart": m04_kpi_design.GOODHART_QUIZ,
}


def test_nps_explorer_builds():
    assert widgets.nps_interval_explorer(n=100, promoters_pct=50, detractors_pct=20) is None


def test_impossible_shares_are_explained(capsys):
    widgets._draw_nps_interval(100, 70, 40)
    assert t("widget.invalid_shares") in capsys.readouterr().out


def test_multiple_choice_builds():
    assert widgets.multiple_choice("Q?", ["a", "b"], 1, ["no", "yes"]) is None


@pytest.mark.parametrize("quiz", QUIZZES.values(), ids=QUIZZES.keys())
def test_every_lesson_quiz_is_complete_in_the_locale(quiz):
    question, options, answer, explanations = quiz.content()
    assert question and all(options) and all(explanations)
    assert len(options) == len(explanations) >= 3, "each option needs its own explanation"
    assert 0 <= answer < len(options)
    assert explanations[answer].startswith("Yes"), "the right option's explanation confirms it"
    assert quiz.show() is None
