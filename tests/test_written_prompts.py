"""No graded written item can be answered by copying a lesson's worked example.

A written question that asks about one source record (a review to reply to, a complaint
to handle) declares the cell that shows it, ``[written.<question>] record_cell`` in
``assignments/<assignment>.toml``. Each such record is shown by really running the
assignment's cells up to that one; each lesson of the assignment's module is run too, and
no line of the record may appear in anything a lesson prints.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader import notebooks
from tests_support import REPO, assignments

DISTINCTIVE_CHARS = 40


def _manifest(assignment: str) -> dict:
    return tomllib.loads((REPO / "assignments" / f"{assignment}.toml").read_text(encoding="utf-8"))


def _declared() -> list[tuple[str, str, str]]:
    return [(assignment, question, spec["record_cell"]) for assignment in assignments()
            for question, spec in _manifest(assignment).get("written", {}).items()]


def _printed(notebook: nbformat.NotebookNode) -> str:
    """Everything the executed notebook's code cells printed or displayed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            parts.append(output.get("text", ""))
            parts.append((output.get("data") or {}).get("text/plain", ""))
            parts.append((output.get("data") or {}).get("text/html", ""))
    return "\n".join(parts)


def _execute(notebook: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def _record_lines(assignment: str, record_cell: str) -> list[str]:
    """The distinctive lines the record cell shows, from the instructor's cells up to it."""
    source = notebooks.read(REPO / "assignments" / "source" / assignment / f"{assignment}.ipynb")
    cells = []
    for cell in source.cells:
        if cell.cell_type == "code" and not notebooks.is_answer(cell) and \
                not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cells.append(cell)
        if notebooks.grade_id(cell) == record_cell:
            break
    else:
        pytest.fail(f"{assignment}.toml names record_cell {record_cell!r}, which is not a cell of the notebook")
    shown = _printed(_execute(nbformat.v4.new_notebook(cells=cells), source_folder(assignment)))
    return [line.strip() for line in shown.splitlines() if len(line.strip()) >= DISTINCTIVE_CHARS]


def source_folder(assignment: str) -> Path:
    return REPO / "assignments" / "source" / assignment


def test_the_written_reply_of_m01_declares_its_record():
    assert ("m01_voice_of_customer", "q6", "q6_review") in _declared()


@pytest.mark.notebooks
@pytest.mark.parametrize("assignment, question, record_cell", _declared(),
                         ids=lambda value: str(value))
def test_no_lesson_shows_the_record_a_written_answer_is_about(assignment, question, record_cell):
    lines = _record_lines(assignment, record_cell)
    assert lines, f"{assignment} {record_cell} shows no record text to compare"
    module = REPO / "course" / _manifest(assignment)["module"]
    for lesson in sorted(module.glob("*.ipynb")):
        shown = _printed(_execute(notebooks.read(lesson), module))
        repeated = [line for line in lines if line in shown]
        assert not repeated, (f"{lesson.relative_to(REPO)} shows the record {assignment} {question} asks about "
                              f"({repeated[0][:80]}…): a learner could copy the lesson's worked reply")
