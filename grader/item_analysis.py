"""Item analysis: the course measuring its own questions, from a graded cohort's gradebook.

After grading, an instructor wants to know which checks and questions worked, not only who
passed. Classical item analysis answers that per *autograded test cell* and per *question*
(the question's autograded points together):

* **difficulty** — the share of the available points the cohort earned (1.0: everyone earned
  everything). The name is the field's, though a higher number means an easier item.
* **discrimination** — whether learners who do well on the rest of the assignment also do well
  on this item: the *corrected* item–total correlation, the Pearson correlation of the item's
  points with the learner's points on the *other questions*. Corrected because with a dozen
  items an item's own points inflate its correlation with a total that contains them; and the
  item's whole question is left out, not just the item, because the tests of one answer pass
  and fail together and would make any of them look discriminating. For a test cell, scored
  all or nothing by nbgrader, this is the point-biserial correlation (``scipy.stats.pointbiserialr``);
  for a question worth several cells, Pearson's r (``scipy.stats.pearsonr``). Same formula,
  named as the literature names it.
* **reliability** of the assignment — Cronbach's α over its questions (``pingouin.cronbach_alpha``,
  with Feldt's 95 % interval), called KR-20 when every question is scored 0 or 1 (KR-20 is α
  for 0/1 items; Cronbach 1951). Questions, not test cells, are the items: tests of one answer
  are not independent and would inflate α.

Written answers are left out: a person grades them, often after this report is first written,
and a learner still waiting for one would drop out of every number. Only learners the gradebook
holds a graded submission of count (not those who sent nothing or whose autograde failed).

Flags, in plain words, with thresholds from common classroom item-analysis guidance:

* *too easy* above 0.90 of the points, *too hard* below 0.20 (the usual 0.20–0.80 band of
  Ebel & Frisbie, *Essentials of Educational Measurement*, 1991, and Crocker & Algina,
  *Introduction to Classical and Modern Test Theory*, 1986, with the upper bound raised to
  0.90 because a course taught to mastery expects most learners to pass most checks);
* *strong learners fail it about as often as weak ones* below a discrimination of 0.20, and
  *weak learners do better than strong ones* below 0 (Ebel & Frisbie: under 0.20 is poor,
  negative means check the key — here, the test and its expected value);
* reliability *low* below 0.70 (Nunnally, *Psychometric Theory*, 1978);
* *too few learners to say* under ``MIN_LEARNERS``. Five is a floor, not enough: guidance for
  classical item analysis cites 100–200 respondents (BYU, *Assessment Basics*, "Item
  statistics and analysis"), so for a classroom cohort the report presents every number as a
  reason to reread a question, never as a verdict, and says on how many learners it rests.

A number that cannot be computed is ``None`` with the reason in the flags, never a 0 or a NaN
that looks like a measurement: an item everyone scored the same on has no correlation, and a
cohort whose totals are all equal has no reliability.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from grader.course import Course
from grader.grades import GRADED, NEEDS_MANUAL, learner_table, question_of, questions
from grader.safe_text import spreadsheet_cell

MIN_LEARNERS = 5
TOO_EASY_ABOVE = 0.90
TOO_HARD_BELOW = 0.20
WEAK_DISCRIMINATION_BELOW = 0.20
LOW_RELIABILITY_BELOW = 0.70

TOO_FEW = "too few learners to say"
TOO_EASY = "too easy: almost everyone earns it"
TOO_HARD = "too hard: almost no one earns it"
NO_SPREAD = "everyone scored the same, so it cannot tell learners apart"
WEAK = "strong learners fail it about as often as weak ones"
NEGATIVE = "weak learners do better on it than strong ones: check the test and its expected value"
NO_REST = "no other question to compare with"
REST_FLAT = "learners scored the same on the other questions, so there is nothing to compare with"

TEST_CELL, QUESTION = "test cell", "question"
POINT_BISERIAL, PEARSON = "point-biserial", "Pearson r"
ALPHA, KR20 = "Cronbach's α", "KR-20"
CSV_NAME = "item_analysis.csv"


@dataclass(frozen=True)
class ItemStats:
    """One test cell or question: how hard it was, whether it separates stronger from weaker learners."""

    item: str
    level: str
    question: str
    max_points: float
    learners: int
    difficulty: float | None
    discrimination: float | None
    method: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Reliability:
    """The assignment's internal consistency over its questions, or why there is none."""

    coefficient: str
    value: float | None
    interval: tuple[float, float] | None
    learners: int
    items: int
    flags: tuple[str, ...]

    def describe(self) -> str:
        """One line for the terminal and the report: value, interval, what it rests on, flags."""
        value = "–" if self.value is None else (
            f"{self.value:.2f} (95% interval {self.interval[0]:.2f} to {self.interval[1]:.2f})")
        flags = "".join(f" · {flag}" for flag in self.flags)
        return (f"Reliability ({self.coefficient}) over {self.items} question(s) and {self.learners} learner(s): "
                f"{value}{flags}")


@dataclass(frozen=True)
class ItemAnalysis:
    """Everything the report's item-analysis section and CSV show for one assignment."""

    assignment: str
    learners: int
    cells: list[ItemStats]
    questions: list[ItemStats]
    reliability: Reliability


def item_analysis(course: Course, assignment: str) -> ItemAnalysis:
    """The item analysis of an assignment over the learners the gradebook holds a graded submission of."""
    table = learner_table(course, assignment)
    graded = set(table.loc[table["status"].isin([GRADED, NEEDS_MANUAL]), "learner"])
    scores = course.scores(assignment)
    return analyse_items(assignment, scores[scores["learner"].isin(graded)], course.grade_cells(assignment))


def save_item_analysis(course: Course, assignment: str) -> tuple[ItemAnalysis, Path]:
    """Compute the analysis and write ``reports/<assignment>/item_analysis.csv`` beside the report."""
    analysis = item_analysis(course, assignment)
    path = course.reports_dir(assignment) / CSV_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    item_table(analysis).map(spreadsheet_cell).to_csv(path, index=False)
    return analysis, path


def analyse_items(assignment: str, scores: pd.DataFrame, cells: pd.DataFrame) -> ItemAnalysis:
    """Item analysis from gradebook rows (``Course.scores``) and the assignment's cells (``Course.grade_cells``).

    A learner with no score for a cell (no row, or an empty score) is missing from that cell,
    its question and reliability, never counted as 0.
    """
    several = "notebook" in cells.columns and cells["notebook"].nunique() > 1
    tests = _by_item_id(cells[cells["kind"] == "autograded"], several)
    maximum = dict(zip(tests["cell"], tests["max_score"].astype(float)))
    rows = _by_item_id(scores, several)
    rows = rows[rows["cell"].isin(maximum)]
    by_cell = (rows.groupby(["learner", "cell"])["score"].sum(min_count=1).unstack()
               .reindex(columns=list(maximum)))
    cells_of = {question: [cell for cell in maximum if question_of(cell) == question]
                for question in questions(tests)}
    by_question = pd.DataFrame({question: by_cell[group].sum(axis=1, min_count=len(group))
                                for question, group in cells_of.items()}, index=by_cell.index)
    return ItemAnalysis(
        assignment=assignment,
        learners=len(by_cell),
        cells=[_item(cell, TEST_CELL, question_of(cell), by_cell[cell], maximum[cell],
                     _rest(by_question, question_of(cell))) for cell in maximum],
        questions=[_item(question, QUESTION, question, by_question[question],
                         sum(maximum[cell] for cell in group), _rest(by_question, question))
                   for question, group in cells_of.items()],
        reliability=reliability(by_question),
    )


def _by_item_id(frame: pd.DataFrame, several_notebooks: bool) -> pd.DataFrame:
    """Cells named ``notebook/grade_id`` when an assignment has several notebooks, whose grade ids may repeat."""
    if not several_notebooks:
        return frame
    return frame.assign(cell=frame["notebook"] + "/" + frame["cell"])


def _rest(by_question: pd.DataFrame, question: str) -> pd.Series | None:
    """Each learner's points on every other question; None when the assignment has no other."""
    others = by_question.drop(columns=question)
    return others.sum(axis=1, min_count=others.shape[1]) if others.shape[1] else None


def _item(name: str, level: str, question: str, points: pd.Series, max_points: float,
          rest: pd.Series | None) -> ItemStats:
    """Difficulty, discrimination and flags of one item's column of points."""
    points = points.dropna()
    difficulty = float(points.mean() / max_points) if len(points) and max_points > 0 else None
    if len(points) < MIN_LEARNERS:
        return ItemStats(name, level, question, max_points, len(points), difficulty, None, "", (TOO_FEW,))
    found = Discrimination(None, "", NO_REST) if rest is None else discrimination(points, rest)
    flags = _difficulty_flags(difficulty)
    if not (flags and found.reason == NO_SPREAD):  # "too easy" already says why it does not separate
        flags += _discrimination_flags(found)
    return ItemStats(name, level, question, max_points, len(points), difficulty, found.value, found.method,
                     tuple(flags))


@dataclass(frozen=True)
class Discrimination:
    """A correlation and the name of the one used, or no value and the reason why."""

    value: float | None
    method: str
    reason: str | None = None


def discrimination(points: pd.Series, rest: pd.Series) -> Discrimination:
    """Correlation of an item's points with the rest score over learners who have both, or why there is none.

    An item with two observed scores (a test cell: passed or not) gets scipy's point-biserial
    correlation, any other Pearson's r; a constant item or rest score has no correlation
    (scipy would warn and give NaN), and fewer than ``MIN_LEARNERS`` pairs are too few to say.
    """
    pairs = pd.concat([points.rename("item"), rest.rename("rest")], axis=1).dropna()
    if len(pairs) < MIN_LEARNERS:
        return Discrimination(None, "", TOO_FEW)
    if pairs["item"].nunique() < 2:
        return Discrimination(None, "", NO_SPREAD)
    if pairs["rest"].nunique() < 2:
        return Discrimination(None, "", REST_FLAT)
    if pairs["item"].nunique() == 2:
        passed = (pairs["item"] == pairs["item"].max()).astype(int)
        return Discrimination(float(stats.pointbiserialr(passed, pairs["rest"]).statistic), POINT_BISERIAL)
    return Discrimination(float(stats.pearsonr(pairs["item"], pairs["rest"]).statistic), PEARSON)


def _difficulty_flags(difficulty: float | None) -> list[str]:
    if difficulty is None:
        return []
    if difficulty > TOO_EASY_ABOVE:
        return [TOO_EASY]
    return [TOO_HARD] if difficulty < TOO_HARD_BELOW else []


def _discrimination_flags(found: Discrimination) -> list[str]:
    if found.value is None:
        return [found.reason] if found.reason else []
    if found.value < 0:
        return [NEGATIVE]
    return [WEAK] if found.value < WEAK_DISCRIMINATION_BELOW else []


def reliability(items: pd.DataFrame) -> Reliability:
    """Cronbach's α (KR-20 for 0/1 items) of a learner × item table of points, learners missing any item left out.

    Computed by ``pingouin.cronbach_alpha`` (imported here: it takes seconds to load and
    only this needs it) with Feldt's 95 % interval.
    """
    complete = items.dropna()
    values = complete.to_numpy(dtype=float)
    coefficient = KR20 if len(complete) and np.isin(values, [0.0, 1.0]).all() else ALPHA
    reason = _no_reliability(complete)
    if reason:
        return Reliability(coefficient, None, None, len(complete), complete.shape[1], (reason,))
    import pingouin

    value, interval = pingouin.cronbach_alpha(data=complete)
    flags = (f"low: below {LOW_RELIABILITY_BELOW:g}, so the total mixes unrelated skills or is noisy; "
             "do not rank learners on it alone",) if value < LOW_RELIABILITY_BELOW else ()
    return Reliability(coefficient, float(value), (float(interval[0]), float(interval[1])),
                       len(complete), complete.shape[1], flags)


def _no_reliability(complete: pd.DataFrame) -> str | None:
    """Why a table cannot give a reliability coefficient, or None when it can."""
    if complete.shape[1] < 2:
        return "needs at least two questions with autograded points"
    if len(complete) < MIN_LEARNERS:
        return TOO_FEW
    if complete.sum(axis=1).nunique() < 2:
        return "every learner has the same total, so there is no spread to be consistent about"
    return None


def item_table(analysis: ItemAnalysis) -> pd.DataFrame:
    """Questions, then test cells, then one row for the assignment: the CSV's rows."""
    rows = [{"assignment": analysis.assignment, "level": item.level, "item": item.item,
             "question": item.question, "max_points": item.max_points, "learners": item.learners,
             "difficulty": item.difficulty, "discrimination": item.discrimination,
             "method": item.method, "reliability": None, "flags": "; ".join(item.flags)}
            for item in [*analysis.questions, *analysis.cells]]
    test = analysis.reliability
    rows.append({"assignment": analysis.assignment, "level": "assignment", "item": analysis.assignment,
                 "question": None, "max_points": sum(item.max_points for item in analysis.questions),
                 "learners": test.learners, "difficulty": None, "discrimination": None,
                 "method": test.coefficient, "reliability": test.value, "flags": "; ".join(test.flags)})
    return pd.DataFrame(rows)


def item_rows(analysis: ItemAnalysis) -> list[list[str]]:
    """Each question followed by its test cells, as text for a terminal table; "–" where there is no number."""
    rows = []
    for question in analysis.questions:
        cells = [cell for cell in analysis.cells if cell.question == question.question]
        for item in [question, *cells]:
            name = item.item if item.level == QUESTION else f"  {item.item}"
            rows.append([name, f"{item.max_points:g}", str(item.learners), _two_places(item.difficulty),
                         _two_places(item.discrimination), "; ".join(item.flags)])
    return rows


def _two_places(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
