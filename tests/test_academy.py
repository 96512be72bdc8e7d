"""The local academy end to end: a real JupyterHub on loopback, started and stopped by the tests.

The instructor releases Module 01's assignment; two learners fetch it, answer (one with the
solution, one with a typical wrong answer from ``assignments/wrong_answers/``) and submit, all
through their single-user servers' REST endpoints; the instructor collects and grades with the
engine (``cx-grader``), releases feedback, which the learners fetch; grades are exported. The
exported numbers must equal what the engine gives the same notebooks in a course of its own,
and the wrong answer must lose exactly the points its file declares. The same run is repeated
with the gradebook on a throwaway PostgreSQL server. Roster changes must reach the hub and the
gradebook, and stopping must leave nothing running.
"""

from __future__ import annotations

import csv
import json
import pwd
from pathlib import Path

import nbformat
import pytest

from academy_support import (Academy, academy, academy_state_dir, apply_roster, missing_parts, start_academy,
                             stop_academy)
from cxacademy import profile
from grader import notebooks
from grader.course import Course
from grader.engine.cohort import grade_cohort
from grader.engine.preflight import stamp_release
from grader.grades import learner_table, save_autograde
from grader.prove import load_wrong_answers
from test_engine_cohort import postgres  # noqa: F401  (the throwaway PostgreSQL server fixture)
from tests_support import REPO

pytestmark = [pytest.mark.academy, pytest.mark.skipif(missing_parts() is not None, reason=missing_parts() or "")]

ASSIGNMENT = "m01_voice_of_customer"
COURSE_ID = "cx-director-academy"
SOURCE = REPO / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
WRONG = load_wrong_answers(REPO / "assignments" / "wrong_answers" / f"{ASSIGNMENT}.toml")[0]
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
ROSTER = [("Ada Example", "ada.example@example.com", "2027-spring"),
          ("Ben Sample", "ben.sample@example.com", "2027-spring"),
          ("Chloe Placeholder", "chloe.placeholder@example.com", "2027-autumn")]


def write_roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "email", "cohort"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Academy:
    """One academy (SQLite gradebook) shared by this module's tests; stopped at the end."""
    roster = write_roster(tmp_path_factory.mktemp("roster") / "roster.csv", ROSTER)
    started = start_academy(roster, academy_state_dir())
    yield started
    stop_academy(started)


def cx_grader(hub: Academy, *argv: str) -> str:
    """Run cx-grader as the instructor on the instructor's course; its output."""
    return hub.run_as(hub.instructor, "cx-grader", *argv, "--course-dir", "grading").stdout


def answer_through_server(hub: Academy, learner: str, answers: dict[str, str]) -> None:
    """Write answers into the fetched notebook through the learner's server (the Contents API)."""
    fetched = hub.server(learner, "GET", f"/api/contents/{NOTEBOOK}", params={"content": 1}).json()
    filled = notebooks.fill_answers(nbformat.from_dict(fetched["content"]), answers)
    hub.server(learner, "PUT", f"/api/contents/{NOTEBOOK}",
               json={"type": "notebook", "format": "json", "content": filled})


def assignment_action(hub: Academy, learner: str, action: str) -> dict:
    """nbgrader's Assignment List action (fetch, submit, fetch_feedback) on the learner's server."""
    reply = hub.server(learner, "POST", f"/assignments/{action}",
                       data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}).json()
    assert reply["success"], f"{action} failed for {learner}: {reply}"
    return reply


def engine_totals(submitted: dict[str, Path], workdir: Path) -> dict[str, float]:
    """What the engine gives these notebooks in a fresh course of its own: learner → total."""
    course = Course.create(workdir, REPO / "assignments" / "source", [ASSIGNMENT],
                           db_url=f"sqlite:///{workdir / 'gradebook.db'}")
    course.release(ASSIGNMENT)
    stamp_release(course, ASSIGNMENT)
    for learner, notebook in submitted.items():
        course.submit(ASSIGNMENT, learner, notebook)
    outcomes = grade_cohort(course, ASSIGNMENT, sorted(submitted), progress=False)
    save_autograde(course, ASSIGNMENT, [outcome.step_result() for outcome in outcomes])
    table = learner_table(course, ASSIGNMENT)
    return dict(zip(table["learner"], table["total"].astype(float)))


def run_course(hub: Academy, workdir: Path) -> None:
    """Release → fetch → answer → submit → collect → grade → feedback → fetch feedback → export, checked."""
    right, wrong = hub.learners[:2]
    cx_grader(hub, "release", ASSIGNMENT)
    source = notebooks.read(SOURCE)
    solution = notebooks.solutions(source)
    for learner in (right, wrong):
        hub.start_server(learner)
        listed = assignment_action(hub, learner, "fetch")["value"]
        assert [item["status"] for item in listed if item["assignment_id"] == ASSIGNMENT] == ["fetched"]
    answer_through_server(hub, right, solution)
    answer_through_server(hub, wrong, {**solution, WRONG.cell: WRONG.code})
    for learner in (right, wrong):
        assignment_action(hub, learner, "submit")

    assert f"{len([right, wrong])} learner(s)" in cx_grader(hub, "collect", ASSIGNMENT)
    cx_grader(hub, "autograde", ASSIGNMENT)
    cx_grader(hub, "feedback", ASSIGNMENT)
    cx_grader(hub, "competencies")  # puts each learner's profile into their feedback pages
    for learner in (right, wrong):
        assignment_action(hub, learner, "fetch_feedback")
        feedback = hub.server(learner, "GET", f"/api/contents/{ASSIGNMENT}/feedback").json()["content"]
        files = [item["name"] for stamp in feedback
                 for item in hub.server(learner, "GET", f"/api/contents/{stamp['path']}").json()["content"]]
        assert f"{ASSIGNMENT}.html" in files, f"{learner} fetched no feedback: {feedback}"
        fetched = profile.learner_profile([academy.home(learner)])
        assert not fetched.demo and fetched.learner == learner, "the fetched feedback carries the learner's profile"

    exported = cx_grader(hub, "export", ASSIGNMENT)
    grades_csv = Path(exported.split("Grades: ")[-1].strip())
    with open(grades_csv, newline="", encoding="utf-8") as handle:
        hub_totals = {row["learner"]: float(row["total"]) for row in csv.DictReader(handle)}

    course = academy.home(hub.instructor) / "grading"
    submitted = {learner: course / "submitted" / learner / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
                 for learner in (right, wrong)}
    assert hub_totals == engine_totals(submitted, workdir)
    autograded_points = Course(course).grade_cells(ASSIGNMENT).query("kind == 'autograded'")["max_score"].sum()
    assert hub_totals[right] == autograded_points
    assert hub_totals[right] - hub_totals[wrong] == sum(WRONG.loses.values())


def test_a_cohort_runs_end_to_end_on_the_hub(running, tmp_path):
    run_course(running, tmp_path / "engine")


def test_the_gradebook_can_live_on_postgresql(postgres, tmp_path):  # noqa: F811  (the fixture)
    roster = write_roster(tmp_path / "roster.csv", ROSTER[:2])
    hub = start_academy(roster, academy_state_dir(), db_url=postgres)
    try:
        config = (academy.home(hub.instructor) / "grading" / "nbgrader_config.py").read_text()
        assert f"c.CourseDirectory.db_url = {postgres!r}" in config  # where the formgrader reads it
        run_course(hub, tmp_path / "engine")
        assert "postgresql" in Course(academy.home(hub.instructor) / "grading").db_url
    finally:
        stop_academy(hub)


def gradebook_students(hub: Academy) -> set[str]:
    listing = hub.run_as(hub.instructor, "python", "-c", "import json, pathlib\n"
                         "from nbgrader.api import Gradebook\nfrom grader.course import Course\n"
                         "c = Course(pathlib.Path('grading'))\n"
                         "with Gradebook(c.db_url, c.coursedir.course_id) as g: "
                         "print(json.dumps([s.id for s in g.students]))").stdout
    return set(json.loads(listing))


def test_roster_changes_reach_the_hub_and_the_gradebook(running, tmp_path):
    newcomer = ("Dan Invented", "dan.invented@example.com", "2027-autumn")
    changed = apply_roster(running, write_roster(tmp_path / "roster.csv", [*ROSTER[1:], newcomer]))
    leaver, joiner = running.learners[0], academy.user_name(newcomer[1], running.settings["user_prefix"])
    hub_users = {user["name"] for user in running.api("GET", "/users").json()}
    students = gradebook_students(running)
    # The first learner submitted in the end-to-end test, so the gradebook keeps their grades.
    has_submissions = (academy.home(running.instructor) / "grading" / "submitted" / leaver).is_dir()
    assert changed.learners == [*running.learners[1:], joiner]
    assert joiner in hub_users and leaver not in hub_users
    assert joiner in students and (leaver in students) == has_submissions
    assert not academy.user_exists(leaver)
    groups = {group["name"]: set(group["users"]) for group in running.api("GET", "/groups").json()}
    assert groups["cohort-2027-autumn"] == {academy.user_name(ROSTER[2][1], running.settings["user_prefix"]), joiner}


def test_stopping_leaves_nothing_running(running):
    running.start_server(running.learners[-1])
    layout = academy.Layout(running.state)
    hub_pid, proxy_pid = int(layout.pid_file.read_text()), int((layout.hub / "proxy.pid").read_text())
    services = academy.children_of(hub_pid)
    assert services, "the hub runs the idle culler as a service"
    users = academy.load_settings(running.state)["created_users"]
    uids = [pwd.getpwnam(user).pw_uid for user in users]
    assert academy.processes_with_uid(pwd.getpwnam(running.learners[-1]).pw_uid)
    stop_academy(running)
    assert not academy.alive(hub_pid) and not academy.alive(proxy_pid)
    assert not [pid for pid in services if academy.alive(pid)]
    assert all(not academy.processes_with_uid(uid) for uid in uids)
    assert all(not academy.user_exists(user) for user in users)
    with pytest.raises(OSError):
        academy.hub_api(running.settings, "GET", "/")
