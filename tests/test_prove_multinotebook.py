"""``cx-grader prove`` proves every notebook of an assignment, as nbgrader's own ``ps1`` has two.

- nbgrader's example ``ps1`` (``problem1`` and ``problem2``), copied at test time from the
  installed nbgrader package with the helpers of ``test_nbgrader_example_course``, is proven
  with a wrong-answers file the test writes: each wrong answer names its notebook. The
  solution and the blank release of both notebooks, and three typical wrong answers, hold
  their promises; a fourth wrong answer declares less than it loses, and the proof says so,
  naming the notebook and the cell. The points promised are read from the source notebook.
- A wrong answer that names no notebook, or one the assignment does not have, is refused
  before anything is graded; in a one-notebook assignment it need not name one.
- The generic adversarial answers attack each notebook of a two-notebook assignment on its
  own: every variant loses points in the notebook it was written in, and none elsewhere.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_nbgrader_example_course import (DELETES_A_FUNCTION, WRONG, declare_learner_kernel, example_course,
                                          function_test_cells)

from grader import notebooks
from grader.adversary import LEARNER_PREFIX, attack
from grader.course import Course, GradingError
from grader.prove import WrongAnswer, notebook_of, prove
from grader.sample_assignment import write_sample_assignment

ASSIGNMENT, NOTEBOOK = "ps1", "problem1"
#: Typical wrong answers of ps1: name → (answer cell, code, the test cells it must fail).
TYPICAL = {
    "squares_doubles": ("squares", WRONG["wrong-values"]["squares"], ["correct_squares", "correct_sum_of_squares"]),
    "squares_accepts_zero": ("squares", WRONG["wrong-no-check"]["squares"], ["squares_invalid_input"]),
    "sum_without_squares": ("sum_of_squares", WRONG["wrong-own-sum"]["sum_of_squares"],
                            ["sum_of_squares_uses_squares"]),
}
#: A wrong answer that declares only one of the two cells it fails: the proof must catch the promise.
UNDER_DECLARED = ("declares_too_little", "squares", WRONG["wrong-values"]["squares"], ["correct_squares"])
MISSED = "correct_sum_of_squares"


def graded_points(source: Path) -> dict[str, float]:
    """grade id → points of every graded cell of the source notebook."""
    return {notebooks.grade_id(cell): float(cell.metadata.nbgrader["points"])
            for cell in notebooks.read(source).cells if cell.metadata.get("nbgrader", {}).get("grade")}


def wrong_answers_toml(entries: list[tuple[str, str, str, list[str]]], points: dict[str, float],
                       notebook: str | None = NOTEBOOK) -> str:
    """A wrong-answers file as an author writes it; ``loses`` from the source notebook's points."""
    tables = []
    for name, cell, code, fails in entries:
        loses = ", ".join(f"{test} = {points[test]!r}" for test in fails)
        where = f'notebook = "{notebook}"\n' if notebook else ""
        tables.append(f'[[wrong]]\nname = "{name}"\nwhy = "a test wrote it"\n{where}cell = "{cell}"\n'
                      f"loses = {{ {loses} }}\ncode = '''\n{code}\n'''\n")
    return "\n".join(tables)


def ps1_course(root: Path, notebook: str | None = NOTEBOOK) -> Course:
    """ps1 in a course whose config declares the test that deletes a function, with a wrong-answers file."""
    course = example_course(root, ASSIGNMENT)
    source = course.root / "source" / ASSIGNMENT
    course = declare_learner_kernel(course, ASSIGNMENT, sorted(function_test_cells(source, DELETES_A_FUNCTION)))
    entries = [(name, *entry) for name, entry in TYPICAL.items()] + [UNDER_DECLARED]
    folder = course.root / "wrong_answers"
    folder.mkdir()
    text = wrong_answers_toml(entries, graded_points(source / f"{NOTEBOOK}.ipynb"), notebook)
    (folder / f"{ASSIGNMENT}.toml").write_text(text, encoding="utf-8")
    return course


@pytest.fixture(scope="module")
def proof(tmp_path_factory):
    root = tmp_path_factory.mktemp("prove-ps1")
    course = ps1_course(root / "brought")
    return prove(ASSIGNMENT, course.root / "source", root / "proof" / "course")


@pytest.mark.nbgrader
def test_every_notebook_and_wrong_answer_keeps_its_promise_and_a_broken_promise_is_named(proof):
    scores = proof.scores
    auto = scores[scores["kind"] == "autograded"]
    assert set(auto["notebook"]) == {NOTEBOOK}, "ps1's autograded tests are all in problem1"
    assert set(scores["notebook"]) == {"problem1", "problem2"}, "every learner submitted both notebooks"
    assert proof.autograded_points == auto[auto["learner"] == "solution"]["max_score"].sum() > 0
    points = dict(zip(auto["cell"], auto["max_score"]))
    name = UNDER_DECLARED[0]
    assert proof.problems == [f"wrong answer {name!r}: test cell {NOTEBOOK}/{MISSED} lost {points[MISSED]:g} "
                              "points, expected 0"]
    assert proof.caught == len(TYPICAL)
    assert not proof.attack.problems
    assert not proof.proven


def test_a_wrong_answer_must_name_its_notebook_before_anything_is_graded(tmp_path):
    course = ps1_course(tmp_path / "brought", notebook=None)
    with pytest.raises(GradingError, match="names no notebook; this assignment has problem1, problem2"):
        prove(ASSIGNMENT, course.root / "source", tmp_path / "proof" / "course")
    assert not (tmp_path / "proof" / "course" / "submitted").exists()


def test_a_one_notebook_assignment_needs_no_notebook_name():
    answer = WrongAnswer("typo", "why", "q1_answer", "answer = 41", {"q1_value": 2.0})
    assert notebook_of(answer, ["sample"]) == "sample"
    with pytest.raises(GradingError, match="names notebook 'other'"):
        notebook_of(replace(answer, notebook="other"), ["sample"])


@pytest.fixture
def two_notebook_course(tmp_path: Path) -> Course:
    """The sample assignment twice, as part1 and part2 of one assignment, released."""
    folder = write_sample_assignment(tmp_path / "src", "sample")
    notebook = folder / "sample.ipynb"
    (folder / "part2.ipynb").write_bytes(notebook.read_bytes())
    notebook.rename(folder / "part1.ipynb")
    course = Course.create(tmp_path / "course", folder.parent, ["sample"])
    course.release("sample")
    return course


@pytest.mark.nbgrader
def test_generic_adversarial_answers_attack_each_notebook_on_its_own(two_notebook_course):
    course = two_notebook_course
    found = attack(course, "sample")
    assert not found.problems and found.findings
    scores = course.scores("sample")
    auto = scores[scores["kind"] == "autograded"]
    lost = (auto["max_score"] - auto["score"]).groupby([auto["learner"], auto["notebook"]]).sum()
    attackers = {learner for learner in auto["learner"] if learner.startswith(LEARNER_PREFIX)}
    for part in ("part1", "part2"):
        mine = {learner for learner in attackers if learner.startswith(f"{LEARNER_PREFIX}{part}-")}
        assert mine, f"no adversarial learner attacked {part}"
        other = "part2" if part == "part1" else "part1"
        assert all(lost[(learner, part)] > 0 and lost[(learner, other)] == 0 for learner in mine), part
    assert len(found.findings) == 2 * len({finding.variant.title for finding in found.findings})
