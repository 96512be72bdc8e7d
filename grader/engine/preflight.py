"""Before grading: read every submission once, check its structure, and stage what can be graded.

Nothing in ``submitted/`` is modified. Each learner's folder is copied to a staging folder
that nbgrader then grades from; a notebook whose saved outputs make it huge is staged with
its outputs removed (grading re-runs every cell anyway). A file that is not a notebook, is
cut off, or belongs to another assignment is not graded, with the reason; so is a
submission with none of its notebooks (of several, a missing one scores 0, as in
nbgrader), and one over ``grader.intake``'s size or cell-count bounds, which are checked
before the file is parsed, so no learner costs the grader more than that.
The structural check (``cxacademy.integrity``, the same one learners can run) is recorded
for every learner.
"""

from __future__ import annotations

import copy
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from cxacademy.integrity import MANIFEST_KEY, REJECT, TAMPER, compare, manifest
from grader.course import Course, GradingError
from grader.engine.outcome import NOT_GRADED, Outcome
from grader.intake import notebook_problem, size_problem

STRIP_OUTPUTS_ABOVE = 20 << 20


@dataclass(frozen=True)
class Task:
    """One learner to grade, with the flags and notes preflight already raised."""

    learner: str
    flags: tuple[tuple[str | None, str], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class Staged:
    """A learner after preflight: a task to grade, or an outcome that says why not."""

    outcome: Outcome
    task: Task | None


def released_notebooks(course: Course, assignment: str, notebooks: list[str]) -> dict[str, NotebookNode]:
    """Every released notebook of the assignment: what submissions are compared with and repaired from."""
    folder = course.step_dir(course.coursedir.release_directory, assignment)
    released = {}
    for name in notebooks:
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            raise GradingError(f"There is no released {path}: release the assignment (cx-grader release "
                               f"{assignment}) before grading it.")
        released[name] = nbformat.read(path, as_version=4)
    return released


def stamp_release(course: Course, assignment: str) -> list[Path]:
    """Write each released notebook's manifest into its metadata, so learners can run the same check.

    Call it right after releasing: ``cxacademy.integrity.check()`` in a learner's notebook
    compares against this stamp.
    """
    folder = course.step_dir(course.coursedir.release_directory, assignment)
    stamped = []
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        notebook.metadata[MANIFEST_KEY] = manifest(notebook, assignment, path.stem)
        nbformat.write(notebook, str(path))
        stamped.append(path)
    return stamped


def repair(notebook: NotebookNode, released: NotebookNode) -> None:
    """Undo structural changes before nbgrader sees the notebook, from the release.

    Every released nbgrader cell ends up present once, with its released type and
    metadata (later duplicates become ordinary cells), in its released place relative to
    its neighbours. nbgrader's own OverwriteCells then restores the sources of locked and
    test cells from the gradebook. Doing it here, rather than relying on nbgrader's
    ``add_missing_cells``, also covers the cases where nbgrader gives up (a deleted cell
    whose predecessor was deleted too, a test un-marked as a test, duplicated ids).
    """
    originals = {_grade_id(cell): cell for cell in released.cells if _grade_id(cell)}
    seen: set[str] = set()
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id in seen or (grade_id and grade_id not in originals):
            cell.metadata.pop("nbgrader", None)
        elif grade_id:
            seen.add(grade_id)
            _restore_cell(cell, originals[grade_id])
    _restore_missing(notebook, released, seen)


def _restore_cell(cell: NotebookNode, original: NotebookNode) -> None:
    cell.metadata = copy.deepcopy(original.metadata)
    if cell.cell_type == original.cell_type:
        return
    cell.cell_type = original.cell_type
    if original.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _restore_missing(notebook: NotebookNode, released: NotebookNode, present: set[str]) -> None:
    """Re-insert deleted released cells, each right after the released cell it followed."""
    for position, cell in enumerate(released.cells):
        grade_id = _grade_id(cell)
        if not grade_id or grade_id in present:
            continue
        anchor = next((_grade_id(before) for before in reversed(released.cells[:position])
                       if _grade_id(before) in present), None)
        index = 0 if anchor is None else 1 + next(i for i, c in enumerate(notebook.cells) if _grade_id(c) == anchor)
        notebook.cells.insert(index, copy.deepcopy(cell))
        present.add(grade_id)


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def stage(course: Course, assignment: str, learner: str, released: dict[str, NotebookNode],
          staged_dir: Path) -> Staged:
    """Check one learner's submission and copy it, repaired, into ``staged_dir`` if it can be graded."""
    outcome = Outcome(learner, NOT_GRADED)
    folder = course.step_dir(course.coursedir.submitted_directory, assignment, learner)
    prepared = {}
    for name, original in released.items():
        if len(released) > 1 and not (folder / f"{name}.ipynb").is_file():
            outcome.notes.append(f"{name}.ipynb was not submitted: it scores 0, as in nbgrader")
            continue
        notebook, reason = _read(folder / f"{name}.ipynb", outcome)
        if notebook is not None:
            findings = compare(manifest(original, assignment, name), notebook)
            outcome.findings += [finding.as_dict() for finding in findings]
            rejected = [finding.message for finding in findings if finding.severity == REJECT]
            reason = rejected[0] if rejected else None
        if reason:
            outcome.reasons.append(f"{name}.ipynb {reason}" if notebook is None else reason)
        else:
            repair(notebook, original)
            prepared[name] = notebook
    if not outcome.reasons and not prepared:
        outcome.reasons.append("none of the assignment's notebooks was submitted")
    if outcome.reasons:
        return Staged(outcome, None)
    _copy(folder, staged_dir / learner / assignment, prepared)
    flags = tuple((f["cell"], f["message"]) for f in outcome.findings if f["severity"] == TAMPER)
    return Staged(outcome, Task(learner, flags, tuple(outcome.notes)))


def _read(path: Path, outcome: Outcome) -> tuple[NotebookNode | None, str | None]:
    """The notebook at ``path`` (outputs stripped when huge), or why it cannot be graded."""
    if not path.is_file():
        return None, "is missing from the submission: ask the learner to submit it."
    too_large = size_problem(path)
    if too_large:
        return None, f"{too_large}."
    problem = notebook_problem(path)
    if problem:
        return None, f"{problem}: ask the learner to download the notebook again (File → Download) and resubmit."
    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    size = path.stat().st_size
    if size > STRIP_OUTPUTS_ABOVE:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        outcome.notes.append(f"{path.name} was {size >> 20} MB, almost all saved outputs; they were removed "
                             "before grading (grading runs every cell again).")
    return notebook, None


def _copy(source: Path, target: Path, notebooks: dict[str, NotebookNode]) -> None:
    """The submission folder, other files hard-linked where possible, notebooks as read."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, copy_function=_link_or_copy,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    for name, notebook in notebooks.items():
        nbformat.write(notebook, str(target / f"{name}.ipynb"))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
