"""grader.course drives real nbgrader on a throwaway course directory."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader import notebooks
from grader.course import SCORE_COLUMNS, Course, GradingError
from grader.sample_assignment import write_sample_assignment

ASSIGNMENT = "sample"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    source = write_sample_assignment(tmp_path / "src", ASSIGNMENT).parent
    course = Course.create(tmp_path / "course", source)
    # A short per-cell limit keeps the endless-loop case quick; it is the course's own setting otherwise.
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write("\nc.Execute.timeout = 3\n")
    return Course(course.root)


def learner_notebook(course: Course, path: Path, answers: dict[str, str]) -> Path:
    released = notebooks.read(course.step_dir("release", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    nbformat.write(notebooks.fill_answers(released, answers), str(path))
    return path


def test_a_folder_without_nbgrader_config_is_not_a_course(tmp_path):
    with pytest.raises(GradingError, match="not a course directory"):
        Course(tmp_path)


def test_create_copies_config_and_sources_and_lists_assignments(course):
    assert course.assignments() == [ASSIGNMENT]
    assert (course.root / "nbgrader_config.py").is_file()
    assert course.db_url == f"sqlite:///{course.root}/gradebook.db"


def test_create_names_unknown_assignments(tmp_path):
    source = write_sample_assignment(tmp_path / "src", ASSIGNMENT).parent
    with pytest.raises(GradingError, match="No source folder for m99"):
        Course.create(tmp_path / "course", source, ["m99"])


@pytest.mark.nbgrader
def test_release_failure_explains_itself(course):
    path = course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = notebooks.read(path)
    notebook.cells[3].metadata.nbgrader.grade_id = "q1_type"  # a duplicate grade id
    nbformat.write(notebook, str(path))
    with pytest.raises(GradingError, match="could not release 'sample'.*Fix the source notebook"):
        course.release(ASSIGNMENT)


@pytest.mark.nbgrader
def test_autograde_scores_and_feedback_for_good_blank_broken_and_endless(course, tmp_path):
    release = course.release(ASSIGNMENT)
    assert (release / f"{ASSIGNMENT}.ipynb").is_file()
    course.submit(ASSIGNMENT, "good", learner_notebook(course, tmp_path / "good.ipynb",
                                                       {"q1_answer": "answer = 42", "q2_written": "Because."}))
    course.submit(ASSIGNMENT, "blank", release / f"{ASSIGNMENT}.ipynb")
    course.submit(ASSIGNMENT, "loop", learner_notebook(course, tmp_path / "loop.ipynb",
                                                       {"q1_answer": "while True:\n    pass"}))
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    course.submit(ASSIGNMENT, "broken", broken)

    results = {learner: course.autograde(ASSIGNMENT, learner) for learner in ("good", "blank", "loop", "broken")}
    assert results["good"].ok and results["blank"].ok
    assert results["loop"].ok and "time limit" in results["loop"].message and "q1_answer" in results["loop"].message
    assert not results["broken"].ok and "NotJSONError" in results["broken"].message
    assert "Traceback" in results["broken"].log

    scores = course.scores(ASSIGNMENT)
    assert list(scores.columns) == SCORE_COLUMNS
    good = scores[scores["learner"] == "good"].set_index("cell")
    assert good["kind"].to_dict() == {"q1_type": "autograded", "q1_value": "autograded", "q2_written": "manual"}
    assert good.loc[["q1_type", "q1_value"], "score"].tolist() == [1.0, 2.0]
    assert bool(good.loc["q2_written", "needs_manual_grade"])
    for learner in ("blank", "loop"):
        assert scores.loc[scores["learner"] == learner, "score"].sum() == 0

    feedback = course.generate_feedback(ASSIGNMENT, "good")
    assert feedback.ok and (course.root / "feedback" / "good" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert not course.generate_feedback(ASSIGNMENT, "nobody").ok
