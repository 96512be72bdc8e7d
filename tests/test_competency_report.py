"""The cohort competency report and ``cx-grader competencies``, on a gradebook filled by real grading.

A small cohort of the sample assignment (``grader.sample_assignment``) is autograded by nbgrader
and its written answers given manual grades through nbgrader's ``Gradebook``, as the formgrader
would; one answer is left waiting for its grade. Every expected score is computed here from that
gradebook's ``Grade`` objects and the manifest's text, never through ``cxacademy.profile``.
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
import tomllib

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook
from typer.testing import CliRunner

from cxacademy import profile as rule
from cxacademy.competencies import COMPETENCIES
from grader import notebooks
from grader.cli import app
from grader.competency_report import NOT_ASSESSED, NOT_YET, READY, ROLES, readiness, run, write_competency_report
from grader.course import Course
from grader.sample_assignment import write_sample_assignment
from test_grader_reports import COHORT  # the same graded sample cohort as the cohort report's tests

ASSIGNMENT = "sample"
MANIFEST = """
title = "Sample"
[competencies]
q1 = { research = 1.0 }
q2 = { leadership = 1.0 }
[rubric.q2.clear]
points = 1.5
competencies = { leadership = 1.0 }
says = "Clear: says why in one sentence"
[rubric.q2.grounded]
points = 0.5
competencies = { research = 0.5, strategy = 0.5 }
says = "Grounded: quotes the customer"
"""
WITH_FEEDBACK = "full"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """The cohort autograded and partly hand-graded, one learner's feedback written, the manifest beside it."""
    root = tmp_path_factory.mktemp("competencies")
    course = Course.create(root / "course", write_sample_assignment(root / "src", ASSIGNMENT).parent)
    (course.root / f"{ASSIGNMENT}.toml").write_text(MANIFEST)
    released = notebooks.read(course.release(ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    for learner, (answers, _) in COHORT.items():
        path = root / f"{learner}.ipynb"
        nbformat.write(notebooks.fill_answers(released, answers), str(path))
        course.submit(ASSIGNMENT, learner, path)
    results = [course.autograde(ASSIGNMENT, learner) for learner in COHORT]
    assert all(result.ok for result in results), [result.message for result in results if not result.ok]
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        for learner, (_, points) in COHORT.items():
            if points is not None:
                grade = gradebook.find_grade("q2_written", ASSIGNMENT, ASSIGNMENT, learner)
                grade.manual_score, grade.needs_manual_grade = points, False
        gradebook.db.commit()
    assert course.generate_feedback(ASSIGNMENT, WITH_FEEDBACK).ok
    return course


@pytest.fixture(scope="module")
def report(course):
    return run(course)


def expected_scores(course: Course) -> dict[str, dict[str, float | None]]:
    """Each learner's 1–10 per competency, from nbgrader's grades and the manifest's weights."""
    declared = tomllib.loads(MANIFEST)
    criteria = declared["rubric"]["q2"].values()
    rubric_points = sum(c["points"] for c in criteria)
    expected = {}
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        for submission in gradebook.assignment_submissions(ASSIGNMENT):
            earned = dict.fromkeys(COMPETENCIES, 0.0)
            available = dict.fromkeys(COMPETENCIES, 0.0)
            for grade in submission.notebooks[0].grades:
                if grade.needs_manual_grade:
                    continue
                if grade.name == "q2_written":
                    parts = [(c["competencies"], c["points"] / rubric_points) for c in criteria]
                else:
                    parts = [(declared["competencies"][grade.name.split("_")[0]], 1.0)]
                for weights, share in parts:
                    for competency, weight in weights.items():
                        earned[competency] += weight * share * grade.score
                        available[competency] += weight * share * grade.max_score
            expected[submission.student.id] = {
                c: round(1 + 9 * earned[c] / available[c], 1) if available[c] >= rule.MIN_EVIDENCE_POINTS else None
                for c in COMPETENCIES}
    return expected


def test_every_learner_s_scores_follow_the_rule_from_the_gradebook(course, report):
    expected = expected_scores(course)
    assert set(report.profiles) == set(COHORT)
    for learner, scores in expected.items():
        assert {c: report.profiles[learner].score(c) for c in COMPETENCIES} == scores, learner
    assert len({scores["research"] for scores in expected.values()}) > 2, "the cohort should spread out"


def test_thin_evidence_is_not_yet_assessed_in_the_csv_never_a_number(course, report):
    table = pd.read_csv(report.csv).set_index("learner")
    expected = expected_scores(course)
    for learner, scores in expected.items():
        for competency, score in scores.items():
            cell = table.loc[learner, competency]
            assert (pd.isna(cell) if score is None else cell == score), (learner, competency, cell)
    assert table["leadership"].isna().any(), "a written answer alone is too little leadership evidence here"


def test_each_learner_s_profile_json_lands_in_their_feedback_folder(course, report):
    folder = course.step_dir(course.coursedir.feedback_directory, ASSIGNMENT, WITH_FEEDBACK)
    assert report.learner_files == [folder / rule.PROFILE_FILE]
    assert rule.load(folder / rule.PROFILE_FILE) == report.profiles[WITH_FEEDBACK]


def _profile_with(scores: dict[str, float | None]) -> rule.Profile:
    """A labelled profile with the given scores and no evidence: role rules read only the scores."""
    return rule.Profile("labelled", {c: rule.CompetencyScore(c, scores.get(c), 0.0, 0.0, ()) for c in COMPETENCIES}, ())


@pytest.mark.parametrize("role", ROLES)
def test_role_readiness_follows_the_documented_thresholds(role):
    needs = ROLES[role]
    assert readiness(_profile_with(dict(needs)))[role] == READY
    short, missing = next(iter(needs)), list(needs)[-1]
    below = readiness(_profile_with(needs | {short: needs[short] - 0.1}))[role]
    assert below.startswith(NOT_YET + ":") and short in below
    unassessed = readiness(_profile_with(needs | {missing: None}))[role]
    assert unassessed.startswith(NOT_ASSESSED) and missing in unassessed


HOSTILE = '=HYPERLINK("http://x")<script>alert(1)</script>\x1b[2J\nfull: 10'


def test_the_report_and_csv_escape_a_hostile_learner_id(course, report, tmp_path):
    hostile = dict(report.profiles)
    hostile[HOSTILE] = dataclasses.replace(report.profiles["full"], learner=HOSTILE)
    html_path, csv_path = write_competency_report(course, hostile)
    html = html_path.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html and "\\x1b[2J\\nfull: 10" in html
    with csv_path.open(newline="") as handle:
        learners = [row["learner"] for row in csv.DictReader(handle)]
    assert "'" + HOSTILE.replace("\x1b", "\\x1b").replace("\n", "\\n") in learners
    write_competency_report(course, report.profiles)


def test_cx_grader_competencies_prints_the_cohort_and_writes_the_report(course, report):
    result = CliRunner().invoke(app, ["competencies", "--course-dir", str(course.root)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines() if line.split()}
    for learner, scores in expected_scores(course).items():
        assert lines[learner] == ["n/a" if s is None else f"{s:g}" for s in scores.values()]
    assert str(report.html) in result.output and str(report.csv) in result.output


def test_cx_grader_competencies_shows_one_learner_s_evidence(course, report):
    where = ["--course-dir", str(course.root)]
    shown = CliRunner().invoke(app, ["competencies", "--learner", "half-written", *where])
    assert shown.exit_code == 0, shown.output
    evidence = report.profiles["half-written"].competencies["research"].evidence
    for item in evidence:
        assert f"{ASSIGNMENT} {item.item}: {item.earned:g} / {item.available:g} points × weight {item.weight:g}" \
            in shown.output
    unknown = CliRunner().invoke(app, ["competencies", "--learner", "nobody", *where])
    assert unknown.exit_code == 1 and "No graded work of 'nobody'" in unknown.output


def test_a_broken_manifest_stops_the_command_with_its_message(course, tmp_path):
    copy = shutil.copytree(course.root, tmp_path / "course")
    (copy / f"{ASSIGNMENT}.toml").write_text(MANIFEST.replace("research = 1.0", "research = 0.9"))
    result = CliRunner().invoke(app, ["competencies", "--course-dir", str(copy)])
    assert result.exit_code == 1 and "sample.toml: the weights of q1 sum to 0.9" in result.output
