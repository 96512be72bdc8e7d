"""cx-grader end to end on a throwaway course: release → accept → autograde → feedback → export → report."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from typer.testing import CliRunner

from grader import notebooks
from grader.cli import app
from grader.course import Course
from grader.demo_cohort import build_cohort
from grader.sample_assignment import write_sample_assignment

ASSIGNMENT = "sample"
REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, f"cx-grader {' '.join(args)} failed:\n{result.output}\n{result.exception!r}"
    return result.output


def write_learner(inbox: Path, learner: str, released: nbformat.NotebookNode, answers: dict[str, str],
                  name: str = f"{ASSIGNMENT}.ipynb") -> None:
    folder = inbox / learner
    folder.mkdir(parents=True)
    nbformat.write(notebooks.fill_answers(released, answers), str(folder / name))


def make_inbox(course: Course, inbox: Path) -> Path:
    """A cohort with every kind of submission; returns the roster."""
    released = notebooks.read(course.step_dir("release", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    right = {"q1_answer": "answer = 42", "q2_written": "Because customers said so."}
    write_learner(inbox, "good", released, right)
    write_learner(inbox, "partial", released, {"q1_answer": "answer = 41"})
    write_learner(inbox, "blank", released, {})
    write_learner(inbox, "raises", released, {"q1_answer": "answer = 1 / 0"})
    write_learner(inbox, "misnamed", released, right, name="homework (1).ipynb")
    (inbox / "broken").mkdir()
    (inbox / "broken" / f"{ASSIGNMENT}.ipynb").write_text(nbformat.writes(released)[:200])
    (inbox / "empty").mkdir()
    roster = inbox.parent / "roster.csv"
    roster.write_text("learner\n" + "\n".join(["good", "partial", "blank", "raises", "misnamed", "broken",
                                                "empty", "absent"]) + "\n")
    return roster


@pytest.fixture
def course(tmp_path: Path) -> Course:
    source = write_sample_assignment(tmp_path / "src", ASSIGNMENT).parent
    return Course.create(tmp_path / "course", source)


@pytest.mark.nbgrader
def test_the_whole_grading_cycle(course, tmp_path):
    env = {"CXA_DB_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}"}
    where = ["--course-dir", str(course.root)]
    assert "Released sample" in run("release", *where, env=env)
    roster = make_inbox(course, tmp_path / "inbox")

    accepted = run("accept", ASSIGNMENT, str(tmp_path / "inbox"), "--roster", str(roster), *where, env=env)
    assert "misnamed: warning: The notebook was named 'homework (1).ipynb'" in accepted
    assert "broken: 'sample.ipynb' is not valid JSON" in accepted

    graded = run("autograde", ASSIGNMENT, *where, env=env)
    assert "learner" in graded and "status" in graded and "score" in graded
    assert "good      needs manual grading" in graded
    again = run("autograde", ASSIGNMENT, *where, env=env)
    assert "Skipping 5 learner(s)" in again and "good      needs manual grading" in again

    assert "feedback in" in run("feedback", ASSIGNMENT, *where, env=env)
    assert (course.root / "feedback" / "misnamed" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert (tmp_path / "elsewhere.db").is_file() and not (course.root / "gradebook.db").exists()

    run("export", *where, env=env)
    grades = pd.read_csv(course.root / "reports" / "grades.csv").set_index("learner")
    assert list(grades.columns[:5]) == ["assignment", "status", "total", "max", "notes"]
    assert list(grades.columns[5:]) == ["q1", "q2"]
    assert (grades["max"] == 5).all()
    expected = {
        "good": ("needs manual grading", 3.0), "misnamed": ("needs manual grading", 3.0),
        "partial": ("graded", 1.0), "blank": ("graded", 0.0), "raises": ("graded", 0.0),
        "broken": ("not graded: malformed notebook", None), "empty": ("submitted nothing", None),
        "absent": ("submitted nothing", None),
    }
    for learner, (status, total) in expected.items():
        assert grades.loc[learner, "status"] == status, learner
        assert (pd.isna(grades.loc[learner, "total"]) if total is None else grades.loc[learner, "total"] == total)
    assert grades.loc["good", "q1"] == 3 and pd.isna(grades.loc["good", "q2"])
    assert grades.loc["partial", "q1"] == 1 and grades.loc["partial", "q2"] == 0
    assert "homework (1).ipynb" in grades.loc["misnamed", "notes"]

    run("report", ASSIGNMENT, *where, env=env)
    html = (course.root / "reports" / ASSIGNMENT / "report.html").read_text()
    for heading in ("Score distribution per question", "Checks most often failed", "Totals per learner",
                    "Intake problems"):
        assert f">{heading}</h2>" in html
    assert html.count("data:image/png;base64,") == 2
    assert "raised ZeroDivisionError: division by zero, so `answer` was never stored" in html
    for learner in ("broken", "empty", "absent", "misnamed"):
        assert f"<td>{learner}</td>" in html


def test_course_level_mistakes_exit_with_a_message(course, tmp_path):
    where = ["--course-dir", str(course.root)]
    result = runner.invoke(app, ["autograde", "m99", *where])
    assert result.exit_code == 1 and "no assignment 'm99'" in result.output
    result = runner.invoke(app, ["autograde", ASSIGNMENT, *where])
    assert result.exit_code == 1 and "accept an inbox first" in result.output
    result = runner.invoke(app, ["release", "--course-dir", str(tmp_path)])
    assert result.exit_code == 1 and "not a course directory" in result.output


@pytest.mark.nbgrader
def test_demo_builds_and_grades_a_cohort(course, tmp_path):
    cohorts = tmp_path / "cohorts"
    cohorts.mkdir()
    (cohorts / f"{ASSIGNMENT}.toml").write_text(
        'roster = ["ana", "ben", "cy"]\n'
        '[learners.ana]\nsolutions = "all"\n'
        '[learners.ben]\nform = "truncated"\n'
        '[learners.cy]\nform = "empty"\n'
    )
    run("build-demo-cohort", ASSIGNMENT, "--cohorts", str(cohorts), "--course-dir", str(course.root))
    assert (cohorts / ASSIGNMENT / "cy" / ".gitkeep").is_file()
    (course.root / f"{ASSIGNMENT}.toml").write_text('[competencies]\nq1 = { research = 1.0 }\nq2 = { strategy = 1.0 }\n')
    output = run("demo", "--course-dir", str(course.root), "--cohorts", str(cohorts))
    assert output.rstrip().endswith("Open the course in JupyterLab: make lab")
    assert f"Competency report: {course.root / 'reports' / 'competencies.html'}" in output
    grades = pd.read_csv(course.root / "reports" / "grades.csv").set_index("learner")
    assert grades.loc["ana", "total"] == 3 and grades.loc["ana", "status"] == "needs manual grading"
    assert grades.loc["ben", "status"] == "not graded: malformed notebook"
    assert grades.loc["cy", "status"] == "submitted nothing"


@pytest.mark.nbgrader
@pytest.mark.parametrize("answers", sorted((REPO / "assignments" / "demo_cohort").glob("*.toml")), ids=lambda p: p.stem)
def test_the_shipped_demo_cohort_matches_its_answers_file(answers, tmp_path):
    built = build_cohort(answers.stem, answers, tmp_path / answers.stem)
    shipped = answers.parent / answers.stem
    files = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file())
    stale = [name for name in files if (built / name).read_bytes() != (shipped / name).read_bytes()]
    assert not stale, (f"The demo cohort is out of date with {answers.stem} ({stale}): run "
                       f".venv/bin/cx-grader build-demo-cohort {answers.stem}")
