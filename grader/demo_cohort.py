"""Build a demo cohort's submissions from a declarative answers file.

The demo cohort shows an instructor every way a real cohort's hand-in goes right and
wrong: a full solution, typical mistakes, a blank notebook, code that raises or never
ends, a cut-off file, a renamed file, an empty folder, a learner who sent nothing.
Its notebooks are built from the *released* assignment, with each learner's answers
written into the answer cells (keyed by nbgrader grade_id), so that when the
assignment changes, ``cx-grader build-demo-cohort ASSIGNMENT`` rebuilds them and
the answers file is the only thing a person edits.

The answers file, ``demo_cohort/<assignment>.toml``::

    roster = ["amira", "jo"]          # learners on the course list (roster.csv)
    [learners.amira]                  # one folder per table
    about = "the full solution"       # what this learner shows
    solutions = "all"                 # start from the source solution in every answer cell
    answers = { q2_answer = "..." }   # grade_id → what the learner wrote there
    file = "renamed.ipynb"            # notebook file name (default: <assignment>.ipynb)
    form = "notebook"                 # or "truncated" (JSON cut off) or "empty" (empty folder)
"""

from __future__ import annotations

import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader import notebooks
from grader.course import DEFAULT_COURSE_DIR, Course, GradingError

FORMS = ("notebook", "truncated", "empty")
KEEP_FILE = ".gitkeep"
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", flags=re.MULTILINE)


def build_cohort(assignment: str, answers_file: Path, cohort_dir: Path,
                 source_dir: Path = DEFAULT_COURSE_DIR / "source") -> Path:
    """(Re)write ``cohort_dir`` — a folder per learner and ``roster.csv`` — from ``answers_file``."""
    spec = _read_spec(answers_file)
    with tempfile.TemporaryDirectory(prefix="cx-cohort-") as temp:
        course = Course.create(Path(temp) / "course", source_dir, [assignment])
        released = notebooks.read(course.release(assignment) / f"{assignment}.ipynb")
        source = notebooks.read(Path(source_dir) / assignment / f"{assignment}.ipynb")
        staging = Path(temp) / "cohort"
        for learner, entry in spec["learners"].items():
            _write_learner(staging / learner, assignment, _notebook(released, source, learner, entry), entry)
        staging.mkdir(exist_ok=True)
        roster = "\n".join(["learner", *spec.get("roster", [])]) + "\n"
        (staging / "roster.csv").write_text(roster, encoding="utf-8")
        if cohort_dir.exists():
            shutil.rmtree(cohort_dir)
        shutil.copytree(staging, cohort_dir)
    return cohort_dir


def _read_spec(path: Path) -> dict:
    if not path.is_file():
        raise GradingError(f"No demo cohort answers file at {path}: write one (see grader/demo_cohort.py) "
                           "before building the cohort.")
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    if not spec.get("learners"):
        raise GradingError(f"{path} declares no [learners.<id>] tables: add at least one.")
    for learner, entry in spec["learners"].items():
        if entry.get("form", "notebook") not in FORMS:
            raise GradingError(f"{path}: learner '{learner}' has form '{entry['form']}'; "
                               f"use one of {', '.join(FORMS)}.")
    return spec


def solutions(source: NotebookNode) -> dict[str, str]:
    """The instructor's answer for every answer cell, code and written, without solution markers."""
    written = {notebooks.grade_id(cell): _MARKERS.sub("", cell.source).strip()
               for cell in source.cells
               if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")}
    return {**written, **notebooks.solution_code(source)}


def _notebook(released: NotebookNode, source: NotebookNode, learner: str, entry: dict) -> NotebookNode:
    """The released notebook with this learner's answers written in."""
    answers = dict(solutions(source)) if entry.get("solutions") == "all" else {}
    answers.update({cell: text.strip() for cell, text in entry.get("answers", {}).items()})
    try:
        notebook = notebooks.fill_answers(released, answers)
    except KeyError as error:
        raise GradingError(f"Demo learner '{learner}': {error.args[0]}. The assignment changed: "
                           "update the grade_ids in the answers file and build again.") from error
    notebooks.strip_outputs(notebook)
    return notebook


def _write_learner(folder: Path, assignment: str, notebook: NotebookNode, entry: dict) -> None:
    """Write one learner's folder in the form the answers file asks for."""
    folder.mkdir(parents=True)
    form = entry.get("form", "notebook")
    if form == "empty":
        # git keeps no empty folders; intake ignores hidden files, so this still reads as empty.
        (folder / KEEP_FILE).touch()
        return
    text = nbformat.writes(notebook) + "\n"
    if form == "truncated":
        text = text[: len(text) // 2]
    (folder / entry.get("file", f"{assignment}.ipynb")).write_text(text, encoding="utf-8")
