"""One grading worker: a process that autogrades one learner at a time with nbgrader's own app.

Each worker loads the course once, keeps a clean room per notebook warm, and for every
learner runs nbgrader's Autograde in-process (no command-line start-up) with
``SandboxedExecute`` in place of ``Execute``. Gradebook writes are serialised across
workers by a file lock held for the whole Autograde run *except* while the sandboxed
kernel and the clean room work, so execution runs in parallel while SQLite (or PostgreSQL)
only ever sees one writer from this engine at a time.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import itertools
import os
import shutil
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, GradeCell
from nbgrader.apps.api import NbGraderAPI
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbformat import NotebookNode
from traitlets.config import Config

from grader.course import Course, _full_log, _reason, quiet_nbgrader
from grader.engine.cleanrun import CleanRoom
from grader.engine.execute import LearnerBox, NotebookReport, SandboxedExecute, bind_session
from grader.engine.outcome import FAILED, GRADED, Outcome
from grader.engine.plan import NotebookPlan
from grader.engine.preflight import Task, stage
from grader.engine.sandbox import HOME, Limits, Sandbox

DB_RETRIES = 3
SANDBOX_ATTEMPTS = 2


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker process needs, picklable: where the course is and how to grade."""

    course_root: Path
    db_url: str | None
    assignment: str
    plans: dict[str, NotebookPlan]
    released: dict[str, NotebookNode]
    limits: Limits
    run_dir: Path
    staged_dir: Path


class GradebookLock:
    """A lock file shared by all workers of a run: one nbgrader gradebook writer at a time."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """Let other workers use the gradebook while this one only executes code."""
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_EX)


def engine_config(course: Course, staged_dir: Path) -> Config:
    """The course's nbgrader config, with sandboxed execution and staged submissions as input."""
    config = copy.deepcopy(course.config)
    configured = config.Autograde.get("autograde_preprocessors")
    pipeline = list(configured or Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = [SandboxedExecute if _is_execute(step) else step for step in pipeline]
    config.CourseDirectory.submitted_directory = os.path.relpath(staged_dir, course.root)
    return config


def _is_execute(step: object) -> bool:
    return step is Execute or (isinstance(step, type) and issubclass(step, Execute)) or \
        (isinstance(step, str) and step.rsplit(".", 1)[-1] == "Execute")


@dataclass
class WorkerSession:
    """A worker's long-lived state: course, sandbox slot, clean rooms, and the learner in progress."""

    setup: WorkerSetup
    slot: int
    reports: list[NotebookReport] = field(default_factory=list)
    sandbox_failed: bool = False

    def __post_init__(self) -> None:
        self.course = Course(self.setup.course_root, db_url=self.setup.db_url)
        self.limits = self.setup.limits
        self.lock = GradebookLock(self.setup.run_dir / "gradebook.lock")
        self.sandbox = Sandbox(self.slot, self.limits, self.setup.run_dir / f"slot-{self.slot}")
        config = engine_config(self.course, self.setup.staged_dir)
        coursedir = CourseDirectory(config=config, log=self.course.log)
        self.api = NbGraderAPI(coursedir=coursedir, config=config, log=self.course.log)
        self._boxes = itertools.count()
        self._clean = {name: CleanRoom(self.sandbox, plan, self.sandbox.root / f"cleanroom-{name}.log")
                       for name, plan in self.setup.plans.items()}

    def plan(self, notebook: str) -> NotebookPlan:
        return self.setup.plans[notebook]

    def cleanroom(self, notebook: str) -> CleanRoom:
        return self._clean[notebook]

    def record(self, report: NotebookReport) -> None:
        self.reports.append(report)

    def box(self, learner: str, notebook: str, autograded: Path) -> LearnerBox:
        """A fresh host folder for one learner's sandbox, and the files its kernel may see."""
        folder, uid = self.sandbox.root / f"learner-{next(self._boxes)}", self.sandbox.new_learner_uid()
        (folder / "ipc").mkdir(parents=True)
        os.chmod(folder / "ipc", 0o700)
        self.sandbox.hand_over(folder / "ipc", uid)
        files = [path for path in sorted(autograded.iterdir())
                 if path.suffix != ".ipynb" and not path.name.startswith(".")]
        files.append(self.setup.staged_dir / learner / self.setup.assignment / f"{notebook}.ipynb")
        return LearnerBox(folder, files, HOME / self.setup.assignment, uid)

    def grade(self, learner: str) -> Outcome:
        """Check, stage and autograde one learner; whatever goes wrong becomes the outcome, never an exception."""
        started = time.perf_counter()
        try:
            staged = stage(self.course, self.setup.assignment, learner, self.setup.released, self.setup.staged_dir)
            outcome = staged.outcome if staged.task is None else self._grade(staged.task)
            outcome.findings = staged.outcome.findings
        except Exception as error:  # noqa: BLE001 - one learner must never stop the cohort
            outcome = Outcome(learner, FAILED, reasons=[f"grading failed: {type(error).__name__}: {error}"],
                              log=traceback.format_exc())
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _grade(self, task: Task) -> Outcome:
        outcome = Outcome(task.learner, FAILED, notes=list(task.notes))
        try:
            result = self._autograde(task.learner)
            outcome.log = _full_log(result)
            if result["success"]:
                self._finish(task, outcome)
            else:
                outcome.reasons.append(f"nbgrader could not autograde this submission: {_reason(result)}")
        finally:
            self._keep_kernel_logs(outcome)
        return outcome

    def _autograde(self, learner: str) -> dict:
        """nbgrader's Autograde for one learner, retried when the sandbox failed to start a kernel
        or another program held the database: neither is the learner's doing."""
        for attempt in range(max(DB_RETRIES, SANDBOX_ATTEMPTS)):
            self.reports, self.sandbox_failed = [], False
            with quiet_nbgrader(), self.lock.held():
                result = self.api.autograde(self.setup.assignment, learner, force=True, create=True)
            retry = (self.sandbox_failed and attempt + 1 < SANDBOX_ATTEMPTS) or \
                ("database is locked" in _full_log(result) and attempt + 1 < DB_RETRIES)
            if result["success"] or not retry:
                return result
            time.sleep(1 + attempt)
        return result

    def _finish(self, task: Task, outcome: Outcome) -> None:
        """Turn the notebook reports into the outcome, and mark flags in the gradebook."""
        outcome.status = GRADED
        flags = list(task.flags)
        for report in self.reports:
            outcome.events += ([report.stop_reason] if report.stop_reason else []) + report.events
            outcome.notes += report.notes
            flags += report.flags
            outcome.timings[report.notebook] = {"learner kernel": round(report.learner_seconds, 2),
                                                "clean room": round(report.clean_seconds, 2)}
            outcome.calls.update({f"{report.notebook}: {name}": {"count": count, "seconds": round(seconds, 3)}
                                  for name, (count, seconds) in report.calls.items()})
        outcome.flags = [reason for _, reason in flags]
        with quiet_nbgrader(), self.lock.held(), \
                Gradebook(self.course.db_url, self.course.coursedir.course_id) as gradebook:
            submission = gradebook.find_submission(self.setup.assignment, task.learner)
            cells = {cell for cell, _ in flags if cell}
            for notebook in submission.notebooks:
                notebook.flagged = notebook.flagged or bool(flags)
                for grade in notebook.grades:
                    if grade.name in cells:
                        grade.needs_manual_grade = True
            gradebook.db.commit()
            outcome.score, outcome.max_score = _autograded_total(submission)

    def _keep_kernel_logs(self, outcome: Outcome) -> None:
        """Append what the sandboxes printed to the learner's log, then remove their folders."""
        for folder in sorted(self.sandbox.root.glob("learner-*")):
            log = folder / "kernel.log"
            if log.is_file() and log.stat().st_size:
                outcome.log += f"\n--- sandboxed kernel ({folder.name}) ---\n" + log.read_text(errors="replace")[-4000:]
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        for room in self._clean.values():
            room.close()
        self.sandbox.close()


def _autograded_total(submission) -> tuple[float, float]:
    """Points earned and available in the autograded test cells of a submission."""
    earned = available = 0.0
    for notebook in submission.notebooks:
        answers = {cell.name for cell in notebook.notebook.solution_cells}
        for grade in notebook.grades:
            cell = grade.cell
            if isinstance(cell, GradeCell) and cell.cell_type == "code" and cell.name not in answers:
                earned += float(grade.score or 0)
                available += float(grade.max_score or 0)
    return earned, available


def serve(setup: WorkerSetup, slot: int, tasks, results) -> None:
    """A worker process's main loop: grade tasks until told to stop (a None task)."""
    try:
        session = WorkerSession(setup, slot)
        bind_session(session)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which stops the run
        results.put(("broken", slot, f"{type(error).__name__}: {error}"))
        return
    try:
        while (learner := tasks.get()) is not None:
            results.put(("started", slot, learner))
            results.put(("done", slot, session.grade(learner)))
    finally:
        session.close()
