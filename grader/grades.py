"""Where each learner stands on an assignment: one row per learner, for export and report.

nbgrader's gradebook knows scores; it does not know who submitted nothing, whose
notebook was cut off, or whose autograde crashed. This module joins the gradebook
with intake's record and the autograde record, so every learner of the cohort
appears once with a status a person can act on.

An assignment of several notebooks (nbgrader's own ``ps1`` has two) is reported as nbgrader's
formgrader shows it: the assignment's total, then each notebook's total and maximum
(``problem1.ipynb total``, ``problem1.ipynb max``), and names a cell after its notebook
(``problem1/squares``). A one-notebook assignment gets no such columns or prefixes: they
would only repeat ``total``, ``max`` and the assignment's name.

Learner ids, intake's notes and autograde's messages quote what learners handed in, so
the CSV export passes every cell through ``grader.safe_text.spreadsheet_cell``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cxacademy.competencies import question_of
from grader.course import AUTOGRADED, Course, StepResult
from grader.intake import AMBIGUOUS, BAD_NAME, MALFORMED, NOTHING, IntakeOutcome, load_intake
from grader.safe_text import spreadsheet_cell

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
AUTOGRADE_FAILED = "autograde failed"
NOT_AUTOGRADED = "not autograded yet"
NOT_GRADED = {
    MALFORMED: "not graded: malformed notebook",
    AMBIGUOUS: "not graded: which notebook is unclear",
    BAD_NAME: "not graded: folder name is not a learner id",
    NOTHING: "submitted nothing",
}
AUTOGRADE_FILE = "autograde.json"
FIXED_COLUMNS = ["assignment", "learner", "status", "total", "max", "notes"]


def save_autograde(course: Course, assignment: str, results: list[StepResult]) -> Path:
    """Record autograde outcomes (and which submission each graded), keeping other learners'."""
    path = course.reports_dir(assignment) / AUTOGRADE_FILE
    records = _read_json(path)
    for result in results:
        records[result.learner] = {"ok": result.ok, "message": result.message,
                                   "submission": _submission_stamp(course, assignment, result.learner)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(records.items())), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def up_to_date(course: Course, assignment: str) -> set[str]:
    """Learners whose current submission was autograded successfully: grading them again gains nothing.

    Regrading is not free either: nbgrader's forced autograde keeps manual scores
    but flags every written answer for manual grading again (FACTS.md).
    """
    records = _read_json(course.reports_dir(assignment) / AUTOGRADE_FILE)
    return {learner for learner, record in records.items()
            if record["ok"] and record.get("submission") == _submission_stamp(course, assignment, learner)
            and course.step_dir(course.coursedir.autograded_directory, assignment, learner).is_dir()}


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _submission_stamp(course: Course, assignment: str, learner: str) -> str | None:
    stamp = course.step_dir(course.coursedir.submitted_directory, assignment, learner) / "timestamp.txt"
    return stamp.read_text().strip() if stamp.is_file() else None


def question_labels(frame: pd.DataFrame, several_notebooks: bool = False) -> pd.Series:
    """The question of each graded cell of a cells or scores frame, after its notebook when there are several
    (two notebooks may both have a ``q1``)."""
    if not several_notebooks:
        return frame["cell"].map(question_of)
    labels = [cell_label(notebook, question_of(cell), True) for notebook, cell in zip(frame["notebook"], frame["cell"])]
    return pd.Series(labels, index=frame.index, dtype=object)


def questions(cells: pd.DataFrame, several_notebooks: bool = False) -> list[str]:
    """The assignment's questions in notebook order."""
    return list(dict.fromkeys(question_labels(cells, several_notebooks)))


def question_scores(scores: pd.DataFrame, several_notebooks: bool = False) -> pd.DataFrame:
    """Learner × question points; a question still waiting for a manual grade is left empty, not 0."""
    frame = scores.assign(question=question_labels(scores, several_notebooks),
                          score=scores["score"].where(~scores["needs_manual_grade"].astype(bool)))
    return frame.pivot_table(index="learner", columns="question", values="score",
                             aggfunc=lambda points: points.sum(min_count=len(points)), dropna=False)


def notebook_names(cells: pd.DataFrame) -> list[str]:
    """The assignment's notebooks, in notebook order."""
    return list(dict.fromkeys(cells["notebook"]))


def notebook_columns(cells: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """notebook → its (total, max) column names; none for a one-notebook assignment."""
    names = notebook_names(cells)
    return {name: (f"{name}.ipynb total", f"{name}.ipynb max") for name in names} if len(names) > 1 else {}


def cell_label(notebook: str, cell: str, several_notebooks: bool) -> str:
    """A graded cell as people find it: its grade id, after its notebook (``problem1/squares``) when the
    assignment has several, since nbgrader keeps grade ids unique within a notebook only."""
    return f"{notebook}/{cell}" if several_notebooks else cell


def score_text(total: float | None, maximum: float) -> str:
    """A score as people read it, "3.5 / 6", or "–" when there is none (yet)."""
    return "–" if total is None or total != total else f"{total:g} / {maximum:g}"


def score_summary(row: pd.Series, columns: dict[str, tuple[str, str]]) -> str:
    """A learner's score: the assignment's, then each notebook's when there are several."""
    overall = score_text(row["total"], row["max"])
    if not columns or overall == "–":
        return overall
    parts = ", ".join(f"{name}.ipynb {score_text(row[total], row[maximum])}"
                      for name, (total, maximum) in columns.items())
    return f"{overall} ({parts})"


def learner_table(course: Course, assignment: str) -> pd.DataFrame:
    """One row per learner: status, total, max, notes, each notebook's total and max when there are
    several, then one column per question."""
    cells = course.grade_cells(assignment)
    scores = course.scores(assignment)
    intake = {outcome.learner: outcome for outcome in load_intake(course, assignment)}
    autograde = _read_json(course.reports_dir(assignment) / AUTOGRADE_FILE)
    learners = sorted(set(intake) | set(course.submitted_learners(assignment)) | set(scores["learner"]))
    several = len(notebook_names(cells)) > 1
    per_question = question_scores(scores, several).reindex(index=learners, columns=questions(cells, several))
    maximum = float(cells["max_score"].sum())
    rows = [_row(course, assignment, learner, intake.get(learner), autograde.get(learner),
                 scores[scores["learner"] == learner], maximum) for learner in learners]
    table = pd.DataFrame(rows, columns=FIXED_COLUMNS)
    per_notebook = _notebook_totals(cells, scores, table)
    return pd.concat([table, per_notebook, per_question.reset_index(drop=True)], axis=1)


def _notebook_totals(cells: pd.DataFrame, scores: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Each notebook's total (empty unless the learner is graded, like ``total``) and max, per learner."""
    columns = notebook_columns(cells)
    graded = table["status"].isin([GRADED, NEEDS_MANUAL]).to_numpy()
    totals = scores.groupby(["learner", "notebook"])["score"].sum()
    maxima = cells.groupby("notebook")["max_score"].sum()
    detail = {}
    for name, (total, maximum) in columns.items():
        mine = [totals.get((learner, name), 0.0) for learner in table["learner"]]
        detail[total] = pd.Series(mine, dtype=float).where(graded)
        detail[maximum] = float(maxima[name])
    return pd.DataFrame(detail, index=table.index)


def _row(course: Course, assignment: str, learner: str, intake: IntakeOutcome | None,
         autograde: dict | None, scores: pd.DataFrame, maximum: float) -> list:
    status = _status(course, assignment, learner, intake, autograde, scores)
    total = float(scores["score"].sum()) if status in (GRADED, NEEDS_MANUAL) else None
    return [assignment, learner, status, total, maximum, "; ".join(_notes(intake, autograde))]


def _status(course: Course, assignment: str, learner: str, intake: IntakeOutcome | None,
            autograde: dict | None, scores: pd.DataFrame) -> str:
    """The one phrase that says where this learner stands and so what the instructor does next."""
    stamp = _submission_stamp(course, assignment, learner)
    if stamp is None and scores.empty:
        return NOT_GRADED.get(intake.status, intake.status) if intake else "not submitted"
    if autograde is not None and stamp is not None and autograde.get("submission") != stamp:
        return NOT_AUTOGRADED
    if autograde is not None and not autograde["ok"]:
        return AUTOGRADE_FAILED
    if scores.empty:
        return NOT_AUTOGRADED
    return NEEDS_MANUAL if bool(scores["needs_manual_grade"].any()) else GRADED


def _notes(intake: IntakeOutcome | None, autograde: dict | None) -> list[str]:
    """Intake's and autograde's remarks worth a person's attention, in that order."""
    notes = []
    if intake is not None:
        if intake.message_matters:
            notes.append(intake.message)
        notes.extend([*intake.warnings, *intake.notes])
    if autograde is not None and autograde["message"] != AUTOGRADED:
        notes.append(autograde["message"])
    return notes


def export_grades(course: Course, assignments: list[str]) -> list[Path]:
    """Write ``reports/<assignment>/grades.csv`` for each assignment and ``reports/grades.csv`` for all."""
    tables, paths = [], []
    for assignment in assignments:
        table = learner_table(course, assignment)
        path = course.reports_dir(assignment) / "grades.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(table, path)
        tables.append(table)
        paths.append(path)
    combined = course.root / "reports" / "grades.csv"
    _write_csv(pd.concat(tables, ignore_index=True), combined)
    return [combined, *paths]


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """A grades table as CSV that a spreadsheet opens as data: no cell runs as a formula or breaks a row."""
    table.map(spreadsheet_cell).to_csv(path, index=False)
