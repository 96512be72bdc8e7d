"""Tests the clean room cannot run as written are found from their source, before any learner is graded.

A test that calls a learner's function, deletes a learner's name, inspects code or
namespaces, or draws plots would fail in the clean room for every learner, the correct ones
too. ``grader.engine.plan`` names each such cell and why; a cell the course declares to run
in the learner's kernel is not a problem, runs there in full (hidden part included, never a
snapshot), and its bindings come from the learner like any answer. The end-to-end proof on
nbgrader's own example course is ``tests/test_nbgrader_example_course.py``.
"""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.engine.execute import KERNEL_TEST, SNAPSHOT, VISIBLE_TEST, build_steps
from grader.engine.plan import build_plan, clean_room_problem

ANSWER = "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]"
VALUE_ANSWER = "total = 385"


def cell(source: str, grade_id: str, *, solution: bool = False, grade: bool = False) -> dict:
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution, "points": 1}
    return new_code_cell(source, metadata={"nbgrader": meta})


def notebook(*tests: str) -> dict:
    cells = [cell("import math", "setup"), cell(ANSWER, "squares", solution=True),
             cell(VALUE_ANSWER, "total", solution=True)]
    cells += [cell(source, f"test_{number}", grade=True) for number, source in enumerate(tests)]
    return new_notebook(cells=cells)


@pytest.mark.parametrize(("source", "why"), [
    ("assert squares(2) == [1, 4]", "uses squares, which the answer cells define as functions"),
    ("f = squares\nassert f(1) == [1]", "uses squares"),
    ("orig = total\ndel total\ntotal = orig", "deletes the learner's total"),
    ("import inspect\nassert 'sum' in inspect.getsource(total)", "inspects code or namespaces"),
    ("assert 'total' in globals()", "inspects code or namespaces"),
    ("assert total.__code__", "inspects code or namespaces"),
    ("import matplotlib.pyplot as plt\nassert plt.gcf().axes", "draws or reads plots"),
])
def test_a_test_the_clean_room_cannot_run_is_named_with_why(source, why):
    plan = build_plan("a", "nb", notebook(source), {}, {})
    assert [(cell_id, why in reason) for cell_id, reason in plan.problems] == [("test_0", True)]


@pytest.mark.parametrize("source", [
    "assert total == 385",
    "assert math.isclose(total, 385)",
    "squared = [n ** 2 for n in range(3)]\nassert squared[total % 3] >= 0",
    "total = round(total)\nassert total == 385",
])
def test_a_test_of_values_is_not_a_problem(source):
    assert build_plan("a", "nb", notebook(source), {}, {}).problems == ()


def test_only_the_learners_names_count():
    """A test's own function, or a setup name, is the clean room's: not a learner function."""
    assert clean_room_problem("def helper(x):\n    return x\nassert helper(total)", ("total",), {"squares"}) is None
    assert clean_room_problem("del math", (), {"squares"}) is None


def test_a_declared_cell_runs_in_full_in_the_learner_kernel_and_binds_there():
    source = notebook("orig = squares\n### BEGIN HIDDEN TESTS\nassert squares(3) == [1, 4, 9]\n"
                      "### END HIDDEN TESTS", "assert orig is not None and total == 385")
    plan = build_plan("a", "nb", source, {}, {}, learner_kernel=frozenset({"test_0"}))
    declared, later = plan.cells[-2:]
    assert plan.problems == ()
    assert declared.in_learner_kernel and [c.id for c in plan.clean_cells] == [c.id for c in plan.cells
                                                                                if c.id != "test_0"]
    assert "orig" in later.needs, "a name a declared cell binds lives in the learner's kernel"
    steps = [(step.kind, step.label, step.cell.source) for step in build_steps(source, plan)
             if step.trusted is not None and step.trusted.test]
    assert (KERNEL_TEST, "test_0", declared.source) in steps and "HIDDEN" in declared.source
    assert not any(kind in (SNAPSHOT, VISIBLE_TEST) and label == "test_0" for kind, label, _ in steps)
    assert (VISIBLE_TEST, "test_1", later.visible_source) in steps
