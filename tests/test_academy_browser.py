"""The academy in a real browser: what a learner and an instructor see on the hub.

A learner logs in through the hub's login page, opens a Module 01 lesson, runs it, answers one
exercise, and sees a widget render and the self-checks' verdicts; then fetches the released
assignment from *Nbgrader → Assignment List*, validates and submits it. The instructor logs in,
opens the formgrader, collects, and sees that learner's submission.

Why a browser and not the REST endpoints the other hub tests use: the academy is a product
people click through. A lesson whose widgets do not render (a lab extension missing from the
hub's environment), a menu that is not there, a login page that loops, all pass a REST test.
So every assertion here is on text in the page, and expected texts come from the course's own
code and data (``cxacademy.text``, the lessons' self-checks), never typed in.

The browser is Debian's chromium (``scripts/install_system_deps.sh``) driven by the
``playwright`` package from PyPI; ``playwright install`` (which downloads a browser build) is
never run. Screenshots of every step, and of the page at a failure, are kept in
``tests/artifacts/academy_browser/`` (ignored by git), replaced on each run.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from academy_support import Academy, academy_state_dir, missing_parts, start_academy, stop_academy
from academy_support import academy as academy_cli
from cxacademy.data import load
from cxacademy.metrics import top_box
from cxacademy.practice import m01_survey_scores
from cxacademy.text import t
from tests_support import REPO

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (a test dependency) is not installed")

pytestmark = pytest.mark.academy

CHROMIUM = Path("/usr/bin/chromium")
#: Measured to work headless as root on these machines (FACTS.md, "JupyterHub for a multi-user academy").
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-sync"]
ARTIFACTS = REPO / "tests" / "artifacts" / "academy_browser"
ASSIGNMENT = "m01_voice_of_customer"
#: The Module 01 lesson with a widget (the NPS interval explorer) and self-checks.
LESSON = "course/01_customer_research/02_survey_scores_with_uncertainty.ipynb"
#: What the learner types into the lesson's first exercise: the lesson's own names, the right formula.
TOP2_ANSWER = 'top2_pct = top_box(reviews["rating"])'
#: A slow step on a loaded 2-core machine (a server spawning, a notebook running) may take this long.
STEP_TIMEOUT_MS = 240_000
#: Fictional learner for this test (example.com).
ROSTER = "name,email,cohort\nBrowser Learner,browser.learner@example.com,test-cohort\n"


@pytest.fixture(scope="module")
def academy(tmp_path_factory) -> Iterator[Academy]:
    """A running academy with one learner, and m01 released into its exchange by the instructor."""
    missing = missing_parts()
    if missing:
        pytest.skip(missing)
    roster = tmp_path_factory.mktemp("roster") / "roster.csv"
    roster.write_text(ROSTER)
    state = academy_state_dir()
    running = start_academy(roster, state)
    try:
        course = academy_cli.home(running.instructor) / academy_cli.INSTRUCTOR_COURSE
        running.run_as(running.instructor, "cx-grader", "release", ASSIGNMENT, "--course-dir", str(course))
        yield running
    finally:
        stop_academy(running)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: run  bash scripts/install_system_deps.sh  (it installs chromium)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@contextlib.contextmanager
def step(page: playwright_api.Page, name: str, subject: playwright_api.Locator | None = None) -> Iterator[None]:
    """Keep a screenshot after a step (scrolled to ``subject`` when given), or of the page when the step failed.

    A notebook lays out only the cells near the screen, so one scroll lands short of a cell far down
    (the cells above it grow as they are laid out): scrolling again lands on it.
    """
    try:
        yield
    except BaseException:
        page.screenshot(path=ARTIFACTS / f"{name}-FAILED.png")
        raise
    if subject is not None:
        for _ in range(3):
            subject.evaluate("node => node.scrollIntoView({block: 'center'})")
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def log_in(browser: playwright_api.Browser, academy: Academy, user: str, role: str) -> playwright_api.Page:
    """A person's own browser window: the hub's login form, then JupyterLab once the server has spawned."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    with step(page, f"{role}-login"):
        page.goto(f"{academy.url}/hub/login")
        page.locator("#username_input").fill(user)
        page.locator("#password_input").fill(academy.password)
        page.locator("#login_submit").click()
        page.wait_for_url(re.compile(rf"/user/{re.escape(user)}/lab"))
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).wait_for()
    return page


def open_menu(page: playwright_api.Page, menu: str) -> playwright_api.Locator:
    """Open one of JupyterLab's menus; returns the open menu, whose items are clicked by their text."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    return page.locator(".lm-Menu-content")


def test_learner_runs_a_lesson_and_sees_its_widget_and_self_checks(browser, academy):
    learner = academy.learners[0]
    answer = top_box(load("womens_ecommerce_reviews")["rating"])
    verdict_answered = m01_survey_scores.check_top2_pct(answer).message
    verdict_unanswered = m01_survey_scores.check_trend_interval(None).message
    page = log_in(browser, academy, learner, "learner")

    answered = page.get_by_text(verdict_answered, exact=True)
    with step(page, "learner-lesson-answered", answered):
        page.goto(f"{academy.url}/user/{learner}/lab/tree/{LESSON}")
        exercise = page.locator(".jp-CodeCell .cm-content", has_text="top2_pct = None")
        exercise.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(TOP2_ANSWER)
        open_menu(page, "Run").get_by_text("Run All Cells", exact=True).click()
        answered.wait_for()
        page.get_by_text(verdict_unanswered, exact=True).wait_for()
    slider = page.locator(".widget-slider", has_text=t("widget.sample_size"))
    with step(page, "learner-lesson-widget", slider):
        slider.wait_for()
        assert page.locator(".widget-slider", has_text=t("widget.promoters")).count() == 1


def test_learner_submits_m01_and_the_instructor_sees_it_in_the_formgrader(browser, academy):
    learner = academy.learners[0]
    page = log_in(browser, academy, learner, "learner")
    with step(page, "learner-assignment-list"):
        nbgrader_menu = open_menu(page, "Nbgrader")
        assert "Formgrader" not in nbgrader_menu.inner_text(), "the formgrader is for instructors only"
        nbgrader_menu.get_by_text("Assignment List", exact=True).click()
        released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
        released.get_by_role("button", name="Fetch").click()
        fetched = page.locator("#fetched_assignments_list > .list_item", has_text=ASSIGNMENT)
        fetched.wait_for()
    with step(page, "learner-validated"):
        fetched.locator("a.assignment-notebooks-link").click()
        fetched.locator(".nested_list_item", has_text=ASSIGNMENT).get_by_role("button", name="Validate").click()
        results = page.locator(".jp-Dialog")
        results.get_by_text("Validation Results").wait_for()
        # The released notebook is unanswered: nbgrader names the checks that fail on it.
        assert "failed" in results.inner_text()
    results.get_by_role("button").last.click()
    with step(page, "learner-submitted"):
        fetched.get_by_role("button", name="Submit").click()
        submitted = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
        submitted.wait_for()
        assert submission_timestamp(academy, learner) in submitted.inner_text()

    page = log_in(browser, academy, academy.instructor, "instructor")
    with step(page, "instructor-collected"):
        open_menu(page, "Nbgrader").get_by_text("Formgrader", exact=True).click()
        formgrader = page.frame_locator("iframe").first
        row = formgrader.locator("tr", has_text=ASSIGNMENT).first
        row.locator("td.collect a").click()
        collected = formgrader.locator(".modal-dialog")
        collected.get_by_text(f"Successfully collected submissions of '{ASSIGNMENT}'").wait_for()
        assert f"Collecting submission: {learner} {ASSIGNMENT}" in collected.inner_text()
        collected.get_by_role("button", name="OK").click()
    with step(page, "instructor-submissions"):
        playwright_api.expect(row.locator("td.num-submissions")).to_have_text("1")
        row.locator("td.num-submissions a").click()
        submission = formgrader.locator("tr", has_text=learner)
        playwright_api.expect(submission).to_contain_text("needs autograding")


def submission_timestamp(academy: Academy, learner: str) -> str:
    """The time of the learner's one submission, as nbgrader wrote it into the exchange's inbound."""
    exchange = academy_cli.Layout(academy.state).exchange
    (submission,) = exchange.glob(f"*/inbound/{learner}+{ASSIGNMENT}+*")
    return submission.name.split("+")[2]
