"""Grading a cohort in parallel gives the serial scores, on SQLite and PostgreSQL, for real assignments.

- Two workers and one worker grade the same mixed cohort to identical gradebooks.
- A PostgreSQL gradebook (a throwaway server the test starts on loopback) works too.
- Every real assignment through the engine: the solution earns every autograded point, the
  released notebook none, and each typical wrong answer loses exactly the points nbgrader's
  own proof (tests/test_assignments.py) says it loses, so engine and plain nbgrader agree.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader import notebooks
from grader.course import Course
from grader.engine.cohort import grade_cohort
from grader.engine.preflight import stamp_release
from grader.engine.sandbox import Limits, privileged
from grader.prove import load_wrong_answers, wrong_answers_file
from tests_support import REPO, assignments

HOSTILE = REPO / "tests" / "fixtures" / "hostile"
MIXED = ["solution", "blank", "wrong_answers", "deleted_test", "kernel_dies", "redefine_helpers", "lying_value",
         "malformed_json"]
LIMITS = Limits(wall_seconds=30)


def hostile_course(root: Path, db_url: str | None = None) -> Course:
    course = Course.create(root, HOSTILE / "source", ["hostile"], db_url=db_url)
    course.release("hostile")
    stamp_release(course, "hostile")
    for name in MIXED:
        course.submit("hostile", name.replace("_", "-"), HOSTILE / "submissions" / f"{name}.ipynb")
    return course


def gradebook(course: Course) -> list[tuple]:
    scores = course.scores("hostile")
    return sorted(map(tuple, scores[["learner", "cell", "score", "needs_manual_grade"]].itertuples(index=False)))


@pytest.mark.nbgrader
def test_two_workers_give_exactly_the_scores_of_one(tmp_path):
    serial, parallel = hostile_course(tmp_path / "serial"), hostile_course(tmp_path / "parallel")
    one = grade_cohort(serial, "hostile", workers=1, limits=LIMITS, progress=False)
    two = grade_cohort(parallel, "hostile", workers=2, limits=LIMITS, progress=False)
    assert gradebook(serial) == gradebook(parallel)
    assert [(o.learner, o.status, o.score, o.flagged) for o in one] == \
        [(o.learner, o.status, o.score, o.flagged) for o in two]


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: run `sudo bash scripts/install_system_deps.sh` (make test does).")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port, removed afterwards."""
    binaries, port = _postgres_bin(), _free_port()
    folder = Path(tempfile.mkdtemp(prefix="cx-pg-"))
    as_owner = ["runuser", "-u", "postgres", "--"] if privileged() else []
    if privileged():
        shutil.chown(folder, "postgres", "postgres")
    data, log = folder / "data", folder / "server.log"
    subprocess.run([*as_owner, binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
                    "-E", "UTF8"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_owner, binaries / "pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_owner, binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.nbgrader
def test_a_postgresql_gradebook_gets_the_same_scores(tmp_path, postgres):
    course = hostile_course(tmp_path / "course", db_url=postgres)
    outcomes = {o.learner: o for o in grade_cohort(course, "hostile", workers=2, limits=LIMITS, progress=False)}
    assert not (course.root / "gradebook.db").exists()
    scores = course.scores("hostile")
    totals = scores[scores["kind"] == "autograded"].groupby("learner")["score"].sum().to_dict()
    assert totals == {"solution": 6, "blank": 0, "wrong-answers": 2, "deleted-test": 4, "kernel-dies": 3,
                      "redefine-helpers": 0, "lying-value": 3}
    assert outcomes["malformed-json"].status == "not graded"
    assert outcomes["redefine-helpers"].flagged and not outcomes["solution"].flagged


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", assignments())
def test_real_assignments_through_the_engine_lose_exactly_the_points_their_wrong_answers_declare(assignment, tmp_path):
    source_dir = REPO / "assignments" / "source"
    course = Course.create(tmp_path / "course", source_dir, [assignment])
    released = notebooks.read(course.release(assignment) / f"{assignment}.ipynb")
    solution = notebooks.solutions(notebooks.read(source_dir / assignment / f"{assignment}.ipynb"))
    wrong = load_wrong_answers(wrong_answers_file(source_dir, assignment))
    cohort = {"solution": notebooks.fill_answers(released, solution), "blank": released}
    cohort |= {answer.learner: notebooks.fill_answers(released, {**solution, answer.cell: answer.code})
               for answer in wrong}
    for learner, notebook in cohort.items():
        path = tmp_path / "inbox" / learner / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, str(path))
        course.submit(assignment, learner, path)
    outcomes = grade_cohort(course, assignment, workers=os.cpu_count(), progress=False)
    assert all(o.ok and not o.flagged for o in outcomes), [o.message() for o in outcomes if not o.ok or o.flagged]
    scores = course.scores(assignment)
    auto = scores[scores["kind"] == "autograded"]
    lost = (auto["max_score"] - auto["score"]).groupby([auto["learner"], auto["cell"]]).sum()
    full = auto[auto["learner"] == "solution"].set_index("cell")["max_score"].to_dict()
    expected = {"solution": {}, "blank": full} | {answer.learner: answer.loses for answer in wrong}
    wrongly = {learner: {cell: points for cell, points in lost[learner].items() if points != losses.get(cell, 0)}
               for learner, losses in expected.items()}
    assert not {learner: cells for learner, cells in wrongly.items() if cells}
