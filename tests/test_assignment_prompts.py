"""Every autograded question tells the learner what its tests accept (issue 9).

A question's prompt states its points, the precision its tests accept and how long a cell
may run. Each of these has its source of truth elsewhere — the test cells' points and
``tolerance=`` arguments, and ``Execute.timeout`` in the course's ``nbgrader_config.py`` —
so the prompt is checked against them: change a tolerance or the time limit and this
test names the prompt that now says something else.
"""

from __future__ import annotations

import ast
import re

import pytest
from traitlets.config.loader import PyFileConfigLoader

from grader import notebooks
from tests_support import REPO, assignments

SOURCE = REPO / "assignments" / "source"


def _cell_timeout() -> int:
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "assignments")).load_config().Execute.timeout


def _tolerances(source: str) -> set[float]:
    """The ``tolerance=`` values a test cell passes to its checks."""
    return {float(ast.literal_eval(keyword.value))
            for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            for keyword in node.keywords if keyword.arg == "tolerance"}


def _questions(assignment: str) -> dict[str, tuple[str, list]]:
    """Autograded question → (its prompt, its test cells)."""
    cells = notebooks.read(SOURCE / assignment / f"{assignment}.ipynb").cells
    prompts = {notebooks.grade_id(c).removesuffix("_prompt"): c.source for c in cells
               if (notebooks.grade_id(c) or "").endswith("_prompt")}
    questions: dict[str, tuple[str, list]] = {}
    for cell in cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            question = notebooks.grade_id(cell).split("_", 1)[0]
            questions.setdefault(question, (prompts[question], []))[1].append(cell)
    return questions


CASES = [(assignment, question) for assignment in assignments() for question in sorted(_questions(assignment))]


@pytest.mark.parametrize(("assignment", "question"), CASES)
def test_the_prompt_states_the_precision_its_tests_accept(assignment, question):
    prompt, tests = _questions(assignment)[question]
    accepted = set().union(*(_tolerances(cell.source) for cell in tests))
    stated = {float(value) for value in re.findall(r"±£?(\d+(?:\.\d+)?)", prompt)}
    assert "*Precision:*" in prompt, f"{assignment} {question}: the prompt does not say what precision passes"
    assert stated == accepted, (
        f"{assignment} {question}: the prompt states ± {sorted(stated)}, its tests accept ± {sorted(accepted)}"
    )


@pytest.mark.parametrize(("assignment", "question"), CASES)
def test_the_prompt_states_the_time_limit_of_a_cell(assignment, question):
    prompt, _ = _questions(assignment)[question]
    stated = re.search(r"\*Time limit:\*[^*]*?(\d+)\s+seconds", prompt)
    assert stated and int(stated.group(1)) == _cell_timeout(), (
        f"{assignment} {question}: the prompt does not state the per-cell time limit of nbgrader_config.py "
        f"({_cell_timeout()} seconds)"
    )


@pytest.mark.parametrize(("assignment", "question"), CASES)
def test_the_prompt_states_the_points_of_its_tests(assignment, question):
    prompt, tests = _questions(assignment)[question]
    points = sum(cell.metadata["nbgrader"]["points"] for cell in tests)
    title = re.search(r"· (\d+) points?", prompt)
    assert title and int(title.group(1)) == points, (
        f"{assignment} {question}: the title promises {title and title.group(1)} points, its tests are worth {points}"
    )
