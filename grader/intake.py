"""Accepting a cohort's submissions into nbgrader's ``submitted/`` folder.

Learners hand in whatever their browser or LMS produced: a renamed notebook, a file
cut off mid-download, an empty folder, nothing at all. Intake decides, per learner,
which notebook (if any) nbgrader should grade — for an assignment of several notebooks,
each released notebook by its name; a missing one is reported and, as in nbgrader,
scores 0 — says why in words an instructor can
act on, and records the outcome in ``reports/<assignment>/intake.json`` for the
grades export and the report. It never modifies the inbox, and it never overwrites
an earlier submission: a different one is moved to ``archive/`` first.
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from tqdm import tqdm

from grader.course import Course, GradingError

ACCEPTED = "accepted"
UNCHANGED = "unchanged"
MALFORMED = "malformed"
AMBIGUOUS = "ambiguous"
BAD_NAME = "bad-name"
NOTHING = "submitted nothing"
GRADABLE = (ACCEPTED, UNCHANGED)

#: A learner id: a folder name a person chose, checked with ``fullmatch`` (``$`` would let a trailing
#: newline through). A refused name is still reported, through ``grader.safe_text`` like all learner text.
LEARNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
IGNORED_NAMES = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
MAX_ZIP_BYTES = 1 << 30
#: Bounds on the grader's work per notebook, checked before any parse: validating a 3 MB
#: notebook of 20,000 one-line cells takes nbformat about 15 s; the course's have under 50 cells.
MAX_NOTEBOOK_BYTES = 256 << 20
MAX_CELLS = 1000
INTAKE_FILE = "intake.json"


@dataclass
class IntakeOutcome:
    """What intake did with one learner's folder, in words the instructor can act on."""

    learner: str
    status: str
    message: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notebook: str | None = None
    on_file: bool = False
    archived_to: str | None = None

    @property
    def message_matters(self) -> bool:
        """True when the message tells the instructor more than the status does."""
        return self.status not in GRADABLE or self.archived_to is not None

    @property
    def problem(self) -> bool:
        """True when the instructor should look at this learner's intake."""
        return self.status not in GRADABLE or bool(self.warnings)


@dataclass
class Intake:
    """The outcome of accepting one inbox: one entry per learner, plus notes about the inbox itself."""

    outcomes: list[IntakeOutcome]
    inbox_notes: list[str]


def accept(course: Course, assignment: str, inbox: Path, roster: Path | None = None) -> Intake:
    """Accept every learner folder of ``inbox`` (a folder or a .zip) for ``assignment``."""
    course.check_assignment(assignment)
    roster_ids = read_roster(roster) if roster else []
    with open_inbox(Path(inbox)) as folder:
        learner_dirs = {path.name: path for path in _visible(folder) if path.is_dir()}
        stray = [path.name for path in _visible(folder)
                 if path.is_file() and not (roster and path.resolve() == Path(roster).resolve())]
        outcomes = []
        for learner in tqdm(sorted(set(learner_dirs) | set(roster_ids)), desc=f"accept {assignment}",
                            unit="learner", disable=None):
            outcome = _accept_learner(course, assignment, learner, learner_dirs.get(learner))
            if roster and learner not in roster_ids:
                outcome.warnings.append(f"'{learner}' is not on the roster ({Path(roster).name}): "
                                        "check the folder name, or add the learner to the roster.")
            outcomes.append(outcome)
    save_intake(course, assignment, outcomes)
    notes = [f"Ignored file(s) at the top of the inbox: {', '.join(stray)}. Each learner's work belongs "
             "in a folder named after the learner."] if stray else []
    return Intake(outcomes, notes)


def read_roster(path: Path) -> list[str]:
    """Learner ids from a CSV with a header: the ``learner`` column, else the first one."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise GradingError(f"Cannot read the roster {path}: {error}. "
                           "Give a CSV file with a header row and a 'learner' column.") from error
    if len(rows) < 2:
        raise GradingError(f"The roster {path} lists no learners: "
                           "give a header row ('learner') and one learner id per line.")
    header = [name.strip().lower() for name in rows[0]]
    column = header.index("learner") if "learner" in header else 0
    ids = [row[column].strip() for row in rows[1:] if len(row) > column and row[column].strip()]
    return sorted(set(ids))


@contextlib.contextmanager
def open_inbox(inbox: Path) -> Iterator[Path]:
    """The inbox as a folder; a .zip is unpacked into a temporary folder that is removed after."""
    if not inbox.exists():
        raise GradingError(f"The inbox {inbox} does not exist: give a folder with one folder per "
                           "learner, or a .zip of such folders.")
    if inbox.is_dir():
        yield inbox
        return
    if not zipfile.is_zipfile(inbox):
        raise GradingError(f"The inbox {inbox} is neither a folder nor a .zip archive: "
                           "give a folder with one folder per learner, or a .zip of such folders.")
    with zipfile.ZipFile(inbox) as archive, tempfile.TemporaryDirectory(prefix="cx-inbox-") as temp:
        if sum(member.file_size for member in archive.infolist()) > MAX_ZIP_BYTES:
            raise GradingError(f"The archive {inbox} unpacks to more than {MAX_ZIP_BYTES >> 20} MB: "
                               "that is not a cohort of notebooks; check what was zipped.")
        archive.extractall(temp)
        yield _unwrap(Path(temp), inbox.stem)


def _unwrap(folder: Path, stem: str) -> Path:
    """Step into the single folder a zipped inbox usually wraps everything in (``inbox.zip/inbox/``)."""
    entries = list(_visible(folder))
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name == stem:
        return entries[0]
    return folder


def _visible(folder: Path) -> Iterator[Path]:
    """Entries a person put there: no hidden files, OS litter or symbolic links."""
    for path in sorted(folder.iterdir()):
        if not (path.name.startswith(".") or path.name in IGNORED_NAMES or path.is_symlink()):
            yield path


def _files(folder: Path) -> list[Path]:
    found = []
    for path in _visible(folder):
        found.extend(_files(path) if path.is_dir() else [path])
    return found


def _accept_learner(course: Course, assignment: str, learner: str, folder: Path | None) -> IntakeOutcome:
    """Decide what to take from one learner's folder, and place it."""
    if folder is None:
        outcome = IntakeOutcome(learner, NOTHING, "Submitted nothing: on the roster, but the inbox has no "
                                "folder for this learner. Remind them to submit.")
    elif not LEARNER_ID.fullmatch(learner):
        outcome = IntakeOutcome(learner, BAD_NAME, f"The folder name '{learner}' cannot be a learner id "
                                "(use letters, digits, '.', '_', '-', '@'): rename the folder and accept again.")
    else:
        outcome = _take_notebook(course, assignment, learner, folder)
    if outcome.status not in GRADABLE:
        _note_earlier(course, assignment, outcome)
    return outcome


def released_names(course: Course, assignment: str) -> list[str]:
    """The notebooks an assignment has (its source folder's), by name without ``.ipynb``."""
    folder = course.root / course.coursedir.source_directory / assignment
    return sorted(path.stem for path in folder.glob("*.ipynb")) or [assignment]


def _take_notebook(course: Course, assignment: str, learner: str, folder: Path) -> IntakeOutcome:
    names = released_names(course, assignment)
    if names != [assignment]:
        return _take_notebooks(course, assignment, learner, folder, names)
    expected = f"{assignment}.ipynb"
    files = _files(folder)
    notebooks = [path for path in files if path.suffix.lower() == ".ipynb"]
    others = [path for path in files if path not in notebooks]
    notes = [f"ignored {len(others)} file(s) that are not notebooks: "
             f"{', '.join(_rel(p, folder) for p in others)}"] if others else []
    named = [path for path in notebooks if path.name == expected]
    if len(named) == 1 or (not named and len(notebooks) == 1):
        chosen = (named or notebooks)[0]
        extra = [_rel(p, folder) for p in notebooks if p != chosen]
        if extra:
            notes.append(f"ignored other notebook(s): {', '.join(extra)}")
        outcome = _place(course, assignment, learner, {assignment: chosen}, folder)
        if chosen.name != expected and outcome.status in GRADABLE:
            outcome.warnings.append(f"The notebook was named '{chosen.name}'; accepted it as '{expected}'. "
                                    "Ask the learner to keep the released file name.")
    elif notebooks:
        outcome = IntakeOutcome(learner, AMBIGUOUS, f"Found {len(notebooks)} notebooks "
                                f"({', '.join(_rel(p, folder) for p in notebooks)}) and cannot tell which to "
                                f"grade: ask the learner, then leave only that one (or name it '{expected}') "
                                "and accept again.")
    elif files:
        outcome = IntakeOutcome(learner, NOTHING, f"Submitted nothing gradable: no notebook, only other "
                                f"files. Ask the learner to submit '{expected}'.")
    else:
        outcome = IntakeOutcome(learner, NOTHING, f"Submitted nothing: the folder is empty. "
                                f"Ask the learner to submit '{expected}'.")
    outcome.notes = notes + outcome.notes
    return outcome


def _take_notebooks(course: Course, assignment: str, learner: str, folder: Path, names: list[str]) -> IntakeOutcome:
    """Take each released notebook of a several-notebook assignment by its name."""
    files = _files(folder)
    notebooks = [path for path in files if path.suffix.lower() == ".ipynb"]
    found = {name: [path for path in notebooks if path.stem == name] for name in names}
    extra = [_rel(path, folder) for path in notebooks if path.stem not in names]
    expected = ", ".join(f"{name}.ipynb" for name in names)
    doubled = {name: paths for name, paths in found.items() if len(paths) > 1}
    if doubled:
        name, paths = next(iter(doubled.items()))
        return IntakeOutcome(learner, AMBIGUOUS, f"Found {len(paths)} copies of {name}.ipynb "
                             f"({', '.join(_rel(p, folder) for p in paths)}) and cannot tell which to grade: ask "
                             "the learner, then leave only that one and accept again.")
    chosen = {name: paths[0] for name, paths in found.items() if paths}
    if not chosen:
        what = f"only {', '.join(extra)}" if extra else ("only other files" if files else "an empty folder")
        return IntakeOutcome(learner, NOTHING, f"Submitted nothing gradable: none of the released notebooks "
                             f"({expected}), {what}. Ask the learner to submit them under their released names.")
    outcome = _place(course, assignment, learner, chosen, folder)
    missing = [f"{name}.ipynb" for name in names if name not in chosen]
    if missing and outcome.status in GRADABLE:
        outcome.warnings.append(f"{', '.join(missing)} not submitted: scores 0, as in nbgrader. Ask the learner "
                                "to submit it under its released name.")
    others = [_rel(path, folder) for path in files if path not in notebooks]
    outcome.notes += [f"ignored {label}: {', '.join(paths)}" for label, paths in
                      (("notebook(s) the assignment does not have", extra), ("file(s) that are not notebooks", others))
                      if paths]
    return outcome


def size_problem(path: Path) -> str | None:
    """Why a notebook is too large to grade, or None: read from its byte size and a count of its cells.

    The count is of the bytes ``"cell_type"``, an upper bound on the cells (inside a string
    its quotes are escaped), so a notebook is refused without being parsed.
    """
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return (f"is {size >> 20} MB, over the {MAX_NOTEBOOK_BYTES >> 20} MB a notebook may be: ask the learner to "
                "clear its outputs (Edit → Clear Outputs of All Cells), save and resubmit")
    cells = path.read_bytes().count(b'"cell_type"')
    if cells > MAX_CELLS:
        return (f"has {cells} cells, over the {MAX_CELLS} a notebook may have: ask the learner to resubmit the "
                "released notebook with their answers, without the extra cells")
    return None


def notebook_problem(path: Path) -> str | None:
    """Why nbgrader could not grade this file, or None when it is a valid notebook of a gradable size."""
    problem = size_problem(path)
    if problem:
        return problem
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return "is not valid JSON (the file is cut off, or is not a notebook)"
    try:
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    except Exception as error:  # noqa: BLE001 - nbformat raises several types for bad notebooks
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"is JSON but not a valid notebook ({detail[:120]})"
    return None


def _place(course: Course, assignment: str, learner: str, chosen: dict[str, Path], folder: Path) -> IntakeOutcome:
    """Put the chosen notebooks (released name → file) into ``submitted/``, all or none.

    One path for one notebook and for several, so a malformed file, an identical
    resubmission and the archiving of a different earlier one are decided the same way.
    """
    sources = ", ".join(_rel(path, folder) for path in chosen.values())
    for path in chosen.values():
        problem = notebook_problem(path)
        if problem:
            return IntakeOutcome(learner, MALFORMED, f"'{_rel(path, folder)}' {problem}, so the submission was not "
                                 "graded. Ask the learner to download the notebook again (JupyterLab: File → "
                                 "Download) and resubmit.", notebook=sources)
    target = course.step_dir(course.coursedir.submitted_directory, assignment, learner)
    earlier = {path.stem: path for path in target.glob("*.ipynb")} if target.is_dir() else {}
    if earlier.keys() == chosen.keys() and all(filecmp.cmp(earlier[name], path, shallow=False)
                                               for name, path in chosen.items()):
        return IntakeOutcome(learner, UNCHANGED, "Identical to the submission already on file; kept that one.",
                             notebook=sources, on_file=True)
    outcome = IntakeOutcome(learner, ACCEPTED, "Accepted.", notebook=sources, on_file=True)
    if target.exists():
        outcome.archived_to = str(_archive(course, assignment, learner, target))
        outcome.message = f"Accepted; the earlier, different submission was moved to {outcome.archived_to}."
    for name, path in chosen.items():
        course.submit(assignment, learner, path, name)
    return outcome


def _archive(course: Course, assignment: str, learner: str, submitted: Path) -> Path:
    """Move an earlier submission aside, into a folder named after the moment it was replaced."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    destination = course.archive_dir(assignment, learner) / stamp
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(submitted), str(destination))
    return destination


def _note_earlier(course: Course, assignment: str, outcome: IntakeOutcome) -> None:
    """A rejected resubmission leaves the earlier one in place; say that it is what gets graded."""
    target = course.step_dir(course.coursedir.submitted_directory, assignment, outcome.learner)
    if target.is_dir() and any(target.glob("*.ipynb")):
        outcome.on_file = True
        outcome.notes.append("the earlier submission on file stays and will be graded")


def _rel(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def intake_path(course: Course, assignment: str) -> Path:
    """Where the intake record of an assignment lives."""
    return course.reports_dir(assignment) / INTAKE_FILE


def save_intake(course: Course, assignment: str, outcomes: list[IntakeOutcome]) -> Path:
    """Record outcomes, replacing earlier records of the same learners and keeping the others."""
    records = {outcome.learner: outcome for outcome in load_intake(course, assignment)}
    records.update({outcome.learner: outcome for outcome in outcomes})
    path = intake_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"assignment": assignment,
               "learners": [asdict(records[learner]) for learner in sorted(records)]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_intake(course: Course, assignment: str) -> list[IntakeOutcome]:
    """The recorded intake outcomes of an assignment (none if it was never accepted)."""
    path = intake_path(course, assignment)
    if not path.is_file():
        return []
    return [IntakeOutcome(**record) for record in json.loads(path.read_text(encoding="utf-8"))["learners"]]
