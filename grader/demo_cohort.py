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
    wrong_answers = ["rates_as_shares"]  # typical mistakes, by name from assignments/wrong_answers/
    answers = { q2_answer = "..." }   # grade_id → what the learner wrote there
    file = "renamed.ipynb"            # notebook file name (default: <assignment>.ipynb)
    form = "notebook"                 # or "truncated" (JSON cut off) or "empty" (empty folder)
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader import notebooks
from grader.course import DEFAULT_COURSE_DIR, Course, GradingError
from grader.prove import WrongAnswer, load_wrong_answers, wrong_answers_file

FORMS = ("notebook", "truncated", "empty")
KEEP_FILE = ".gitkeep"


def build_cohort(assignment: str, answers_file: Path, cohort_dir: Path,
                 source_dir: Path = DEFAULT_COURSE_DIR / "source") -> Path:
    """(Re)write ``cohort_dir`` — a folder per learner and ``roster.csv`` — from ``answers_file``."""
    spec = _read_spec(answers_file)
    with tempfile.TemporaryDirectory(prefix="cx-cohort-") as temp:
        course = Course.create(Path(temp) / "course", source_dir, [assignment])
        released = notebooks.read(course.release(assignment) / f"{assignment}.ipynb")
        source = notebooks.read(Path(source_dir) / assignment / f"{assignment}.ipynb")
        wrong = _wrong_answers(Path(source_dir), assignment)
        staging = Path(temp) / "cohort"
        for learner, entry in spec["learners"].items():
            _write_learner(staging / learner, assignment, _notebook(released, source, wrong, learner, entry), entry)
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


def _wrong_answers(source_dir: Path, assignment: str) -> dict[str, WrongAnswer]:
    """The assignment's declared wrong answers by name (none yet for a brand-new assignment)."""
    path = wrong_answers_file(source_dir, assignment)
    return {w.name: w for w in load_wrong_answers(path)} if path.is_file() else {}


def _named_mistakes(wrong: dict[str, WrongAnswer], entry: dict, learner: str) -> list[WrongAnswer]:
    """The typical wrong answers a learner makes, looked up by name in the assignment's wrong answers."""
    unknown = [name for name in entry.get("wrong_answers", []) if name not in wrong]
    if unknown:
        raise GradingError(f"Demo learner '{learner}' names wrong answers {unknown} that are not in "
                           f"assignments/wrong_answers/: known ones are {sorted(wrong)}.")
    return [wrong[name] for name in entry.get("wrong_answers", [])]


def _notebook(released: NotebookNode, source: NotebookNode, wrong: dict[str, WrongAnswer],
              learner: str, entry: dict) -> NotebookNode:
    """The released notebook with this learner's answers written in."""
    answers = dict(notebooks.solutions(source)) if entry.get("solutions") == "all" else {}
    answers.update({answer.cell: answer.code for answer in _named_mistakes(wrong, entry, learner)})
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
