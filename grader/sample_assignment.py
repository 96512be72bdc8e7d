"""A minimal nbgrader assignment, for exercising the grading pipeline on its own.

The course's real assignments load datasets and take seconds per notebook; tests of
the tooling (intake, autograde, export, report) need an assignment that grades in a
blink and has every kind of cell the real ones have: an autograded answer with a
visible and a hidden test, and a manually graded written answer.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SOLUTION = "### BEGIN SOLUTION\nanswer = 6 * 7\n### END SOLUTION"
WRITTEN_SOLUTION = "### BEGIN SOLUTION\nBecause the customer said so.\n### END SOLUTION"


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int = 0) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "schema_version": 3, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def sample_notebook() -> nbformat.NotebookNode:
    """The source notebook: one computed answer (two tests) and one written answer."""
    cells = [
        new_markdown_cell("### Q1 · The answer  (3 points)\nStore it in `answer` (int).",
                          metadata=_meta("q1_prompt", grade=False, solution=False, locked=True)),
        new_code_cell(SOLUTION, metadata=_meta("q1_answer", grade=False, solution=True, locked=False)),
        new_code_cell("assert isinstance(answer, int), 'answer must be an int'",
                      metadata=_meta("q1_type", grade=True, solution=False, locked=True, points=1)),
        new_code_cell("### BEGIN HIDDEN TESTS\nassert answer == 42, 'not the answer'\n### END HIDDEN TESTS",
                      metadata=_meta("q1_value", grade=True, solution=False, locked=True, points=2)),
        new_markdown_cell("### Q2 · Why?  (2 points)",
                          metadata=_meta("q2_prompt", grade=False, solution=False, locked=True)),
        new_markdown_cell(WRITTEN_SOLUTION,
                          metadata=_meta("q2_written", grade=True, solution=True, locked=False, points=2)),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_sample_assignment(source_dir: Path, assignment: str = "sample") -> Path:
    """Write ``source_dir/<assignment>/<assignment>.ipynb`` and return the assignment folder."""
    folder = Path(source_dir) / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(sample_notebook(), folder / f"{assignment}.ipynb")
    return folder
