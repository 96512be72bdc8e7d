"""The course's competency model (COURSE.md): six areas, each profiled 1–10 per learner.

Datasets declare which areas they teach and graded items declare which they evidence,
both by these ids; display names come from the locale files.
"""

from __future__ import annotations

from cxacademy.text import t

#: Competency ids in the order of COURSE.md (CCXP domains / XM Institute competencies).
COMPETENCIES: tuple[str, ...] = (
    "research",
    "journey",
    "operations",
    "metrics",
    "strategy",
    "leadership",
)


def competency_name(competency: str) -> str:
    """The display name of a competency in the current language."""
    if competency not in COMPETENCIES:
        raise KeyError(f"Unknown competency {competency!r}; known: {', '.join(COMPETENCIES)}")
    return t(f"competency.{competency}")


def question_of(grade_id: str) -> str:
    """The question a graded cell belongs to: its grade_id up to the first "_" (q2_timely → q2).

    Manifests declare competencies per question, so lessons, the profile and the grader
    all group cells by this one rule.
    """
    return grade_id.split("_", 1)[0]
