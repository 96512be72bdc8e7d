"""Learners meet every Python construct in prose before a cell makes them read it.

The course is written for managers, not programmers. So the test walks the course in the order
a learner does — module folders by name, in each the lessons by name, then the module's
assignment as released — and fails when a code cell uses a construct of
``cxacademy.constructs.CONSTRUCTS`` (``lambda``, comprehensions, ``def`` …) before a markdown
cell introduced it with a bullet starting with its name in bold. In an assignment only what the
learner is handed counts: solution regions and hidden tests are removed with nbgrader's own
``ClearSolutions`` and ``ClearHiddenTests``, as ``generate_assignment`` does.

Each module after the orientation also opens with a "Python you will see here" section in its
first lesson, listing exactly the constructs the module's code uses: no construct missing, none
the module does not use.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from cxacademy.constructs import CONSTRUCTS, constructs_in, introduced_in
from tests_support import REPO

SECTION_HEADING = "## Python you will see here"
MODULE_FOLDER = re.compile(r"^(?P<number>\d\d)_")


def modules() -> list[Path]:
    """Module folders of ``course/``, in the order learners take them (``00_…``, ``01_…`` …)."""
    return sorted(path for path in (REPO / "course").iterdir() if path.is_dir() and MODULE_FOLDER.match(path.name))


def module_notebooks(module: Path) -> list[Path]:
    """A module's lessons by name, then its assignment(s): ``assignments/source/mNN_*``."""
    number = MODULE_FOLDER.match(module.name)["number"]
    lessons = sorted(module.glob("*.ipynb"))
    assignments = sorted((REPO / "assignments" / "source").glob(f"m{number}_*/m{number}_*.ipynb"))
    return lessons + assignments


def learner_cells(path: Path) -> list[NotebookNode]:
    """The cells a learner reads: a lesson whole, an assignment as released."""
    notebook = nbformat.read(path, as_version=4)
    if "assignments" in path.relative_to(REPO).parts:
        notebook = released(notebook)
    return notebook.cells


def released(source: NotebookNode) -> NotebookNode:
    """nbgrader's release of a source notebook: solutions replaced by stubs, hidden tests removed."""
    notebook, _ = ClearSolutions().preprocess(copy.deepcopy(source), {})
    notebook, _ = ClearHiddenTests().preprocess(notebook, {})
    return notebook


def early_uses(cells: list[NotebookNode], known: set[str]) -> tuple[list[str], set[str]]:
    """Constructs used before their introduction (cell, line, name), and what is known after these cells."""
    known = set(known)
    problems = []
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            known |= introduced_in(cell.source)
        elif cell.cell_type == "code":
            problems += [f"cell {index} line {line}: {name} ({CONSTRUCTS[name]})"
                         for name, line in sorted(constructs_in(cell.source).items()) if name not in known]
    return problems, known


def walk_course() -> list[tuple[Path, list[str]]]:
    """Every notebook in course order, with the constructs it uses before the course introduced them."""
    known: set[str] = set()
    report = []
    for module in modules():
        for path in module_notebooks(module):
            problems, known = early_uses(learner_cells(path), known)
            report.append((path, problems))
    return report


COURSE_WALK = walk_course()


def used_in_module(module: Path) -> set[str]:
    return {name for path in module_notebooks(module) for cell in learner_cells(path)
            if cell.cell_type == "code" for name in constructs_in(cell.source)}


def python_section(lesson: Path) -> NotebookNode | None:
    cells = nbformat.read(lesson, as_version=4).cells
    return next((cell for cell in cells if cell.cell_type == "markdown" and cell.source.startswith(SECTION_HEADING)),
                None)


def bullets_for(names: set[str]) -> str:
    return "\n".join(f"- **{name}** — {CONSTRUCTS[name]}" for name in sorted(names))


@pytest.mark.parametrize("path, problems", COURSE_WALK, ids=[str(path.relative_to(REPO)) for path, _ in COURSE_WALK])
def test_constructs_are_introduced_before_use(path, problems):
    assert not problems, (
        f"{path.relative_to(REPO)} uses Python the course has not introduced yet:\n  " + "\n  ".join(problems)
        + "\nIntroduce each in course/00_orientation (a markdown bullet starting with its name in bold, "
        "with a tiny example; CONTRIBUTING.md, lesson anatomy) or write the cell in plainer pandas.")


@pytest.mark.parametrize("module", modules()[1:], ids=lambda module: module.name)
def test_module_lists_the_python_it_uses(module):
    first_lesson = sorted(module.glob("*.ipynb"))[0]
    used = used_in_module(module)
    section = python_section(first_lesson)
    assert section is not None, (
        f"{first_lesson.relative_to(REPO)} has no '{SECTION_HEADING}' section (a markdown cell after '## Time'). "
        f"The module's code uses {', '.join(sorted(used)) or 'no listed construct'}; list them:\n{bullets_for(used)}")
    listed = introduced_in(section.source)
    assert listed == used, (
        f"{first_lesson.relative_to(REPO)}: '{SECTION_HEADING}' lists {sorted(listed)}, but the module's code uses "
        f"{sorted(used)}. Add {sorted(used - listed)}; remove {sorted(listed - used)}.")


def test_a_lambda_in_an_early_orientation_cell_is_flagged():
    orientation = learner_cells(module_notebooks(modules()[0])[0])
    position = 1
    lambda_cell = new_code_cell("late = lambda flags: 100 - rate(flags)")
    planted = orientation[:position] + [lambda_cell] + orientation[position:]
    assert early_uses(orientation, set())[0] == []
    problems, _ = early_uses(planted, set())
    assert problems == [f"cell {position} line 1: lambda ({CONSTRUCTS['lambda']})"]


SAMPLES = {
    "def": "def late(flags):\n    return 1",
    "type hint": "share: float = 0.5",
    "lambda": "frame.agg(lambda column: column.max())",
    "list comprehension": "[name.upper() for name in names]",
    "dict comprehension": "{name: len(name) for name in names}",
    "set comprehension": "{name.lower() for name in names}",
    "generator expression": "', '.join(name for name in names)",
    "unpacking": "frame[['a', *names]]",
    "f-string": "f'{share:.1f} %'",
    "with": "with open('file') as handle:\n    pass",
    "try": "try:\n    x = 1\nexcept ValueError:\n    pass",
    "class": "class Team:\n    pass",
    "decorator": "@cache\ndef load():\n    return 1",
    "walrus": "if (n := len(names)) > 3:\n    pass",
    "conditional expression": "'high' if share > 0.5 else 'low'",
}


def test_every_construct_has_a_sample():
    assert SAMPLES.keys() == CONSTRUCTS.keys()


@pytest.mark.parametrize("name, source", SAMPLES.items(), ids=list(SAMPLES))
def test_each_construct_is_found(name, source):
    assert name in constructs_in(source)


@pytest.mark.parametrize("source, expected", [
    ("def share(count: int, total: int) -> float:\n    return count / total", {"def", "type hint"}),
    ("report(**options)", {"unpacking"}),
    ("merged = {**defaults, **overrides}", {"unpacking"}),
    ("def collect(*values):\n    return values", {"def", "unpacking"}),
    ("%matplotlib inline\nrate(complaints['timely_response'])", set()),
    ("complaints.groupby('product')['timely_response'].agg(rate)", set()),
    ("this is not python (", set()),
])
def test_constructs_in_reads_whole_cells(source, expected):
    assert set(constructs_in(source)) == expected


@pytest.mark.parametrize("markdown, expected", [
    ("- **lambda** — a one-line function", {"lambda"}),
    ("Intro\n\n* **List comprehension** — a list\n- **f-string** — text", {"list comprehension", "f-string"}),
    ("A **lambda** mentioned in a sentence introduces nothing.", set()),
    ("- **Out-of-order cells.** Restart the kernel.", set()),
    ("- uses a **lambda** later in the bullet", set()),
])
def test_introduced_in_reads_only_bold_bullet_markers(markdown, expected):
    assert introduced_in(markdown) == expected


def test_released_assignment_hides_solutions_and_hidden_tests():
    solution = new_code_cell("### BEGIN SOLUTION\nanswer = max(len(name) for name in names)\n### END SOLUTION",
                             metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "q1"}})
    test = new_code_cell("expect(answer, 3)\n### BEGIN HIDDEN TESTS\nexpect(answer, [n for n in names][0])\n"
                         "### END HIDDEN TESTS\nprint(f'{answer} checked')",
                         metadata={"nbgrader": {"solution": False, "grade": True, "grade_id": "t1", "points": 1,
                                                "locked": True}})
    source = new_notebook(cells=[new_markdown_cell("# Q1"), solution, test])
    used = [set(constructs_in(cell.source)) for cell in released(source).cells if cell.cell_type == "code"]
    assert used == [set(), {"f-string"}]
