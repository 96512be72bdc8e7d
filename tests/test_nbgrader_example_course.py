"""nbgrader's own example course grades the same through cx-grader's engine as through plain nbgrader.

The ``ps1`` and ``ps1_autotest`` assignments shipped inside the installed nbgrader package
(two notebooks each; function questions whose tests call the learner's functions, one of
which deletes ``squares`` to prove ``sum_of_squares`` uses it) are copied into fresh course
directories at test time, exactly as an instructor who brings an existing assignment would.

- Released as written, the engine refuses them before any learner is graded, naming only
  the test cell that genuinely needs the learner's kernel (it deletes ``squares``), and why.
  Tests that merely call the learner's functions are not refused: they run in the clean room
  and each call runs in the learner's kernel (the function route).
- With that cell declared to run in the learner's kernel (``c.CxEngine.learner_kernel_tests``,
  the list taken from the refusal), the solution, the blank release, wrong answers and a
  submission missing a notebook are accepted by ``grader.intake`` and graded by the engine;
  plain ``nbgrader autograde`` grades the same notebooks in a second course. Every cell gets
  the same score and the same manual-grading mark, no learner is flagged, and the records
  say which tests ran where and how often each learner's functions were called.

Run with ``-s`` to see the per-cell scores of both graders side by side, and their times.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import nbgrader
import pandas as pd
import pytest

from grader import notebooks
from grader.course import Course, GradingError
from grader.engine.cohort import engine_dir, grade_cohort
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


#: A test cell that deletes a learner's function: the one kind ps1 has that must run in the learner's kernel.
DELETES_A_FUNCTION = r"^\s*del {name}\b"


def function_test_cells(source_dir: Path, pattern: str = r"\b{name}\b") -> set[str]:
    """Test cells whose source matches ``pattern`` for a function an answer cell defines (text search, not the engine).

    The default finds every test that mentions a learner's function; ``DELETES_A_FUNCTION``
    those that delete one.
    """
    cells = set()
    for path in source_dir.glob("*.ipynb"):
        notebook = notebooks.read(path)
        defined = {name for cell in notebook.cells if notebooks.is_answer(cell)
                   for name in re.findall(r"^def (\w+)", cell.source, re.MULTILINE)}
        cells |= {notebooks.grade_id(cell) for cell in notebook.cells
                  if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code"
                  and not notebooks.is_answer(cell)
                  and any(re.search(pattern.format(name=name), cell.source, re.MULTILINE) for name in defined)}
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
    started = time.perf_counter()
    outcomes = grade_cohort(engine, assignment, workers=2, limits=LIMITS, progress=False)
    engine_seconds = time.perf_counter() - started

    plain = example_course(root / "plain", assignment)
    plain.release(assignment)
    for learner, submitted in learners.items():
        for name in submitted:
            plain.submit(assignment, learner, root / "inbox" / learner / f"{name}.ipynb", name)
    started = time.perf_counter()
    for learner in learners:
        assert plain.autograde(assignment, learner).ok
    plain_seconds = time.perf_counter() - started
    return {"assignment": assignment, "engine": engine, "plain": plain, "refusal": str(refusal.value),
            "problems": problems, "intake": intake, "outcomes": outcomes, "learners": learners,
            "seconds": {"cx-grader (2 workers)": engine_seconds, "nbgrader autograde (one by one)": plain_seconds}}


@pytest.mark.nbgrader
def test_the_engine_names_only_the_tests_that_need_the_learner_kernel_before_grading(graded):
    source = graded["engine"].root / "source" / graded["assignment"]
    expected = function_test_cells(source, DELETES_A_FUNCTION)
    assert expected and set(graded["problems"]) == expected
    for cell in expected:
        assert f"cell {cell} cannot run in the clean room" in graded["refusal"]
    assert "deletes the learner's squares" in graded["refusal"]
    assert "c.CxEngine.learner_kernel_tests" in graded["refusal"]
    assert function_test_cells(source) - expected, "tests that only call the learner's functions are not refused"


@pytest.mark.nbgrader
def test_the_records_say_where_each_test_ran_and_count_the_calls(graded):
    assignment, engine = graded["assignment"], graded["engine"]
    summary = json.loads((engine_dir(engine, assignment) / "summary.json").read_text(encoding="utf-8"))
    declared = [f"problem1/{cell}" for cell in graded["problems"]]
    calling = {f"problem1/{cell}" for cell in function_test_cells(engine.root / "source" / assignment)} - set(declared)
    assert summary["declared to run in the learner's kernel (plain nbgrader's guarantees)"] == declared
    assert calling <= set(summary["run in the clean room (calls to learner functions run in the learner's kernel)"])
    solution = next(outcome for outcome in graded["outcomes"] if outcome.learner == "solution")
    assert {"problem1: squares", "problem1: sum_of_squares"} <= set(solution.calls)
    assert all(call["count"] > 0 for call in solution.calls.values())
    assert "calls to the learner's functions" in (engine_dir(engine, assignment) / "solution.log").read_text()


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


@pytest.mark.nbgrader
def test_side_by_side_scores_and_grading_times(graded, capsys):
    """Both graders' per-cell scores in one table (they must agree), and each grader's time, printed for the record."""
    assignment = graded["assignment"]
    engine, plain = cell_scores(graded["engine"], assignment), cell_scores(graded["plain"], assignment)
    table = engine.merge(plain, on=["learner", "cell"], suffixes=(" cx-grader", " nbgrader"))
    assert (table["score cx-grader"].fillna(-1) == table["score nbgrader"].fillna(-1)).all()
    with capsys.disabled():
        print(f"\n{assignment}: per-cell scores, cx-grader vs plain nbgrader autograde")
        print(table[["learner", "cell", "score cx-grader", "score nbgrader"]].to_string(index=False))
        for grader, seconds in graded["seconds"].items():
            print(f"{grader}: {seconds:.1f} s for {len(graded['learners'])} learners")
