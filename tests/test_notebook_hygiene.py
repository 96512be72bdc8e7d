"""Committed notebooks are clean, valid nbformat, and nbgrader ids are unique."""

from __future__ import annotations

import subprocess
from collections import Counter

import nbformat
import pytest

from tests_support import committed_notebooks

NOTEBOOKS = committed_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_notebook_is_valid_and_clean(repo, path):
    notebook = nbformat.read(str(repo / path), as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path} cell {index} was committed with outputs"
            assert cell.execution_count is None, f"{path} cell {index} was committed with an execution count"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.startswith("assignments/source/")], ids=str)
def test_grade_ids_are_unique(repo, path):
    notebook = nbformat.read(str(repo / path), as_version=4)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata]
    duplicates = [grade_id for grade_id, count in Counter(ids).items() if count > 1]
    assert not duplicates, f"{path} repeats grade ids {duplicates}"


def test_there_are_notebooks_to_check():
    assert any(p.startswith("course/") for p in NOTEBOOKS)
    assert any(p.startswith("assignments/source/") for p in NOTEBOOKS)
