"""One nbgrader course directory, driven through nbgrader's own API.

Everything that grades goes through ``NbGraderAPI`` and ``Gradebook``: this module only
loads the course's ``nbgrader_config.py`` (so its timeouts and stubs apply), places
files where nbgrader expects them, keeps nbgrader's chatter out of the terminal, and
turns nbgrader's result dictionaries into values a CLI or a test can act on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count
from pathlib import Path

import pandas as pd
import zmq
from nbgrader.api import Gradebook, GradeCell, MissingEntry
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_COURSE_DIR = REPO_ROOT / "assignments"
CONFIG_FILE = "nbgrader_config.py"
SCORE_COLUMNS = ["learner", "notebook", "cell", "kind", "score", "max_score", "needs_manual_grade"]
LOG_TAIL_LINES = 15
_logger_ids = count()
_EXCEPTION_LINE = re.compile(r"^\s*((?:[\w.]+\.)?\w*(?:Error|Exception)(?::.*)?)$", re.MULTILINE)


#: What a clean autograde of one learner reports.
AUTOGRADED = "autograded"


class GradingError(RuntimeError):
    """A course-level step failed (not one learner's notebook): the message says what to fix."""


@dataclass(frozen=True)
class StepResult:
    """What happened to one learner in one step; ``log`` is nbgrader's own account."""

    learner: str
    ok: bool
    message: str
    log: str


def nbgrader_timestamp(moment: datetime | None = None) -> str:
    """A submission time in the format nbgrader itself writes to ``timestamp.txt``."""
    return (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def log_tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log: enough to see why a step failed without drowning in it."""
    return "\n".join(text.strip().splitlines()[-lines:])


@contextlib.contextmanager
def quiet_nbgrader() -> Iterator[None]:
    """Hide the Python warnings nbgrader's dependencies raise on every run (see FACTS.md).

    SQLAlchemy 2.1 raises an SAWarning per autograde, and others raise deprecation
    warnings; none says anything an instructor can act on, and they would bury the
    messages that do.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _load_config(root: Path, db_url: str | None) -> Config:
    """The course's own config file, with the root (and gradebook) pinned to this directory."""
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    # Releasing again replaces the exchange's copy, as generate_assignment replaces release/.
    config.ExchangeReleaseAssignment.force = True
    if zmq.has("curve"):
        # Kernels encrypt their local traffic instead of warning on every notebook that
        # they do not (ipykernel 7.4); the kernelspec declares CurveZMQ support.
        config.KernelManager.transport_encryption = "auto"
    return config


def _put_environment_on_path() -> None:
    """Let nbgrader find the ``alembic`` command of the environment it is installed in.

    nbgrader's Gradebook shells out to ``alembic`` when it creates a gradebook; run as
    ``.venv/bin/cx-grader`` without an activated environment, that command is not on PATH.
    """
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [bin_dir, os.environ.get("PATH")]))


def _private_logger() -> logging.Logger:
    """A logger that keeps nbgrader's output for ``StepResult.log`` instead of the terminal."""
    logger = logging.getLogger(f"grader.nbgrader.{next(_logger_ids)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.NullHandler())
    return logger


class Course:
    """An nbgrader course directory: ``source/`` in, releases, grades and feedback out."""

    def __init__(self, root: Path, db_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        if not (self.root / CONFIG_FILE).is_file():
            raise GradingError(
                f"{self.root} is not a course directory: it has no {CONFIG_FILE}. "
                f"Point --course-dir at one (the repository's is {DEFAULT_COURSE_DIR})."
            )
        _put_environment_on_path()
        self.config = _load_config(self.root, db_url)
        self.log = _private_logger()
        with quiet_nbgrader():
            self.coursedir = CourseDirectory(config=self.config, log=self.log)
            self.api = NbGraderAPI(coursedir=self.coursedir, config=self.config, log=self.log)

    @classmethod
    def create(cls, root: Path, source_dir: Path, assignments: list[str] | None = None,
               db_url: str | None = None) -> Course:
        """A fresh course directory holding copies of the repository's config and sources.

        Tests and sandboxes grade in such a copy so that they never touch the
        repository's own release/submitted/autograded folders or gradebook.
        """
        root, source_dir = Path(root), Path(source_dir)
        names = assignments if assignments is not None else _folders(source_dir)
        missing = [name for name in names if not (source_dir / name).is_dir()]
        if missing:
            raise GradingError(f"No source folder for {', '.join(missing)} in {source_dir}: "
                               f"check the assignment names (found: {', '.join(_folders(source_dir))}).")
        taken = [name for name in names if (root / "source" / name).exists()]
        if taken:
            raise GradingError(f"{root} already holds source/{', source/'.join(taken)}: "
                               "create the course in an empty folder.")
        (root / "source").mkdir(parents=True, exist_ok=True)
        shutil.copy2(DEFAULT_COURSE_DIR / CONFIG_FILE, root / CONFIG_FILE)
        for name in names:
            shutil.copytree(source_dir / name, root / "source" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        return cls(root, db_url=db_url)

    @property
    def db_url(self) -> str:
        """Where the gradebook lives (SQLite in the course directory unless configured)."""
        return self.coursedir.db_url

    def assignments(self) -> list[str]:
        """Assignment names: the folders under ``source/``."""
        return _folders(self.root / self.coursedir.source_directory)

    def step_dir(self, step: str, assignment: str, learner: str = ".") -> Path:
        """Where nbgrader keeps ``step`` (release, submitted, autograded, feedback) for a learner."""
        return Path(self.coursedir.format_path(step, learner, assignment))

    def reports_dir(self, assignment: str) -> Path:
        """Where the CLI writes an assignment's intake record, grades and report."""
        return self.root / "reports" / assignment

    def archive_dir(self, assignment: str, learner: str) -> Path:
        """Where earlier submissions go when a learner submits again."""
        return self.root / "archive" / learner / assignment

    def check_assignment(self, assignment: str) -> None:
        """Fail with the list of known assignments when ``assignment`` has no source folder."""
        if assignment not in self.assignments():
            raise GradingError(
                f"There is no assignment '{assignment}' in {self.root / 'source'}: "
                f"choose one of {', '.join(self.assignments()) or '(none yet)'}."
            )

    def release(self, assignment: str) -> Path:
        """Generate the learners' version (solutions and hidden tests stripped)."""
        self.check_assignment(assignment)
        with quiet_nbgrader():
            result = self.api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not release '{assignment}': {_reason(result)}. "
                f"Fix the source notebook in {self.root / 'source' / assignment} and release again.\n"
                f"{log_tail(result.get('log', ''))}"
            )
        return self.step_dir(self.coursedir.release_directory, assignment)

    def publish(self, assignment: str) -> Path:
        """Put the released version into nbgrader's exchange, where learners' Assignment List finds it.

        On one machine the exchange is a folder (``Exchange.root``); on a JupyterHub it is the
        shared folder every learner's server reads. Releasing again replaces what is there.
        """
        with quiet_nbgrader():
            result = self.api.release_assignment(assignment)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not put '{assignment}' into the exchange at {self.exchange_root}: "
                f"{_reason(result)}. Check that the folder exists and is writable, then release again.\n"
                f"{log_tail(result.get('log', ''))}"
            )
        return self.exchange_root / self.coursedir.course_id / "outbound" / assignment

    def collect(self, assignment: str) -> list[str]:
        """Bring the learners' submissions from the exchange into ``submitted/`` (nbgrader's collect).

        On a JupyterHub learners submit to the shared exchange; the engine then grades what collect
        put into ``submitted/``, like any other intake. Returns who has a submission now.
        """
        self.check_assignment(assignment)
        with quiet_nbgrader():
            result = self.api.collect(assignment)
        if not result["success"]:
            raise GradingError(f"nbgrader could not collect '{assignment}' from the exchange at {self.exchange_root}: "
                               f"{_reason(result)}.\n{log_tail(result.get('log', ''))}")
        return self.submitted_learners(assignment)

    def publish_feedback(self, assignment: str) -> list[str]:
        """Put the feedback of learners who submitted through the exchange there, for their Assignment List.

        nbgrader matches feedback to a learner by the secret their submission got from the exchange
        (``submission_secret.txt``); a notebook accepted from a folder has none and is skipped.
        Returns the learners whose feedback was published.
        """
        learners = [learner for learner in self.submitted_learners(assignment)
                    if (self.step_dir(self.coursedir.feedback_directory, assignment, learner)
                        / "submission_secret.txt").is_file()]
        for learner in learners:
            with quiet_nbgrader():
                result = self.api.release_feedback(assignment, learner)
            if not result["success"]:
                raise GradingError(f"nbgrader could not put {learner}'s feedback of '{assignment}' into the "
                                   f"exchange at {self.exchange_root}: {_reason(result)}.\n"
                                   f"{log_tail(result.get('log', ''))}")
        return learners

    @property
    def exchange_root(self) -> Path:
        """Where release, fetch, submit and collect meet (nbgrader's ``Exchange.root``)."""
        return Path(self.config.Exchange.root)

    def submit(self, assignment: str, learner: str, notebook: Path, name: str | None = None) -> Path:
        """Place a notebook (as ``name``.ipynb, default the assignment's) where nbgrader looks for it; no checks."""
        folder = self.step_dir(self.coursedir.submitted_directory, assignment, learner)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, folder / f"{name or assignment}.ipynb")
        (folder / "timestamp.txt").write_text(nbgrader_timestamp() + "\n")
        return folder

    def submitted_learners(self, assignment: str) -> list[str]:
        """Learners with a submission folder for this assignment."""
        with quiet_nbgrader():
            return sorted(self.api.get_submitted_students(assignment))

    def autograde(self, assignment: str, learner: str) -> StepResult:
        """Autograde one learner; a broken notebook becomes a failed result, never an exception."""
        result = self._run(self.api.autograde, assignment, learner, force=True, create=True)
        if not result["success"]:
            return StepResult(learner, False,
                              f"nbgrader could not autograde this submission: {_reason(result)}. "
                              "Read the log, fix or replace the notebook, and autograde again.",
                              _full_log(result))
        timed_out = self._timed_out_cells(assignment, learner)
        message = AUTOGRADED
        if timed_out:
            message = (f"{len(timed_out)} cell(s) ran past the time limit and were stopped "
                       f"({', '.join(timed_out)}); the rest was graded. Look there for a loop that never ends.")
        return StepResult(learner, True, message, _full_log(result))

    def generate_feedback(self, assignment: str, learner: str) -> StepResult:
        """Write a learner's feedback HTML from their autograded notebook."""
        result = self._run(self.api.generate_feedback, assignment, learner, force=True)
        if not result["success"]:
            return StepResult(learner, False,
                              f"nbgrader could not write feedback: {_reason(result)}. "
                              "Autograde this learner first, then generate feedback again.",
                              _full_log(result))
        folder = self.step_dir(self.coursedir.feedback_directory, assignment, learner)
        return StepResult(learner, True, f"feedback in {folder}", _full_log(result))

    def _run(self, step, assignment: str, learner: str, **kwargs) -> dict:
        """Call an NbGraderAPI step; whatever goes wrong is reported, not raised."""
        try:
            with quiet_nbgrader():
                return step(assignment, learner, **kwargs)
        except Exception as error:  # noqa: BLE001 - one learner must never stop the cohort
            return {"success": False, "error": f"{type(error).__name__}: {error}", "log": ""}

    def _timed_out_cells(self, assignment: str, learner: str) -> list[str]:
        """grade_ids (or cell numbers) of cells the per-cell timeout stopped."""
        folder = self.step_dir(self.coursedir.autograded_directory, assignment, learner)
        names = []
        for path in sorted(folder.glob("*.ipynb")):
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            for number, cell in enumerate(cells, start=1):
                if any(out.get("ename") == "CellTimeoutError" for out in cell.get("outputs", [])):
                    names.append(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {number}"))
        return names

    def scores(self, assignment: str) -> pd.DataFrame:
        """One row per (learner, grade cell) for every learner the gradebook has a submission of."""
        order = self._grade_cell_order(assignment)
        with quiet_nbgrader(), Gradebook(self.db_url, self.coursedir.course_id) as gradebook:
            try:
                submissions = gradebook.find_assignment(assignment).submissions
            except MissingEntry:
                return pd.DataFrame(columns=SCORE_COLUMNS)
            rows = [row for submission in submissions for row in _submission_rows(submission)]
        frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
        frame["_order"] = frame["cell"].map(lambda cell: order.get(cell, len(order)))
        frame = frame.sort_values(["learner", "_order", "cell"]).drop(columns="_order")
        return frame.astype({"score": float, "max_score": float, "needs_manual_grade": bool}).reset_index(drop=True)

    def grade_cells(self, assignment: str) -> pd.DataFrame:
        """The assignment's graded cells as released: notebook, cell (grade_id), kind, max_score, in notebook order."""
        order = self._grade_cell_order(assignment)
        with quiet_nbgrader(), Gradebook(self.db_url, self.coursedir.course_id) as gradebook:
            try:
                notebooks = gradebook.find_assignment(assignment).notebooks
            except MissingEntry:
                return pd.DataFrame(columns=["notebook", "cell", "kind", "max_score"])
            rows = [(notebook.name, cell.name, _kind(cell, {c.name for c in notebook.solution_cells}),
                     cell.max_score)
                    for notebook in notebooks for cell in [*notebook.grade_cells, *notebook.task_cells]]
        frame = pd.DataFrame(rows, columns=["notebook", "cell", "kind", "max_score"]).astype({"max_score": float})
        frame["_order"] = frame["cell"].map(lambda cell: order.get(cell, len(order)))
        return frame.sort_values(["_order", "cell"]).drop(columns="_order").reset_index(drop=True)

    def _grade_cell_order(self, assignment: str) -> dict[str, int]:
        """Position of each grade cell in the source notebooks, so tables follow the notebook."""
        ids = []
        for path in sorted((self.root / self.coursedir.source_directory / assignment).glob("*.ipynb")):
            for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if meta.get("grade"):
                    ids.append(meta.get("grade_id"))
        return {grade_id: position for position, grade_id in enumerate(ids)}


def _kind(cell, answer_names: set[str]) -> str:
    """A code test cell is autograded; answers a person grades, and tasks, are manual."""
    autograded = isinstance(cell, GradeCell) and cell.cell_type == "code" and cell.name not in answer_names
    return "autograded" if autograded else "manual"


def _submission_rows(submission) -> Iterator[tuple]:
    for notebook in submission.notebooks:
        answers = {cell.name for cell in notebook.notebook.solution_cells}
        for grade in notebook.grades:
            yield (submission.student.id, notebook.name, grade.name, _kind(grade.cell, answers),
                   grade.score, grade.max_score, grade.needs_manual_grade)


def _folders(path: Path) -> list[str]:
    if not path.is_dir():
        return []
    return sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _reason(result: dict) -> str:
    """The one line of nbgrader's failure that says what went wrong.

    nbgrader's own last words are "see the above traceback"; the cause is the last
    exception named inside that traceback.
    """
    text = f"{result.get('log') or ''}\n{result.get('error') or ''}"
    causes = [match.group(1) for match in _EXCEPTION_LINE.finditer(text)
              if "NbGraderException" not in match.group(1)]
    if causes:
        return causes[-1].rstrip(".")
    errors = [line.removeprefix("[ERROR]").strip() for line in text.splitlines() if line.startswith("[ERROR]")]
    return errors[0] if errors else "unknown error (see the log)"


def _full_log(result: dict) -> str:
    return "\n".join(part for part in (result.get("log"), result.get("error")) if part)
