"""Every lesson figure carries a text description a screen reader can read (cxacademy.plots).

Two halves: ``show`` really writes the description into the saved notebook (alt metadata on
the image and a markdown output under it), and every lesson cell that draws a figure shows it
through ``show`` with a non-empty description instead of ``plt.show()``.
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbclient import NotebookClient

from cxacademy.plots import ALT_KEY
from cxacademy.text import t
from tests_support import committed_notebooks

LESSONS = [path for path in committed_notebooks() if path.startswith("course/")]

#: Calls that draw a matplotlib figure (pyplot, Axes and the pandas ``.plot`` accessor).
DRAWING_CALLS = {"subplots", "figure", "plot", "imshow", "bar", "barh", "scatter", "errorbar", "hist",
                 "plot_importance_performance"}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _draws(tree: ast.AST) -> bool:
    return any(
        (isinstance(node, ast.Call) and _called_name(node) in DRAWING_CALLS)
        or (isinstance(node, ast.Attribute) and node.attr == "plot")
        for node in ast.walk(tree)
    )


def _is_plt_show(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "show" and getattr(func.value, "id", "") == "plt"


def _is_written_text(node: ast.AST | None) -> bool:
    """A non-blank string literal, an f-string, or a ``+`` of pieces of which one is such text."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_written_text(node.left) or _is_written_text(node.right)
    return isinstance(node, ast.JoinedStr)


def _described_shows(tree: ast.AST) -> list[ast.Call]:
    """Calls ``show(figure, description)`` whose description is written text."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) == "show" and not _is_plt_show(node)
        and len(node.args) > 1 and _is_written_text(node.args[1])
    ]


def _figure_problems(source: str) -> list[str]:
    """What is wrong with how one code cell shows its figures (empty when nothing is)."""
    tree = ast.parse(source)
    problems = []
    if any(isinstance(node, ast.Call) and _is_plt_show(node) for node in ast.walk(tree)):
        problems.append("calls plt.show(), which shows an image with no description")
    if _draws(tree) and not _described_shows(tree):
        problems.append("draws a figure but never calls show(figure, \"what it shows\")")
    return problems


@pytest.mark.parametrize("path", LESSONS, ids=str)
def test_every_lesson_figure_is_shown_with_a_description(repo, path):
    notebook = nbformat.read(str(repo / path), as_version=4)
    problems = [
        f"cell {index}: {problem}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and not cell.source.lstrip().startswith("%")
        for problem in _figure_problems(cell.source)
    ]
    assert not problems, f"{path}: " + "; ".join(problems)


def test_the_check_catches_an_undescribed_figure():
    assert _figure_problems("fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()")
    assert _figure_problems("series.plot.bar()")
    assert _figure_problems("fig, ax = plt.subplots()\nshow(fig, '  ')")
    assert not _figure_problems("fig, ax = plt.subplots()\nshow(fig, 'Two bars; the left one is taller.')")


def test_show_writes_the_description_into_the_saved_notebook():
    description = "One rising line: sales grow every month."
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from cxacademy.plots import show\n"
        "fig, ax = plt.subplots()\n"
        "ax.plot([1, 2, 3])\n"
        f"show(fig, {description!r})"
    )])
    NotebookClient(notebook, timeout=60, extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    outputs = notebook.cells[0].outputs
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) == 1, "the figure must be shown exactly once"
    assert images[0].metadata["image/png"][ALT_KEY] == description
    after_image = outputs[outputs.index(images[0]) + 1]
    assert after_image.data["text/markdown"] == t("plot.description", description=description)
