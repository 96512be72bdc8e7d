"""Every assignment proves its tests through real ``nbgrader autograde`` (see grader/prove.py).

For each source assignment: the solution earns full autograded marks, the released
notebook earns zero and grading finishes, and each typical wrong answer declared in
``assignments/wrong_answers/<assignment>.toml`` loses exactly the points it promises.
"""

from __future__ import annotations

import pytest

from grader import notebooks
from grader.prove import load_wrong_answers, prove, wrong_answers_file
from tests_support import REPO, assignments

SOURCE = REPO / "assignments" / "source"


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", assignments())
def test_assignment_proves_its_tests(assignment, tmp_path):
    proof = prove(assignment, SOURCE, tmp_path / "course")
    print(proof.summary())
    assert proof.proven, "\n".join(proof.problems)


@pytest.mark.parametrize("assignment", assignments())
def test_every_autograded_question_has_two_wrong_answers(assignment):
    wrong = load_wrong_answers(wrong_answers_file(SOURCE, assignment))
    per_answer_cell: dict[str, int] = {}
    for answer in wrong:
        per_answer_cell[answer.cell] = per_answer_cell.get(answer.cell, 0) + 1
    source = notebooks.read(SOURCE / assignment / f"{assignment}.ipynb")
    answer_cells = [notebooks.grade_id(c) for c in source.cells if notebooks.is_autograded_answer(c)]
    thin = [cell for cell in answer_cells if per_answer_cell.get(cell, 0) < 2]
    assert not thin, f"{assignment}: answer cells with fewer than two wrong answers: {thin}"
