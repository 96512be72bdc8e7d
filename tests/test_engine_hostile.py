"""Every hostile or broken submission in tests/fixtures/hostile is graded as its expectations say.

One cohort of all the fixtures is graded by the engine (sandbox on, two workers); each case
is then checked against ``expectations.toml``: status, autograded score (and that the
gradebook holds the same), review flag, and the event, reason, structural finding or note
that explains it. Feedback generated for the cohort must never show hidden test source.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

from grader.course import Course
from grader.engine.cohort import grade_cohort
from grader.engine.preflight import stamp_release
from grader.engine.sandbox import Limits
from tests_support import REPO

FIXTURES = REPO / "tests" / "fixtures" / "hostile"
CASES = tomllib.loads((FIXTURES / "expectations.toml").read_text(encoding="utf-8"))["case"]
LIMITS = Limits(wall_seconds=12, memory_bytes=2 << 30)
FEEDBACK_PIPELINE = """
c.Execute.timeout = 4
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grader.engine.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
"""


def learner(case: dict) -> str:
    return case["name"].replace("_", "-")


def _inflate(path: Path, megabytes: int) -> None:
    """Give the notebook a saved output of ``megabytes`` MB, as a learner's long printout would."""
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * (megabytes << 20))]
    nbformat.write(notebook, str(path))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Course, dict]:
    root = tmp_path_factory.mktemp("hostile") / "course"
    Course.create(root, FIXTURES / "source", ["hostile"])
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(FEEDBACK_PIPELINE)
    course = Course(root)
    course.release("hostile")
    stamp_release(course, "hostile")
    for case in CASES:
        folder = course.submit("hostile", learner(case), FIXTURES / "submissions" / f"{case['name']}.ipynb")
        if case.get("inflate_output_mb"):
            _inflate(folder / "hostile.ipynb", case["inflate_output_mb"])
    outcomes = grade_cohort(course, "hostile", workers=2, limits=LIMITS, progress=False)
    return course, {outcome.learner: outcome for outcome in outcomes}


def _test_errors(course: Course, name: str) -> list[str]:
    """``Name: message`` of every error the test cells of a learner's graded notebook show."""
    path = course.step_dir(course.coursedir.autograded_directory, "hostile", name) / "hostile.ipynb"
    if not path.is_file():
        return []
    tests = [cell for cell in nbformat.read(path, as_version=4).cells
             if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")]
    return [f"{out.ename}: {out.evalue}" for cell in tests for out in cell.get("outputs", [])
            if out.output_type == "error"]


def _problems(case: dict, outcome, gradebook: dict[str, float], test_errors: list[str]) -> list[str]:
    problems = []
    if outcome.status != case["status"]:
        problems.append(f"status {outcome.status!r} ({outcome.message()})")
    if "score" in case and outcome.score != case["score"]:
        problems.append(f"score {outcome.score} instead of {case['score']}")
    if "score" in case and gradebook.get(outcome.learner) != case["score"]:
        problems.append(f"gradebook holds {gradebook.get(outcome.learner)} instead of {case['score']}")
    if "flagged" in case and outcome.flagged != case["flagged"]:
        problems.append(f"flagged={outcome.flagged} ({outcome.flags})")
    for key, values in (("event", outcome.events), ("reason", outcome.reasons), ("note", outcome.notes)):
        if key in case and not any(re.search(case[key], value) for value in values):
            problems.append(f"no {key} matching {case[key]!r} in {values}")
    if "finding" in case and case["finding"] not in [finding["code"] for finding in outcome.findings]:
        problems.append(f"no finding {case['finding']!r} in {[f['code'] for f in outcome.findings]}")
    for pattern in case.get("test_error", []):
        if not any(re.search(pattern, error) for error in test_errors):
            problems.append(f"no test error matching {pattern!r} in {test_errors}")
    return problems


@pytest.mark.nbgrader
def test_every_hostile_submission_is_graded_as_expected(cohort):
    course, outcomes = cohort
    scores = course.scores("hostile")
    autograded = scores[scores["kind"] == "autograded"].groupby("learner")["score"].sum().to_dict()
    failures = {case["name"]: _problems(case, outcomes[learner(case)], autograded,
                                        _test_errors(course, learner(case))) for case in CASES}
    failures = {name: problems for name, problems in failures.items() if problems}
    assert not failures, "\n".join(f"{name} ({next(c['attack'] for c in CASES if c['name'] == name)}): "
                                   + "; ".join(problems) for name, problems in failures.items())


@pytest.mark.nbgrader
def test_every_learner_has_a_log_and_a_record(cohort):
    course, outcomes = cohort
    folder = course.reports_dir("hostile") / "engine"
    for name, outcome in outcomes.items():
        assert outcome.status in (folder / f"{name}.log").read_text(encoding="utf-8")
        assert json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))["status"] == outcome.status
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["learners"]) == set(outcomes)


@pytest.mark.nbgrader
def test_feedback_shows_failure_messages_but_never_hidden_tests(cohort):
    course, _ = cohort
    for name in ("wrong-answers", "lying-value", "kernel-dies"):
        assert course.generate_feedback("hostile", name).ok
        html = next((course.root / "feedback" / name / "hostile").glob("*.html")).read_text(encoding="utf-8")
        assert "assert answer == 42" not in html and "is_monotonic_decreasing" not in html
        assert "BEGIN HIDDEN TESTS" not in html
    wrong = next((course.root / "feedback" / "wrong-answers" / "hostile").glob("*.html")).read_text(encoding="utf-8")
    assert "is not 6 × 7" in wrong


@pytest.mark.nbgrader
def test_fixture_files_are_what_build_py_builds(tmp_path):
    """The committed files match the fixture assignment (Module 01's copy is only 'another assignment')."""
    spec = importlib.util.spec_from_file_location("hostile_build", FIXTURES / "build.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    written = builder.build(*builder.released_notebooks(tmp_path / "release"), tmp_path / "built")
    stale = [path.name for path in written if path.name != "other_assignment.ipynb"
             and path.read_bytes() != (FIXTURES / "submissions" / path.name).read_bytes()]
    assert not stale, f"Rebuild the fixtures (python tests/fixtures/hostile/build.py): {stale} differ"
