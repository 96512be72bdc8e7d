"""nbgrader's own example course grades the same through cx-grader's engine as through plain nbgrader.

The ``ps1`` and ``ps1_autotest`` assignments shipped inside the installed nbgrader package
(two notebooks each; function questions whose tests call the learner's functions, one of
which deletes ``squares`` to prove ``sum_of_squares`` uses it) are copied into fresh course
directories at test time, exactly as an instructor who brings an existing assignment would.

- Released as written, the engine refuses them before any learner is graded, naming each
  test cell that cannot run in the clean room, and why.
- With those cells declared to run in the learner's kernel (``c.CxEngine.learner_kernel_tests``,
  the list taken from the refusal), the solution, the blank release, wrong answers and a
  submission missing a notebook are accepted by ``grader.intake`` and graded by the engine;
  plain ``nbgrader autograde`` grades the same notebooks in a second course. Every cell gets
  the same score and the same manual-grading mark, and no learner is flagged.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import nbgrader
import pandas as pd
import pytest

from grader import notebooks
from grader.course import Course, GradingError
from grader.engine.cohort import grade_cohort
from grader.engine.plan import build_plans, runnable_plans
from grader.engine.preflight import stamp_release
from grader.engine.sandbox import Limits
from grader.intake import ACCEPTED, accept

GUIDE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
LIMITS = Limits(wall_seconds=60)
#: Wrong answers a learner of ps1 could write: grade id of the answer cell → code.
WRONG = {
    "wrong-values": {"squares": "def squares(n):\n    if n < 1:\n        raise ValueError('n')\n"
                                "    return [i * 2 for i in range(1, n + 1)]"},
    "wrong-no-check": {"squares": "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]"},
    "wrong-own-sum": {"sum_of_squares": "def sum_of_squares(n):\n    return sum(i ** 2 for i in range(1, n + 1))"},
}
AUTOTEST_WRONG = {"wrong-dictionary": {"cell-d3df8cd59fd0eb74": "my_dictionary = {'one': 2, 'two': 2, 'three': 3}"}}
MISSING_PROBLEM2 = "only-problem1"


def example_course(root: Path, assignment: str) -> Course:
    """A fresh course holding the example assignment copied from the installed nbgrader package."""
    sources = root / "sources"
    shutil.copytree(GUIDE / "source" / assignment, sources / assignment)
    shutil.copy(GUIDE / "autotests.yml", sources / assignment / "autotests.yml")
    return Course.create(root / "course", sources, [assignment])


def function_test_cells(source_dir: Path) -> set[str]:
    """Test cells that mention a function an answer cell defines, found by text search, not by the engine."""
    cells = set()
    for path in source_dir.glob("*.ipynb"):
        notebook = notebooks.read(path)
        defined = {name for cell in notebook.cells if notebooks.is_answer(cell)
                   for name in re.findall(r"^def (\w+)", cell.source, re.MULTILINE)}
        cells |= {notebooks.grade_id(cell) for cell in notebook.cells
                  if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code"
                  and not notebooks.is_answer(cell)
                  and any(re.search(rf"\b{name}\b", cell.source) for name in defined)}
    return cells


def declare_learner_kernel(course: Course, assignment: str, cells: list[str]) -> Course:
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f"\nc.CxEngine.learner_kernel_tests = {{{assignment!r}: {cells!r}}}\n")
    return Course(course.root)


def learner_submissions(course: Course, assignment: str, wrong: dict[str, dict[str, str]]) -> dict[str, dict]:
    """learner → notebook name → notebook, filled from the source solutions into the release."""
    released = course.step_dir(course.coursedir.release_directory, assignment)
    names = sorted(path.stem for path in released.glob("*.ipynb"))
    sources = {name: notebooks.read(course.root / "source" / assignment / f"{name}.ipynb") for name in names}
    blank = {name: notebooks.read(released / f"{name}.ipynb") for name in names}
    solution = {name: notebooks.fill_answers(blank[name], notebooks.solutions(sources[name])) for name in names}
    learners = {"solution": solution, "blank": blank, MISSING_PROBLEM2: {"problem1": solution["problem1"]}}
    for learner, answers in wrong.items():
        learners[learner] = {name: notebooks.fill_answers(blank[name], {
            **notebooks.solutions(sources[name]),
            **{cell: code for cell, code in answers.items() if cell in notebooks.solutions(sources[name])}})
            for name in names}
    return learners


def write_inbox(folder: Path, learners: dict[str, dict]) -> Path:
    for learner, submitted in learners.items():
        for name, notebook in submitted.items():
            path = folder / learner / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, str(path))
    return folder


def cell_scores(course: Course, assignment: str) -> pd.DataFrame:
    return course.scores(assignment)[["learner", "cell", "score", "needs_manual_grade"]].reset_index(drop=True)


@pytest.fixture(scope="module", params=[("ps1", WRONG), ("ps1_autotest", {**WRONG, **AUTOTEST_WRONG})],
                ids=["ps1", "ps1_autotest"])
def graded(request, tmp_path_factory) -> dict:
    """One example assignment graded by the engine and by plain nbgrader, with what each said."""
    assignment, wrong = request.param
    root = tmp_path_factory.mktemp(assignment)
    engine = example_course(root / "engine", assignment)
    engine.release(assignment)
    with pytest.raises(GradingError) as refusal:
        runnable_plans(engine, assignment)
    problems = sorted(cell for plan in build_plans(engine, assignment).values() for cell, _ in plan.problems)
    engine = declare_learner_kernel(engine, assignment, problems)
    engine.release(assignment)
    stamp_release(engine, assignment)
    learners = learner_submissions(engine, assignment, wrong)
    intake = accept(engine, assignment, write_inbox(root / "inbox", learners))
    outcomes = grade_cohort(engine, assignment, workers=2, limits=LIMITS, progress=False)

    plain = example_course(root / "plain", assignment)
    plain.release(assignment)
    for learner, submitted in learners.items():
        for name in submitted:
            plain.submit(assignment, learner, root / "inbox" / learner / f"{name}.ipynb", name)
        assert plain.autograde(assignment, learner).ok
    return {"assignment": assignment, "engine": engine, "plain": plain, "refusal": str(refusal.value),
            "problems": problems, "intake": intake, "outcomes": outcomes, "learners": learners}


@pytest.mark.nbgrader
def test_the_engine_names_every_test_it_cannot_run_before_grading(graded):
    source = graded["engine"].root / "source" / graded["assignment"]
    expected = function_test_cells(source)
    assert expected and set(graded["problems"]) == expected
    for cell in expected:
        assert f"cell {cell} cannot run in the clean room" in graded["refusal"]
    assert "deletes the learner's squares" in graded["refusal"]
    assert "c.CxEngine.learner_kernel_tests" in graded["refusal"]


@pytest.mark.nbgrader
def test_intake_takes_every_notebook_and_reports_a_missing_one(graded):
    outcomes = {outcome.learner: outcome for outcome in graded["intake"].outcomes}
    assert {learner for learner, outcome in outcomes.items() if outcome.status == ACCEPTED} == set(graded["learners"])
    assert outcomes["solution"].notebook == "problem1.ipynb, problem2.ipynb"
    assert any("problem2.ipynb not submitted" in warning for warning in outcomes[MISSING_PROBLEM2].warnings)
    assert not outcomes["solution"].warnings


@pytest.mark.nbgrader
def test_every_cell_scores_as_plain_nbgrader_and_nothing_is_flagged(graded):
    assignment = graded["assignment"]
    engine, plain = cell_scores(graded["engine"], assignment), cell_scores(graded["plain"], assignment)
    assert set(engine["learner"]) == set(graded["learners"])
    pd.testing.assert_frame_equal(engine, plain)
    assert [(o.learner, o.status, o.flags) for o in graded["outcomes"] if not o.ok or o.flagged] == []


@pytest.mark.nbgrader
def test_the_solution_earns_everything_and_each_wrong_answer_loses_something(graded):
    scores = cell_scores(graded["engine"], graded["assignment"])
    auto = graded["engine"].scores(graded["assignment"]).query("kind == 'autograded'")
    totals = auto.groupby("learner")["score"].sum()
    assert totals["solution"] == auto.query("learner == 'solution'")["max_score"].sum() > 0
    assert totals["blank"] == 0
    # ps1_autotest's dictionary test is worth 0 points: only the function questions' wrong answers can lose any.
    assert all(totals[learner] < totals["solution"] for learner in WRONG)
    assert len(scores) == len(graded["learners"]) * scores["cell"].nunique()
