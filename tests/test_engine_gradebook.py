"""What the engine writes into nbgrader's gradebook for a tampered submission, read back with nbgrader's own API.

An outcome that says "flagged" helps no one if the formgrader, which reads only the
gradebook, shows nothing to review. So these tests skip the engine's records and ask
nbgrader's ``Gradebook``: is the submitted notebook flagged, and are exactly the cells the
engine named marked "needs manual grade"?
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader.course import Course
from grader.engine.cohort import grade_cohort
from grader.engine.preflight import stamp_release
from grader.engine.sandbox import Limits
from tests_support import REPO

HOSTILE = REPO / "tests" / "fixtures" / "hostile"
SUBMISSIONS = HOSTILE / "submissions"
LEARNERS = {"solution": "solution", "deleted-test": "deleted_test", "redefine-helpers": "redefine_helpers"}


def grade_ids(notebook: Path, *, tests_only: bool = False) -> set[str]:
    """The graded cells of a notebook (only its autograded tests, when asked)."""
    cells = [cell["metadata"].get("nbgrader", {}) for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]
    return {meta["grade_id"] for meta in cells if meta.get("grade") and not (tests_only and meta.get("solution"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Course, dict]:
    course = Course.create(tmp_path_factory.mktemp("gradebook") / "course", HOSTILE / "source", ["hostile"])
    course.release("hostile")
    stamp_release(course, "hostile")
    for learner, fixture in LEARNERS.items():
        course.submit("hostile", learner, SUBMISSIONS / f"{fixture}.ipynb")
    outcomes = grade_cohort(course, "hostile", workers=2, limits=Limits(wall_seconds=30), progress=False)
    return course, {outcome.learner: outcome for outcome in outcomes}


def stored(course: Course, learner: str) -> tuple[bool, set[str]]:
    """The submitted notebook's flag and the cells needing a manual grade, as nbgrader stores them."""
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        notebook = gradebook.find_submission_notebook("hostile", "hostile", learner)
        return bool(notebook.flagged), {grade.name for grade in notebook.grades if grade.needs_manual_grade}


@pytest.mark.nbgrader
def test_a_deleted_test_flags_the_notebook_and_marks_that_cell_for_manual_grading(graded):
    course, outcomes = graded
    deleted = grade_ids(SUBMISSIONS / "blank.ipynb") - grade_ids(SUBMISSIONS / "deleted_test.ipynb")
    assert deleted and outcomes["deleted-test"].flagged
    assert stored(course, "deleted-test") == (True, deleted)


@pytest.mark.nbgrader
def test_redefined_helpers_flag_the_notebook_and_mark_the_cells_the_engine_names(graded):
    course, outcomes = graded
    reasons = outcomes["redefine-helpers"].flags
    named = {cell for cell in grade_ids(SUBMISSIONS / "blank.ipynb")
             if any(re.search(rf"\b{cell}\b", reason) for reason in reasons)}
    assert named, f"the engine's flags should name the test that behaved differently: {reasons}"
    assert stored(course, "redefine-helpers") == (True, named)


@pytest.mark.nbgrader
def test_an_untouched_solution_is_neither_flagged_nor_held_for_review(graded):
    course, outcomes = graded
    assert not outcomes["solution"].flagged
    flagged, cells = stored(course, "solution")
    assert not flagged and not cells & grade_ids(SUBMISSIONS / "blank.ipynb", tests_only=True)
