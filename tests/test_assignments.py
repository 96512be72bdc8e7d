"""Every assignment proves its tests through real ``nbgrader autograde`` (see grader/prove.py).

For each source assignment: the solution earns full autograded marks, the released
notebook earns zero and grading finishes, and each typical wrong answer declared in
``assignments/wrong_answers/<assignment>.toml`` loses exactly the points it promises.
The generic adversarial answers (grader/adversary.py) each lose their question's value
points: every stored value, column and element is compared with the data by some test.
One proof per assignment serves both checks.
"""

from __future__ import annotations

import pytest

from grader import notebooks
from grader.prove import Proof, load_wrong_answers, prove, wrong_answers_file
from tests_support import REPO, assignments

SOURCE = REPO / "assignments" / "source"


@pytest.fixture(scope="module", params=assignments())
def proof(request, tmp_path_factory) -> Proof:
    proven = prove(request.param, SOURCE, tmp_path_factory.mktemp(request.param) / "course")
    print(proven.summary(), proven.timing(), sep="\n")
    return proven


@pytest.mark.nbgrader
def test_solution_blank_and_typical_wrong_answers_score_as_promised(proof):
    assert not proof.problems, "\n".join(proof.problems)


@pytest.mark.nbgrader
def test_generic_adversarial_answers_lose_their_points(proof):
    assert proof.attack.findings, f"{proof.assignment}: no generic adversarial answer was graded"
    assert not proof.attack.problems, "\n".join(proof.attack.problems)


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
