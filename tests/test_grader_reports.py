"""The numbers in the grades export and the cohort report, checked against nbgrader's gradebook.

A small cohort of the sample assignment is autograded by nbgrader and given manual grades
through nbgrader's ``Gradebook``, as the formgrader would. Every expected number here is
computed from that gradebook with nbgrader's own objects (``Submission.score``,
``Grade.score``, ``Grade.needs_manual_grade``), never typed in and never through the code
under test, so a total that drops written-answer points, a wrong score band or a wrong
"failed N of M" shows up as a difference.
"""

from __future__ import annotations

import re
from collections import defaultdict

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from grader import notebooks
from grader.course import Course
from grader.grades import (GRADED, NEEDS_MANUAL, export_grades, learner_table, notebook_columns, question_of,
                           save_autograde, score_summary)
from grader.report import _question_bands, write_report
from grader.sample_assignment import write_sample_assignment

ASSIGNMENT = "sample"
RIGHT, WRITTEN = "answer = 42", "Because customers said so."
#: learner → (answers, manual points given to the written answer, or None: not graded by a person yet)
COHORT = {
    "full": ({"q1_answer": RIGHT, "q2_written": WRITTEN}, 2.0),
    "half-written": ({"q1_answer": RIGHT, "q2_written": WRITTEN}, 0.5),
    "awaiting": ({"q1_answer": RIGHT, "q2_written": WRITTEN}, None),
    "wrong-value": ({"q1_answer": "answer = 41"}, None),
    "blank": ({}, None),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """The cohort autograded and partly hand-graded, with its export and report written."""
    root = tmp_path_factory.mktemp("reports")
    course = Course.create(root / "course", write_sample_assignment(root / "src", ASSIGNMENT).parent)
    released = notebooks.read(course.release(ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    for learner, (answers, _) in COHORT.items():
        path = root / f"{learner}.ipynb"
        nbformat.write(notebooks.fill_answers(released, answers), str(path))
        course.submit(ASSIGNMENT, learner, path)
    results = [course.autograde(ASSIGNMENT, learner) for learner in COHORT]
    assert all(result.ok for result in results), [result.message for result in results if not result.ok]
    save_autograde(course, ASSIGNMENT, results)
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        for learner, (_, points) in COHORT.items():
            if points is not None:
                grade = gradebook.find_grade("q2_written", ASSIGNMENT, ASSIGNMENT, learner)
                grade.manual_score, grade.needs_manual_grade = points, False
        gradebook.db.commit()
    export_grades(course, [ASSIGNMENT])
    write_report(course, ASSIGNMENT)
    return course


def gradebook_grades(course: Course) -> dict[str, list[tuple[str, float, float, bool, bool]]]:
    """learner → (cell, score, max_score, needs_manual_grade, is an autograded test) per nbgrader Grade."""
    found = {}
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        for submission in gradebook.find_assignment(ASSIGNMENT).submissions:
            found[submission.student.id] = [
                (grade.name, float(grade.score), float(grade.max_score), bool(grade.needs_manual_grade),
                 grade.cell.cell_type == "code" and grade.name not in {c.name for c in notebook.notebook.solution_cells})
                for notebook in submission.notebooks for grade in notebook.grades]
    return found


def gradebook_totals(course: Course) -> dict[str, float]:
    """Each learner's total as nbgrader itself sums it (manual grades included)."""
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        return {s.student.id: float(s.score) for s in gradebook.find_assignment(ASSIGNMENT).submissions}


def expected_rows(course: Course) -> pd.DataFrame:
    """Status, total, max and per-question points of every learner, from the gradebook alone."""
    totals, rows = gradebook_totals(course), {}
    for learner, grades in gradebook_grades(course).items():
        pending = any(needs for _, _, _, needs, _ in grades)
        per_question = defaultdict(list)
        for name, score, _, needs, _ in grades:
            per_question[question_of(name)].append(None if needs else score)
        rows[learner] = {"status": NEEDS_MANUAL if pending else GRADED, "total": totals[learner],
                         "max": sum(maximum for _, _, maximum, _, _ in grades)}
        rows[learner] |= {q: (None if None in points else sum(points)) for q, points in per_question.items()}
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def expected_bands(course: Course) -> dict[tuple[str, str], str]:
    """(learner, question) → the band a person would put it in, from the gradebook."""
    per = defaultdict(lambda: [0.0, 0.0, False])
    for learner, grades in gradebook_grades(course).items():
        for name, score, maximum, needs, _ in grades:
            entry = per[(learner, question_of(name))]
            entry[0], entry[1], entry[2] = entry[0] + score, entry[1] + maximum, entry[2] or needs
    return {key: "awaiting manual grade" if pending else "full marks" if score >= maximum else
            "zero" if score <= 0 else "partial" for key, (score, maximum, pending) in per.items()}


def assert_same_numbers(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same learners, statuses, and numbers (or the same blanks) in every expected column."""
    assert table.index.tolist() == expected.index.tolist()
    assert table["status"].tolist() == expected["status"].tolist()
    for column in expected.columns.drop("status"):
        shown, wanted = table[column], expected[column]
        assert shown.isna().tolist() == wanted.isna().tolist(), column
        assert shown.dropna().astype(float).tolist() == wanted.dropna().astype(float).tolist(), column


@pytest.mark.nbgrader
def test_totals_include_manual_points_and_statuses_follow_the_gradebook(course):
    expected = expected_rows(course)
    assert expected.loc["full", "total"] > expected.loc["awaiting", "total"], "the cohort must hold manual points"
    assert_same_numbers(learner_table(course, ASSIGNMENT).set_index("learner").sort_index(), expected)


@pytest.mark.nbgrader
@pytest.mark.parametrize("export", [f"reports/{ASSIGNMENT}/grades.csv", "reports/grades.csv"])
def test_the_grades_export_holds_the_gradebook_s_numbers(course, export):
    assert_same_numbers(pd.read_csv(course.root / export).set_index("learner").sort_index(), expected_rows(course))


@pytest.mark.nbgrader
def test_score_bands_per_question_follow_the_gradebook(course):
    bands = _question_bands(course.scores(ASSIGNMENT))
    found = {(row.learner, row.question): row.band for row in bands.itertuples()}
    expected = expected_bands(course)
    assert set(expected.values()) == {"full marks", "partial", "zero", "awaiting manual grade"}, \
        "the cohort must put some question in every band"
    assert found == expected


@pytest.mark.nbgrader
def test_the_report_says_how_many_failed_each_check_of_how_many_and_each_total(course):
    html = (course.reports_dir(ASSIGNMENT) / "report.html").read_text(encoding="utf-8")
    failed, present = defaultdict(int), defaultdict(int)
    for grades in gradebook_grades(course).values():
        for name, score, maximum, _, autograded in grades:
            if autograded:
                present[name] += 1
                failed[name] += score < maximum
    assert any(failed.values()), "the cohort must fail some check"
    for cell, count in present.items():
        shown = re.search(rf"<code>{cell}</code>.*?(\d+) of (\d+)", html, re.DOTALL)
        assert (shown.groups() if shown else None) == ((str(failed[cell]), str(count)) if failed[cell] else None), cell
    for learner, row in expected_rows(course).iterrows():
        shown = re.search(rf"<td>{re.escape(learner)}</td>.*?([\d.]+) / ([\d.]+)", html, re.DOTALL)
        assert shown and (float(shown[1]), float(shown[2])) == (row["total"], row["max"]), learner


#: Two-notebook cohort: learner → notebook → answers; part1's written answer is hand-graded, part2's is not.
PARTS = ("part1", "part2")
TWO_NOTEBOOK_COHORT = {
    "both-right": {"part1": {"q1_answer": RIGHT, "q2_written": WRITTEN}, "part2": {"q1_answer": RIGHT}},
    "first-right": {"part1": {"q1_answer": RIGHT}, "part2": {"q1_answer": "answer = 41"}},
    "second-right": {"part1": {}, "part2": {"q1_answer": RIGHT}},
    "first-text": {"part1": {"q1_answer": "answer = '42'"}, "part2": {"q1_answer": RIGHT}},
    "blank": {"part1": {}, "part2": {}},
}


@pytest.fixture(scope="module")
def two_notebook_course(tmp_path_factory) -> Course:
    """The sample assignment as two notebooks (same grade ids in each, as nbgrader allows), graded and reported."""
    root = tmp_path_factory.mktemp("two-notebooks")
    folder = write_sample_assignment(root / "src", ASSIGNMENT)
    (folder / f"{ASSIGNMENT}.ipynb").rename(folder / "part1.ipynb")
    (folder / "part2.ipynb").write_bytes((folder / "part1.ipynb").read_bytes())
    course = Course.create(root / "course", folder.parent)
    release = course.release(ASSIGNMENT)
    for learner, parts in TWO_NOTEBOOK_COHORT.items():
        for part, answers in parts.items():
            path = root / learner / f"{part}.ipynb"
            path.parent.mkdir(exist_ok=True)
            nbformat.write(notebooks.fill_answers(notebooks.read(release / f"{part}.ipynb"), answers), str(path))
            course.submit(ASSIGNMENT, learner, path, part)
    results = [course.autograde(ASSIGNMENT, learner) for learner in TWO_NOTEBOOK_COHORT]
    assert all(result.ok for result in results), [result.message for result in results if not result.ok]
    save_autograde(course, ASSIGNMENT, results)
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        grade = gradebook.find_grade("q2_written", "part1", ASSIGNMENT, "both-right")
        grade.manual_score, grade.needs_manual_grade = 1.5, False
        gradebook.db.commit()
    export_grades(course, [ASSIGNMENT])
    write_report(course, ASSIGNMENT)
    return course


def gradebook_notebooks(course: Course) -> dict[str, dict]:
    """learner → the assignment's score and max, and per notebook (score, max), as nbgrader sums them."""
    found = {}
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        for submission in gradebook.find_assignment(ASSIGNMENT).submissions:
            found[submission.student.id] = {
                "total": float(submission.score), "max": float(submission.max_score),
                "notebooks": {nb.name: (float(nb.score), float(nb.max_score)) for nb in submission.notebooks}}
    return found


@pytest.mark.nbgrader
@pytest.mark.parametrize("source", ["table", f"reports/{ASSIGNMENT}/grades.csv", "reports/grades.csv"])
def test_a_several_notebook_assignment_shows_the_assignment_total_then_each_notebook(two_notebook_course, source):
    course = two_notebook_course
    table = learner_table(course, ASSIGNMENT) if source == "table" else pd.read_csv(course.root / source)
    expected = gradebook_notebooks(course)
    assert len({scores for entry in expected.values() for scores in entry["notebooks"].values()}) > 2, \
        "the cohort must score the notebooks differently"
    columns = list(table.columns)
    for part in PARTS:
        assert columns.index(f"{part}.ipynb total") > columns.index("total")
    for row in table.to_dict("records"):
        wanted = expected[row["learner"]]
        assert (row["total"], row["max"]) == (wanted["total"], wanted["max"])
        for part in PARTS:
            assert (row[f"{part}.ipynb total"], row[f"{part}.ipynb max"]) == wanted["notebooks"][part], row["learner"]


@pytest.mark.nbgrader
def test_questions_and_checks_of_several_notebooks_are_named_after_their_notebook(two_notebook_course):
    course = two_notebook_course
    table = learner_table(course, ASSIGNMENT).set_index("learner")
    html = (course.reports_dir(ASSIGNMENT) / "report.html").read_text(encoding="utf-8")
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        grades = [(s.student.id, nb.name, grade.name, float(grade.score), float(grade.max_score),
                   grade.name in {c.name for c in nb.notebook.solution_cells}, bool(grade.needs_manual_grade))
                  for s in gradebook.find_assignment(ASSIGNMENT).submissions
                  for nb in s.notebooks for grade in nb.grades]
    per_question, failed, present = defaultdict(list), defaultdict(int), defaultdict(int)
    for learner, part, cell, score, maximum, answer, needs in grades:
        per_question[(learner, f"{part}/{question_of(cell)}")].append(None if needs else score)
        if not answer:
            present[f"{part}/{cell}"] += 1
            failed[f"{part}/{cell}"] += score < maximum
    for (learner, question), points in per_question.items():
        shown = table.loc[learner, question]
        assert (None if pd.isna(shown) else shown) == (None if None in points else sum(points)), (learner, question)
    assert failed["part1/q1_value"] != failed["part2/q1_value"], "the cohort must fail the parts differently"
    for cell, count in present.items():
        shown = re.search(rf"<code>{cell}</code>.*?(\d+) of (\d+)", html, re.DOTALL)
        assert (shown.groups() if shown else None) == ((str(failed[cell]), str(count)) if failed[cell] else None), cell


@pytest.mark.nbgrader
def test_the_report_shows_each_notebook_s_score_beside_the_total(two_notebook_course):
    html = (two_notebook_course.reports_dir(ASSIGNMENT) / "report.html").read_text(encoding="utf-8")
    assert re.search(r"<th>total</th><th>part1\.ipynb</th><th>part2\.ipynb</th><th>notes</th>", html)
    score = r'<td class="num">([\d.]+) / ([\d.]+)</td>\s*'
    for learner, wanted in gradebook_notebooks(two_notebook_course).items():
        shown = re.search(rf"<td>{re.escape(learner)}</td>.*?{score * 3}", html, re.DOTALL)
        expected = [wanted["total"], wanted["max"], *[value for part in PARTS for value in wanted["notebooks"][part]]]
        assert shown and [float(value) for value in shown.groups()] == expected, learner


@pytest.mark.nbgrader
def test_a_one_notebook_assignment_gets_no_notebook_columns(course):
    table = learner_table(course, ASSIGNMENT)
    html = (course.reports_dir(ASSIGNMENT) / "report.html").read_text(encoding="utf-8")
    assert not [column for column in table.columns if ".ipynb" in column or "/" in column]
    assert ".ipynb</th>" not in html and f"<code>{ASSIGNMENT}/" not in html
    row = table.iloc[0]
    assert score_summary(row, notebook_columns(course.grade_cells(ASSIGNMENT))) == f"{row['total']:g} / {row['max']:g}"


@pytest.mark.nbgrader
def test_the_terminal_summary_gives_the_assignment_then_each_notebook(two_notebook_course):
    course = two_notebook_course
    table = learner_table(course, ASSIGNMENT).set_index("learner", drop=False)
    columns = notebook_columns(course.grade_cells(ASSIGNMENT))
    for learner, wanted in gradebook_notebooks(course).items():
        parts = ", ".join(f"{part}.ipynb {wanted['notebooks'][part][0]:g} / {wanted['notebooks'][part][1]:g}"
                          for part in PARTS)
        assert score_summary(table.loc[learner], columns) == f"{wanted['total']:g} / {wanted['max']:g} ({parts})"
