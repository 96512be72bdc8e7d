"""One machine, two roles: what the instructor releases reaches the learner's Assignment List.

``cx-grader release`` puts each assignment into nbgrader's exchange; a learner's JupyterLab
(``make lab``, configured by ``deploy/lab/learner/``) lists it, fetches it into the
learner's workspace, validates and submits it; the instructor collects the submission.
The learner's view has no instructor tools. Everything here is nbgrader's own exchange
code and a real Jupyter server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeList, ExchangeSubmit
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.validator import Validator
from traitlets.config import Config, PyFileConfigLoader
from typer.testing import CliRunner

from grader import notebooks
from grader.cli import app
from grader.course import Course
from tests_support import REPO

ASSIGNMENT = "m01_voice_of_customer"
LEARNER_CONFIG = REPO / "deploy" / "lab" / "learner"


def _learner_config(course: Course, workspace: Path) -> Config:
    """The learner side as deploy/lab/learner sets it up, pointed at this test's course."""
    config = Config()
    config.CourseDirectory.course_id = course.coursedir.course_id
    config.Exchange.root = str(course.exchange_root)
    config.Exchange.assignment_dir = str(workspace)
    config.Exchange.cache = str(workspace.parent / "nbgrader_cache")
    return config


def _exchange_step(step, config: Config):
    """One of nbgrader's exchange steps, set up as its Assignment List server extension sets it up."""
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = ASSIGNMENT
    return step(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)


@pytest.mark.nbgrader
def test_release_reaches_the_learner_who_fetches_validates_and_submits(tmp_path):
    course = Course.create(tmp_path / "course", REPO / "assignments" / "source", [ASSIGNMENT])
    result = CliRunner().invoke(app, ["release", ASSIGNMENT, "--course-dir", str(course.root)])
    assert result.exit_code == 0, result.output
    assert "learners fetch it from" in result.output

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    config = _learner_config(course, workspace)
    listed = _exchange_step(ExchangeList, config).start()
    assert [(entry["course_id"], entry["assignment_id"]) for entry in listed] == \
        [(course.coursedir.course_id, ASSIGNMENT)]

    _exchange_step(ExchangeFetchAssignment, config).start()
    fetched = workspace / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    released = notebooks.read(course.step_dir("release", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    assert notebooks.read(fetched).cells == released.cells

    solution = notebooks.solutions(notebooks.read(course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    nbformat.write(notebooks.fill_answers(released, solution), str(fetched))
    validation = Validator(config=course.config).validate(str(fetched))
    assert not validation.get("failed") and not validation.get("changed"), validation

    previous = Path.cwd()
    os.chdir(workspace)
    try:
        _exchange_step(ExchangeSubmit, config).start()
    finally:
        os.chdir(previous)
    collected = course.api.collect(ASSIGNMENT)
    assert collected["success"], collected.get("log")
    learners = course.submitted_learners(ASSIGNMENT)
    assert len(learners) == 1
    submitted = course.step_dir("submitted", ASSIGNMENT, learners[0]) / f"{ASSIGNMENT}.ipynb"
    assert notebooks.solutions(notebooks.read(submitted)) == notebooks.solutions(notebooks.read(fetched))


def test_the_learner_view_shares_the_course_id_and_exchange_with_the_instructor():
    learner = PyFileConfigLoader("nbgrader_config.py", path=str(LEARNER_CONFIG)).load_config()
    course = PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "assignments")).load_config()
    assert learner.CourseDirectory.course_id == course.CourseDirectory.course_id
    assert learner.Exchange.root == course.Exchange.root


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except urllib.error.URLError:
        return 0, ""


def _page_config(page: str) -> dict:
    """The page config JupyterLab embeds in its HTML (which extensions load)."""
    start = page.index('id="jupyter-config-data"')
    body = page[page.index(">", start) + 1:]
    return json.loads(body[:body.index("</script>")])


@pytest.fixture
def learner_lab(tmp_path):
    """A real JupyterLab started as `make lab` starts it (in the learner's folder, exchange created), on loopback."""
    (REPO / "assignments" / "exchange").mkdir(exist_ok=True)
    port, token = _free_port(), "learner-view-test"
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(LEARNER_CONFIG)}
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--allow-root"]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if _get(f"{base}/api/status?token={token}")[0] == 200:
                break
            time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.nbgrader
def test_the_learner_view_has_the_assignment_list_but_no_instructor_tools(learner_lab):
    base, token = learner_lab
    assert _get(f"{base}/formgrader?token={token}")[0] == 404
    status, page = _get(f"{base}/lab?token={token}")
    assert status == 200
    disabled = set(_page_config(page)["disabledExtensions"])
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= disabled
    assert "@jupyter/nbgrader:assignment-list" not in disabled
    listed_status, listed = _get(f"{base}/assignments?course_id=cx-director-academy&token={token}")
    assert listed_status == 200 and json.loads(listed)["success"], listed
