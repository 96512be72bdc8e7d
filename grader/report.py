"""A one-file HTML report on a cohort's assignment, for the instructor.

It answers the questions asked after grading: which questions went badly, which
checks failed most and with what message (so the next cohort gets a better hint),
who stands where, whose submission never made it to the grader, and which checks and
questions measure well (``grader.item_analysis``, also written as ``item_analysis.csv``).
One file with the plots embedded, so it can be mailed or attached to an LMS as is.

Much of it quotes learners (their ids, exception messages, file names), so the template is
rendered with autoescape on for every template, whatever its file name, and every value
it prints passes through ``grader.safe_text.one_line`` first: learner text can neither
add markup to the page nor hide in control characters.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grader.course import Course
from grader.grades import (GRADED, NEEDS_MANUAL, cell_label, learner_table, notebook_columns, question_of,
                           questions, score_text)
from grader.intake import load_intake
from grader.item_analysis import save_item_analysis
from grader.safe_text import one_line

BAND_COLOURS = {"full marks": "#2e7d32", "partial": "#f9a825", "zero": "#c62828",
                "awaiting manual grade": "#9e9e9e"}
MESSAGE_CHARS = 300
MESSAGES_PER_CHECK = 3


def write_report(course: Course, assignment: str) -> Path:
    """Render ``reports/<assignment>/report.html`` and return its path."""
    table = learner_table(course, assignment)
    graded = table[table["status"].isin([GRADED, NEEDS_MANUAL])]
    scores = course.scores(assignment)
    scores = scores[scores["learner"].isin(graded["learner"])]
    columns = notebook_columns(course.grade_cells(assignment))
    html = _environment().get_template("report.html.j2").render(
        assignment=assignment,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        counts=table["status"].value_counts().to_dict(),
        learners=len(table),
        question_plot=_png(_question_figure(scores, course.grade_cells(assignment))) if not scores.empty else None,
        totals_plot=_png(_totals_figure(graded)) if not graded.empty else None,
        failed_checks=failed_checks(course, assignment, scores),
        totals=table[["learner", "status", "total", "max", "notes"]].to_dict("records"),
        notebooks=list(columns),
        notebook_scores=[[score_text(row[total], row[maximum]) for total, maximum in columns.values()]
                         for _, row in table.iterrows()],
        intake=[outcome for outcome in load_intake(course, assignment) if outcome.problem],
        item_analysis=save_item_analysis(course, assignment)[0],
    )
    path = course.reports_dir(assignment) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _environment() -> Environment:
    """Jinja for the report: escape every value, and show control characters in text as escapes.

    ``autoescape=True`` rather than ``select_autoescape()``: the latter decides by file
    extension and leaves ``report.html.j2`` unescaped.
    """
    return Environment(loader=PackageLoader("grader", "templates"), autoescape=True,
                       finalize=lambda value: one_line(value, limit=None) if isinstance(value, str) else value)


def _question_bands(scores: pd.DataFrame) -> pd.DataFrame:
    """Per learner and question: full marks, partial, zero, or awaiting a person's grade."""
    per = scores.assign(question=scores["cell"].map(question_of)).groupby(["learner", "question"]).agg(
        score=("score", "sum"), max_score=("max_score", "sum"), pending=("needs_manual_grade", "any"))
    bands = pd.Series("partial", index=per.index)
    bands[per["score"] <= 0] = "zero"
    bands[per["score"] >= per["max_score"]] = "full marks"
    bands[per["pending"]] = "awaiting manual grade"
    return bands.rename("band").reset_index()


def _question_figure(scores: pd.DataFrame, cells: pd.DataFrame) -> Figure:
    """Per question, how many graded learners got full, partial or zero marks (or await a grader)."""
    points = cells.assign(question=cells["cell"].map(question_of)).groupby("question")["max_score"].sum()
    bands = _question_bands(scores)
    counts = pd.crosstab(bands["question"], bands["band"]).reindex(
        index=questions(cells), columns=list(BAND_COLOURS), fill_value=0)
    counts.index = [f"{question} ({points[question]:g} pts)" for question in counts.index]
    figure = Figure(figsize=(8, 0.45 * len(counts) + 1.6))
    axes = figure.subplots()
    counts.iloc[::-1].plot.barh(stacked=True, ax=axes, color=list(BAND_COLOURS.values()), width=0.7)
    axes.set_xlabel("learners")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return figure


def _totals_figure(graded: pd.DataFrame) -> Figure:
    """How the cohort's total scores spread out."""
    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    maximum = float(graded["max"].iloc[0]) or 1.0
    axes.hist(graded["total"], bins=np.arange(-0.5, maximum + 1), color="#1565c0", rwidth=0.85)
    axes.set_xlabel(f"total score so far (out of {maximum:g}; written answers count once graded)")
    axes.set_ylabel("learners")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def _png(figure: Figure) -> str:
    """A figure as a base64 PNG for an ``<img src="data:…">``, so the report is one file."""
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def failed_checks(course: Course, assignment: str, scores: pd.DataFrame) -> list[dict]:
    """Autograded checks that learners failed, most failed first, each with its commonest messages."""
    tests = scores[scores["kind"] == "autograded"]
    failed = tests[tests["score"] < tests["max_score"]]
    cells = course.grade_cells(assignment)
    several = cells["notebook"].nunique() > 1
    order = {key: position for position, key in enumerate(zip(cells["notebook"], cells["cell"]))}
    messages = {}
    for learner in set(failed["learner"]):
        messages.update(_failure_messages(course, assignment, learner))
    rows = []
    for (notebook, cell), group in failed.groupby(["notebook", "cell"]):
        said = Counter(messages.get((learner, notebook, cell), "no message") for learner in group["learner"])
        row = {"cell": cell_label(notebook, cell, several), "failed": len(group),
               "of": int(((tests["notebook"] == notebook) & (tests["cell"] == cell)).sum()),
               "messages": said.most_common(MESSAGES_PER_CHECK)}
        rows.append(((-len(group), order.get((notebook, cell), len(order))), row))
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def _failure_messages(course: Course, assignment: str, learner: str) -> dict[tuple[str, str, str], str]:
    """(learner, notebook, test grade_id) → what made that test fail, as the learner's notebook shows it.

    A test that fails only because its answer cell crashed, timed out or was left
    blank reports the answer cell's error rather than a NameError.
    """
    answers, tests = {}, {}
    folder = course.step_dir(course.coursedir.autograded_directory, assignment, learner)
    for path in folder.glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
            if not (meta.get("grade_id") and errors):
                continue
            if meta.get("solution"):
                timeouts = [error for error in errors if error.get("ename") == "CellTimeoutError"]
                answers[(path.stem, question_of(meta["grade_id"]))] = (timeouts or errors)[0]
            else:
                tests[(path.stem, meta["grade_id"])] = errors[0]
    found = {}
    for (notebook, cell), error in tests.items():
        cause = answers.get((notebook, question_of(cell)))
        if error.get("ename") == "NameError" and cause:
            found[(learner, notebook, cell)] = f"the answer cell {_describe(cause)}"
        else:
            found[(learner, notebook, cell)] = _first_line(error)
    return found


def _describe(error: dict) -> str:
    if error.get("ename") == "CellTimeoutError":
        return "ran past the time limit and was stopped"
    return f"raised {_first_line(error)}"


def _first_line(error: dict) -> str:
    text = f"{error.get('ename', '')}: {error.get('evalue', '')}".strip(": ").strip() or "an error"
    return one_line(text.splitlines()[0], limit=MESSAGE_CHARS)
