"""Feedback that shows why a hidden test failed, never the hidden test itself.

nbgrader writes feedback from the autograded notebook, where every test cell holds its
full source again — hidden tests included — and failures carry tracebacks that quote it.
``HideHiddenTests`` runs in nbgrader's GenerateFeedback pipeline: in each graded cell
with a hidden region it removes that region (nbgrader's own ClearHiddenTests logic),
keeps the visible part, and reduces the outputs to the failure message alone
(``AssertionError: `x` should be indexed by …``). Enable it in ``nbgrader_config.py``::

    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "grader.engine.feedback.HideHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]

so that every way of generating feedback (``cx-grader feedback``, the formgrader) uses it.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

PLACEHOLDER = "# Hidden tests ran here; if one failed, its message is below."


class HideHiddenTests(ClearHiddenTests):
    """Strip hidden test source and tracebacks from feedback; keep each failure's message."""

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type != "code" or not utils.is_grade(cell) or not self._remove_hidden_test_region(cell):
            return cell, resources
        cell.source = "\n".join(part for part in (cell.source.rstrip(), PLACEHOLDER) if part)
        cell.outputs = [_message_only(output) for output in cell.outputs if output.output_type == "error"]
        return cell, resources


def _message_only(error: NotebookNode) -> NotebookNode:
    line = f"{error.ename}: {error.evalue}" if error.evalue else error.ename
    return new_output("error", ename=error.ename, evalue=error.evalue, traceback=[line])
