"""Grade a whole cohort: N workers, each submission sandboxed, scores into nbgrader's gradebook.

``grade_cohort`` is the engine's entry point. It checks the sandbox works and builds the
trusted program of each notebook, then hands the learners to N worker processes (default:
one per core) — each checks, stages (``preflight``) and grades one learner at a time — and
shows a progress bar with counts, ETA and failures. Every learner gets a log and a JSON record in
``reports/<assignment>/engine/``; the run's summary is ``reports/<assignment>/engine/summary.json``.
One learner's broken notebook, exhausted limit or crashed worker never stops the others.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from grader.course import Course, GradingError
from grader.engine.outcome import FAILED, Outcome
from grader.engine.plan import runnable_plans
from grader.engine.preflight import released_notebooks
from grader.engine.sandbox import Limits, require_bwrap
from grader.engine.worker import WorkerSetup, serve

RESTARTS_PER_SLOT = 3


def engine_dir(course: Course, assignment: str) -> Path:
    """Where the engine keeps per-learner logs and the run summary of an assignment."""
    return course.reports_dir(assignment) / "engine"


def warm_dataset_cache() -> None:
    """Build the datasets' parquet cache once, here: sandboxes can read it but not write it."""
    from cxacademy.data.catalog import DATASETS
    from cxacademy.data.loader import CLEANING_VERSION, cache_dir

    missing = [name for name in DATASETS if not any(cache_dir().glob(f"{name}-*-v{CLEANING_VERSION}.parquet"))]
    if missing:
        code = "import sys\nfrom cxacademy.data import load\nfor name in sys.argv[1:]:\n    load(name)\n"
        subprocess.run([sys.executable, "-c", code, *missing], check=False, capture_output=True)


def grade_cohort(course: Course, assignment: str, learners: Sequence[str] | None = None, *,
                 workers: int | None = None, limits: Limits | None = None,
                 progress: bool = True) -> list[Outcome]:
    """Autograde ``learners`` (default: every submission) of ``assignment``; one outcome per learner.

    Scores, flags ("needs manual grade" and the notebook flag) and comments go into the
    course's nbgrader gradebook, SQLite or PostgreSQL alike; the outcomes say what
    happened to each learner in words. An empty ``learners`` list grades nobody.
    """
    started = time.perf_counter()
    course.check_assignment(assignment)
    names = sorted(learners) if learners is not None else course.submitted_learners(assignment)
    if learners is None and not names:
        raise GradingError(f"No submissions of {assignment} in {course.root / 'submitted'}: "
                           f"accept an inbox first (cx-grader accept {assignment} INBOX).")
    if not names:
        return []
    require_bwrap()
    plans = runnable_plans(course, assignment)
    released = released_notebooks(course, assignment, list(plans))
    warm_dataset_cache()
    workers = max(1, min(workers or os.cpu_count() or 1, len(names)))
    with tempfile.TemporaryDirectory(prefix="cx-engine-") as temp:
        staged_dir = course.root / ".cx-engine" / Path(temp).name
        setup = WorkerSetup(course.root, course.db_url, assignment, plans, released, limits or Limits(),
                            Path(temp), staged_dir)
        try:
            graded = _run(setup, names, workers, progress)
        finally:
            shutil.rmtree(staged_dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                staged_dir.parent.rmdir()
    outcomes = [graded[name] for name in names]
    where = {"declared to run in the learner's kernel (plain nbgrader's guarantees)":
             [f"{plan.notebook}/{cell.id}" for plan in plans.values() for cell in plan.learner_kernel_cells],
             "run in the clean room (calls to learner functions run in the learner's kernel)":
             [f"{plan.notebook}/{cell.id}" for plan in plans.values() for cell in plan.clean_cells if cell.test]}
    _write_records(course, assignment, outcomes, workers, time.perf_counter() - started, where)
    return outcomes


def _run(setup: WorkerSetup, learners: list[str], workers: int, progress: bool) -> dict[str, Outcome]:
    """Grade ``learners`` on ``workers`` processes, replacing any that die; show the progress bar."""
    pool = _Pool(setup, workers, learners)
    bar = tqdm(total=len(learners), desc=f"autograde {setup.assignment}", unit="learner",
               disable=not progress, dynamic_ncols=True)
    counts = {"failed": 0, "flagged": 0}
    done: dict[str, Outcome] = {}
    try:
        for outcome in pool.outcomes():
            done[outcome.learner] = outcome
            counts["failed"] += not outcome.ok
            counts["flagged"] += outcome.flagged
            bar.set_postfix(counts)
            bar.update(1)
    finally:
        pool.stop()
        bar.close()
    return done


class _Pool:
    """Worker processes sharing a task queue; a worker that dies is reported and replaced."""

    def __init__(self, setup: WorkerSetup, workers: int, learners: list[str]) -> None:
        self.setup, self.context = setup, multiprocessing.get_context("spawn")
        self.tasks, self.results = self.context.Queue(), self.context.Queue()
        self.pending = set(learners)
        for learner in learners:
            self.tasks.put(learner)
        for _ in range(workers):
            self.tasks.put(None)
        self.processes = {slot: self._start(slot) for slot in range(workers)}
        self.current: dict[int, str] = {}
        self.restarts = {slot: 0 for slot in range(workers)}

    def _start(self, slot: int) -> multiprocessing.Process:
        process = self.context.Process(target=serve, args=(self.setup, slot, self.tasks, self.results), daemon=True)
        process.start()
        return process

    def outcomes(self):
        """Yield each learner's outcome as soon as a worker finishes it."""
        while self.pending:
            try:
                message = self.results.get(timeout=1.0)
            except queue.Empty:
                yield from self._replace_dead()
                continue
            yield from self._handle(*message)

    def _handle(self, kind: str, slot: int, payload):
        if kind == "broken":
            raise GradingError(f"A grading worker could not start: {payload}")
        if kind == "started":
            self.current[slot] = payload
        elif payload.learner in self.pending:
            self.current.pop(slot, None)
            self.pending.discard(payload.learner)
            yield payload

    def _replace_dead(self):
        """Report the learner a crashed worker was grading and start a new worker in its slot."""
        for slot, process in list(self.processes.items()):
            if process.is_alive() or process.exitcode == 0:
                continue
            learner = self.current.pop(slot, None)
            if self.restarts[slot] >= RESTARTS_PER_SLOT:
                raise GradingError(f"Grading worker {slot} died {RESTARTS_PER_SLOT + 1} times "
                                   f"(last exit code {process.exitcode}); see the learners' logs.")
            self.restarts[slot] += 1
            self.processes[slot] = self._start(slot)
            if learner is not None:
                self.pending.discard(learner)
                yield Outcome(learner, FAILED, reasons=[f"the grading worker crashed (exit code {process.exitcode}) "
                                                        "while grading this learner: grade them again"])
        if not any(process.is_alive() for process in self.processes.values()):
            yield from self._leftovers()

    def _leftovers(self):
        """Every worker has finished: take their last messages, then report any learner still missing."""
        with contextlib.suppress(queue.Empty):
            while True:
                yield from self._handle(*self.results.get(timeout=1.0))
        for learner in sorted(self.pending):
            yield Outcome(learner, FAILED, reasons=["no grading worker was left to grade this learner: grade them again"])
        self.pending.clear()

    def stop(self) -> None:
        for process in self.processes.values():
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()


def _write_records(course: Course, assignment: str, outcomes: list[Outcome], workers: int, seconds: float,
                   where: dict[str, list[str]]) -> None:
    """Each learner's record, and the assignment's summary: counts, where each test ran, every learner's line."""
    folder = engine_dir(course, assignment)
    for outcome in outcomes:
        outcome.write(folder)
    summary = {
        "assignment": assignment, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "workers": workers, "seconds": round(seconds, 1),
        "graded": sum(o.ok for o in outcomes), "flagged": sum(o.flagged for o in outcomes),
        "not graded or failed": sum(not o.ok for o in outcomes),
        **where,
        "learners": {o.learner: {"status": o.status, "score": o.score, "max_score": o.max_score,
                                 "message": o.message()} for o in outcomes},
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
