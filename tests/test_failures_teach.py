"""A failing check in an assignment reads like a lesson check: the sentence, no traceback into the package.

The learner meets a failing test in three places — the notebook itself, JupyterLab's
Validate, and nbgrader's feedback — and each shows what the kernel's error output holds.
These tests run real kernels (nbclient) and nbgrader's own Validator on the released m01
assignment with a typical wrong answer, and look at what the learner would read.
"""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.validator import Validator

from cxacademy.checks import judge
from cxacademy.text import t
from grader import notebooks
from grader.course import Course
from grader.prove import load_wrong_answers, wrong_answers_file
from tests_support import REPO

PACKAGE_MARKERS = ("cxacademy/", "checks.py", "Traceback", "File \"")


def _error_outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [out for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def _run(cells: list[str]) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3").execute()
    return notebook


@pytest.mark.parametrize("failing", [
    'expect("share", 0.5, 50.0, tolerance=0.05)',
    'expect_type("answer", "41", int)',
    'expect_between("rate", 140.0, 0, 100)',
    'expect_index("ranked", [1, 2], ["a", "b"])',
    'expect("by_company", pd.Series(dtype=float), pd.Series({"A": 1.0}))',
    'require(1 > 2, "`ranked` must be sorted from highest to lowest.")',
])
def test_a_failing_check_in_a_kernel_shows_only_its_sentence(failing):
    notebook = _run(["import pandas as pd\nfrom cxacademy.checks import expect, expect_between, expect_index, "
                     "expect_type, require", failing])
    [error] = _error_outputs(notebook)
    shown = "\n".join(error["traceback"])
    assert shown.startswith("❌ Not yet:"), shown
    assert not any(marker in shown for marker in PACKAGE_MARKERS), shown
    assert error["ename"] == "CheckFailed"


def test_an_empty_answer_is_not_yet_even_against_an_empty_expectation():
    from cxacademy.checks import judge
    import pandas as pd

    verdict = judge("by_company", pd.Series(dtype=float), pd.Series(dtype=float))
    assert not verdict.passed
    assert "nothing in it" in verdict.message


@pytest.mark.nbgrader
def test_validate_on_a_wrong_m01_answer_shows_sentences_not_tracebacks(tmp_path):
    assignment = "m01_voice_of_customer"
    source = REPO / "assignments" / "source"
    course = Course.create(tmp_path / "course", source, [assignment])
    released = notebooks.read(course.release(assignment) / f"{assignment}.ipynb")
    wrong = next(w for w in load_wrong_answers(wrong_answers_file(source, assignment)) if w.cell == "q2_answer")
    solution = notebooks.solutions(notebooks.read(source / assignment / f"{assignment}.ipynb"))
    answered = notebooks.fill_answers(released, {**solution, wrong.cell: wrong.code})
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(answered, str(path))
    result = Validator(config=course.config).validate(str(path))
    failed = result.get("failed", [])
    assert failed, f"the wrong answer {wrong.name!r} should fail a visible test: {json.dumps(result)[:500]}"
    for cell in failed:
        shown = cell.get("error", "")
        assert "Not yet" in shown, shown
        assert not any(marker in shown for marker in PACKAGE_MARKERS), shown


@pytest.mark.parametrize("answer, expected", [
    (57.0, 57.123),
    (82.0, 82.4),
    (pd.Series({"A": 82.0, "B": 74.0}), pd.Series({"A": 82.236, "B": 73.912})),
])
def test_a_right_value_rounded_too_coarsely_is_told_so_not_called_a_wrong_method(answer, expected):
    verdict = judge("rate", answer, expected, tolerance=0.05)
    assert not verdict.passed
    assert verdict.message == t("check.rounded", name="rate", tolerance=0.05)


@pytest.mark.parametrize("answer", [57.12, 60.0, 57.6])
def test_close_enough_or_really_wrong_values_are_not_called_rounding(answer):
    verdict = judge("rate", answer, 57.123, tolerance=0.05)
    assert verdict.message != t("check.rounded", name="rate", tolerance=0.05)
