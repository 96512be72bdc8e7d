"""Notebook surgery the grader needs: find nbgrader cells, fill answers, strip outputs.

Used to build learner notebooks from a released assignment (the demo cohort and the
wrong answers that prove an assignment's tests) and to keep committed notebooks clean.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

_SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", flags=re.MULTILINE)


def read(path: Path) -> NotebookNode:
    """Read a notebook as nbformat 4."""
    return nbformat.read(str(path), as_version=4)


def grade_id(cell: NotebookNode) -> str | None:
    """The nbgrader id of a cell, or None for an ordinary cell."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_answer(cell: NotebookNode) -> bool:
    """Any cell the learner writes in: autograded code or a manually graded written answer."""
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def is_autograded_answer(cell: NotebookNode) -> bool:
    """A code cell where the learner writes an answer that tests will check."""
    info = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and info.get("solution", False) and not info.get("grade", False)


def solutions(source: NotebookNode) -> dict[str, str]:
    """The instructor's answer for every answer cell, code and written, without solution markers."""
    return {
        grade_id(cell): _SOLUTION_MARKERS.sub("", cell.source).strip()
        for cell in source.cells
        if is_answer(cell)
    }


def fill_answers(released: NotebookNode, answers: Mapping[str, str]) -> NotebookNode:
    """A copy of a released notebook with the given answer cells written in, as a learner would."""
    filled = copy.deepcopy(released)
    unknown = set(answers) - {grade_id(cell) for cell in filled.cells}
    if unknown:
        raise KeyError(f"No answer cell with grade_id {sorted(unknown)} in this notebook")
    for cell in filled.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return filled


def strip_outputs(notebook: NotebookNode) -> bool:
    """Remove outputs and execution counts in place; return whether anything changed."""
    changed = False
    for cell in notebook.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count, changed = [], None, True
    return changed


def strip_tree(folders: Iterable[Path]) -> list[Path]:
    """Strip every notebook under the folders; return the files that were rewritten."""
    rewritten = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            notebook = read(path)
            if strip_outputs(notebook):
                nbformat.write(notebook, str(path))
                rewritten.append(path)
    return rewritten


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "strip":
        sys.exit("usage: python -m grader.notebooks strip FOLDER...")
    for path in strip_tree(Path(arg) for arg in sys.argv[2:]):
        print(f"stripped outputs: {path}")
