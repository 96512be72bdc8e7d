"""What a learner sees of the test cells in a released assignment.

- A test cell with a hidden part says so in its released form ("checked when your work is
  graded"), instead of showing up as an empty, unlabelled code cell.
- Test cells check with ``cxacademy.checks`` (``expect``, ``require`` …), never a bare
  ``assert``: a failed check then shows its sentence, not a traceback.
"""

from __future__ import annotations

import ast

import pytest

from grader import notebooks
from grader.engine.plan import _visible, python_source
from tests_support import REPO, assignments

HIDDEN_LABEL = "# Hidden check: runs when your work is graded."


def _test_cells(assignment: str) -> list:
    source = notebooks.read(REPO / "assignments" / "source" / assignment / f"{assignment}.ipynb")
    return [cell for cell in source.cells
            if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not notebooks.is_answer(cell)]


@pytest.mark.parametrize("assignment", assignments())
def test_every_hidden_check_is_labelled_in_the_release(assignment):
    for cell in _test_cells(assignment):
        released, hidden = _visible(cell.source)
        if hidden:
            assert released.strip().splitlines()[0] == HIDDEN_LABEL, \
                f"{assignment} {notebooks.grade_id(cell)}: the released cell should start with {HIDDEN_LABEL!r}"


@pytest.mark.parametrize("assignment", assignments())
def test_test_cells_check_with_sentences_not_bare_asserts(assignment):
    for cell in _test_cells(assignment):
        tree = ast.parse(python_source(cell.source))
        asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, (f"{assignment} {notebooks.grade_id(cell)} uses a bare assert on line {asserts[0]}: "
                             "use cxacademy.checks.require(condition, message) so a failure reads as a sentence")
