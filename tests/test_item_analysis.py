"""Item analysis: published worked examples, labelled score matrices, and the report of a graded cohort.

The statistics come from pingouin and scipy; what is ours is which numbers go in (points on
the *other* questions, learners with every score, written answers left out) and what is
said about them. So the coefficients are checked against the libraries' own documented
examples, and everything else against matrices built so that each item has a known
character, with every expected number computed from the matrix in the test.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy.stats import f as f_distribution

from grader.item_analysis import (
    ALPHA, KR20, MIN_LEARNERS, NEGATIVE, NO_SPREAD, POINT_BISERIAL, REST_FLAT, TOO_EASY, TOO_FEW, TOO_HARD,
    WEAK, analyse_items, discrimination, item_table, reliability,
)

from test_grader_reports import ASSIGNMENT, course, gradebook_grades  # noqa: F401  (the graded cohort, reused)

#: A constant column must never reach scipy or pingouin, which would warn and answer NaN.
no_warnings = pytest.mark.filterwarnings("error")

LEARNERS = [f"learner{i:02d}" for i in range(10)]
#: Each learner's rank, learner09 the strongest: the items below are passed by rank.
ABILITY = np.arange(10)


def graded(matrix: dict[str, list[float]], points: dict[str, float], manual: dict[str, float] | None = None,
           learners: list[str] = LEARNERS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``Course.scores`` and ``Course.grade_cells`` frames for a cell → per-learner points matrix."""
    kinds = {cell: "autograded" for cell in matrix} | {cell: "manual" for cell in manual or {}}
    cells = pd.DataFrame({"cell": list(kinds), "kind": list(kinds.values()),
                          "max_score": [points.get(cell, (manual or {}).get(cell)) for cell in kinds]})
    rows = [(learner, cell, kinds[cell], score, cells.set_index("cell").at[cell, "max_score"], False)
            for cell, column in {**matrix, **{cell: [0.0] * len(learners) for cell in manual or {}}}.items()
            for learner, score in zip(learners, column)]
    scores = pd.DataFrame(rows, columns=["learner", "cell", "kind", "score", "max_score", "needs_manual_grade"])
    return scores, cells


def passes(condition: np.ndarray, points: float = 1.0) -> list[float]:
    return list(np.where(condition, points, 0.0))


#: The rest of the assignment: three 1-point questions that stronger learners pass more often.
REST = {"q1_a": passes(ABILITY >= 2), "q2_a": passes(ABILITY >= 4), "q3_a": passes(ABILITY >= 6)}
#: The item under study, q9_x, by the character it was built to have.
CHARACTERS = {
    "good": (passes(ABILITY >= 5), set()),
    "too easy": (passes(ABILITY >= 0), {TOO_EASY}),
    "too hard": (passes(ABILITY >= 10), {TOO_HARD}),
    "weak learners pass, strong fail": (passes(ABILITY < 5), {NEGATIVE}),
    "unrelated to the rest": (passes(np.isin(ABILITY, [2, 3, 5, 8, 9])), {WEAK}),
}


@pytest.mark.parametrize("character", CHARACTERS)
@no_warnings
def test_each_labelled_item_gets_its_flag_and_the_numbers_come_from_the_matrix(character):
    column, flags = CHARACTERS[character]
    scores, cells = graded({**REST, "q9_x": column}, {cell: 1.0 for cell in [*REST, "q9_x"]})
    item = next(cell for cell in analyse_items("a", scores, cells).cells if cell.item == "q9_x")
    rest = np.sum(list(REST.values()), axis=0)
    assert set(item.flags) == flags
    assert item.learners == len(LEARNERS)
    assert item.difficulty == pytest.approx(np.mean(column))
    if np.std(column) > 0:
        assert item.discrimination == pytest.approx(np.corrcoef(column, rest)[0, 1])
        assert item.method == POINT_BISERIAL
    else:
        assert item.discrimination is None


def test_discrimination_is_corrected_it_leaves_the_item_s_whole_question_out():
    """Two tests of one answer pass together; each correlates with the other questions, not with its twin."""
    twin = passes(np.isin(ABILITY, [1, 4, 5, 8, 9]))
    scores, cells = graded({**REST, "q9_shape": twin, "q9_value": twin},
                           {cell: 1.0 for cell in [*REST, "q9_shape", "q9_value"]})
    analysis = analyse_items("a", scores, cells)
    rest_without_question = np.sum(list(REST.values()), axis=0)
    with_own_question = rest_without_question + np.array(twin) * 2
    shape = next(cell for cell in analysis.cells if cell.item == "q9_shape")
    question = next(item for item in analysis.questions if item.item == "q9")
    assert shape.discrimination == pytest.approx(np.corrcoef(twin, rest_without_question)[0, 1])
    assert shape.discrimination != pytest.approx(np.corrcoef(twin, with_own_question)[0, 1])
    assert question.discrimination == pytest.approx(np.corrcoef(np.array(twin) * 2, rest_without_question)[0, 1])
    assert question.max_points == 2


def test_point_biserial_matches_scipy_s_documented_example():
    """scipy.stats.pointbiserialr docs: a = [0,0,0,1,1,1,1], b = arange(7) → r = 0.8660254037844386.

    The item is scored 0 or 2 here: a check worth 2 points is still passed or failed.
    """
    found = discrimination(pd.Series([0, 0, 0, 2, 2, 2, 2.0]), pd.Series(np.arange(7.0)))
    assert (found.value, found.method) == (pytest.approx(0.8660254037844386), POINT_BISERIAL)


def test_kr20_matches_pingouin_s_published_example_on_binary_items():
    """pingouin.cronbach_alpha docs: ``cronbach_wide_missing`` after listwise deletion (R psych::alpha,
    use="complete.obs") gives 0.8016949152542373. All its items are 0/1, so it is KR-20.

    The documented interval [0.581, 0.933] is Feldt's with n = 12, the rows *before* deletion
    (pingouin 0.7 takes n first); the analysis uses the 9 complete rows, so its interval is
    Feldt's with n = 9, computed here from Feldt, Woodruff & Salih (1987), and wider.
    """
    data = pingouin.read_dataset("cronbach_wide_missing")
    found = reliability(data)
    complete, k = data.dropna(), data.shape[1]
    assert found.coefficient == KR20
    assert found.value == pytest.approx(0.8016949152542373)
    assert (found.learners, found.items) == (len(complete), k)
    df1, df2 = len(complete) - 1, (len(complete) - 1) * (k - 1)
    feldt = (1 - (1 - found.value) * f_distribution.isf(0.025, df1, df2),
             1 - (1 - found.value) * f_distribution.isf(0.975, df1, df2))
    assert found.interval == pytest.approx(feldt, abs=0.0005)
    assert found.interval[0] < 0.581 and found.interval[1] > 0.933


def test_alpha_matches_pingouin_s_published_example_on_likert_items():
    """pingouin.cronbach_alpha docs: the long-format ``cronbach_alpha`` dataset gives 0.5917188485995826,
    95 % CI [0.195, 0.84]."""
    data = pingouin.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    found = reliability(data)
    assert (found.coefficient, found.value) == (ALPHA, pytest.approx(0.5917188485995826))
    assert found.interval == pytest.approx((0.195, 0.84))
    assert found.flags and "low" in found.flags[0]


@no_warnings
def test_zero_variance_gives_no_number_and_says_why():
    """A question everyone half-passes, and a rest everyone scores the same on: no correlation, no α."""
    half = {"q1_a": [1.0] * 10, "q1_b": [0.0] * 10}
    scores, cells = graded({**half, "q2_a": [1.0] * 10}, {"q1_a": 1.0, "q1_b": 2.0, "q2_a": 1.0})
    analysis = analyse_items("a", scores, cells)
    q1 = next(item for item in analysis.questions if item.item == "q1")
    assert (q1.difficulty, q1.discrimination, q1.flags) == (pytest.approx(1 / 3), None, (NO_SPREAD,))
    flat_rest = {"q1_a": [1.0] * 10, "q9_x": passes(ABILITY >= 5)}
    scores, cells = graded(flat_rest, {"q1_a": 1.0, "q9_x": 1.0})
    analysis = analyse_items("a", scores, cells)
    assert next(item for item in analysis.cells if item.item == "q9_x").flags == (REST_FLAT,)
    everyone_same = graded({"q1_a": [1.0] * 10, "q2_a": [0.0] * 10}, {"q1_a": 1.0, "q2_a": 1.0})
    assert analyse_items("a", *everyone_same).reliability.value is None


@no_warnings
def test_one_learner_gets_difficulty_but_no_correlation_flag_or_reliability():
    one = LEARNERS[:1]
    matrix = {cell: column[:1] for cell, column in REST.items()}
    analysis = analyse_items("a", *graded(matrix, {cell: 1.0 for cell in REST}, learners=one))
    assert analysis.learners == 1
    for item in [*analysis.cells, *analysis.questions]:
        assert (item.difficulty, item.discrimination, item.flags) == (matrix[f"{item.question}_a"][0], None, (TOO_FEW,))
    assert (analysis.reliability.value, analysis.reliability.flags) == (None, (TOO_FEW,))


@no_warnings
def test_a_missing_score_leaves_the_learner_out_instead_of_counting_zero():
    scores, cells = graded({**REST, "q9_x": passes(ABILITY >= 5)}, {cell: 1.0 for cell in [*REST, "q9_x"]})
    missing = (scores["learner"] == "learner09") & (scores["cell"] == "q9_x")
    analysis = analyse_items("a", scores.assign(score=scores["score"].mask(missing)), cells)
    item = next(cell for cell in analysis.cells if cell.item == "q9_x")
    kept = scores[(scores["cell"] == "q9_x") & ~missing]["score"]
    assert (item.learners, item.difficulty) == (len(kept), pytest.approx(kept.mean()))
    assert analysis.reliability.learners == len(LEARNERS) - 1


def test_written_answers_are_left_out_and_too_few_learners_are_said():
    few = LEARNERS[:MIN_LEARNERS - 1]
    matrix = {cell: column[:len(few)] for cell, column in REST.items()}
    analysis = analyse_items("a", *graded(matrix, {cell: 1.0 for cell in REST}, {"q4_written": 5.0}, learners=few))
    assert [item.item for item in analysis.questions] == ["q1", "q2", "q3"]
    assert {item.flags for item in analysis.cells} == {(TOO_FEW,)}


def test_the_csv_table_holds_one_row_per_question_and_cell_and_one_for_the_assignment():
    scores, cells = graded({**REST, "q9_x": passes(ABILITY >= 5)}, {cell: 1.0 for cell in [*REST, "q9_x"]})
    analysis = analyse_items("a", scores, cells)
    table = item_table(analysis)
    assert table["level"].value_counts().to_dict() == {"question": 4, "test cell": 4, "assignment": 1}
    assert table.loc[table["level"] == "assignment", "reliability"].item() == pytest.approx(
        pingouin.cronbach_alpha(data=pd.DataFrame({cell: column for cell, column in
                                                    {**REST, "q9_x": passes(ABILITY >= 5)}.items()}))[0])


@pytest.mark.nbgrader
def test_the_cohort_report_shows_each_check_s_difficulty_from_the_gradebook(course):
    html = (course.reports_dir(ASSIGNMENT) / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="item-analysis">'):]
    section = section[:section.index("</section>")]
    earned, available = {}, {}
    for grades in gradebook_grades(course).values():
        for name, score, maximum, _, autograded in grades:
            if autograded:
                earned[name] = earned.get(name, 0.0) + score
                available[name] = available.get(name, 0.0) + maximum
    assert earned and len(set(earned.values())) > 1, "the cohort must pass some checks more often than others"
    for cell in earned:
        shown = re.search(rf"<code>{cell}</code></td>.*?</td>.*?</td>\s*<td class=\"num\">([\d.]+)</td>",
                          section, re.DOTALL)
        assert shown and float(shown[1]) == pytest.approx(earned[cell] / available[cell], abs=0.005), cell
    csv = pd.read_csv(course.reports_dir(ASSIGNMENT) / "item_analysis.csv")
    shown = csv[csv["level"] == "test cell"].set_index("item")["difficulty"].to_dict()
    assert shown == pytest.approx({cell: earned[cell] / available[cell] for cell in earned})
