"""Prove an assignment's tests through real ``nbgrader autograde``.

An assignment is only trustworthy when its tests can fail for the right reasons. For
one assignment this module grades, on a throwaway course directory:

- the source solution — it must earn every autograded point;
- every ``[[solution_variant]]`` of the wrong-answers file — another full-marks solution, such as the
  capstone built on another dataset, whose code replaces the solution's cell — it must earn them too;
- the released notebook untouched — it must earn none, and grading must finish;
- every typical wrong answer declared in ``assignments/wrong_answers/<assignment>.toml``
  — each must lose exactly the points it declares, cell by cell, and no others;
- the generic adversarial answers nobody writes (``grader.adversary``): empty containers,
  the right shape full of zeros, the right values under the wrong labels, one column or
  element changed — each must lose its question's value points.

The first three are graded one by one with plain nbgrader, the reference the engine is
compared with; the adversarial cohort, several times larger, through the grading engine.
Adding an assignment means writing its wrong answers; nothing here changes.

Every notebook of the assignment is proven: nbgrader assignments often have several
(its own example ``ps1`` has ``problem1`` and ``problem2``). A learner of the proof
submits all of them — the solution of every notebook but the one a wrong answer is
written in — so a wrong answer's ``loses`` names test cells of its own notebook, and
every other notebook must lose nothing. In an assignment of several notebooks each wrong
answer says which notebook it belongs in (``notebook = "problem1"``); in one of a single
notebook it need not. The proof grades in a throwaway copy of the course that keeps the
course's own ``nbgrader_config.py`` (timeouts, ``c.CxEngine.learner_kernel_tests``) but
never its gradebook.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from grader import notebooks
from grader.adversary import Attack, attack
from grader.course import AUTOGRADED, CONFIG_FILE, Course, GradingError
from grader.engine.plan import runnable_plans
from grader.grades import cell_label
from grader.intake import released_names

SOLUTION, BLANK = "solution", "blank"


@dataclass(frozen=True)
class WrongAnswer:
    """A mistake learners really make, written as the code they would write."""

    name: str
    why: str
    cell: str
    code: str
    loses: dict[str, float]
    notebook: str | None = None

    @property
    def learner(self) -> str:
        return f"wrong-{self.name}".replace("_", "-")


@dataclass
class Proof:
    """What grading showed, and every way it fell short of what was promised."""

    assignment: str
    autograded_points: float
    wrong_answers: list[WrongAnswer]
    scores: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    caught: int = 0
    attack: Attack = field(default_factory=Attack)
    typical_seconds: float = 0.0
    #: learner → what grading said when it was not a plain "autograded" (a crash, a cell stopped
    #: by the time limit): the reason a promise was missed is then in the proof, not lost.
    grading_notes: dict[str, str] = field(default_factory=dict)

    @property
    def proven(self) -> bool:
        return not self.problems and not self.attack.problems

    def summary(self) -> str:
        questions = len(self.scores.loc[self.scores["kind"] == "autograded", ["notebook", "cell"]].drop_duplicates())
        problems = len(self.problems) + len(self.attack.problems)
        return (
            f"{self.assignment}: {questions} autograded test cells worth {self.autograded_points:g} points; "
            f"{self.caught}/{len(self.wrong_answers)} wrong answers lose exactly their points; "
            f"{self.attack.summary()}; " + ("proven" if self.proven else f"{problems} problem(s)")
        )

    def timing(self) -> str:
        """How long each part took: the adversarial answers' share of a proof is worth watching."""
        return (f"proof took {self.typical_seconds + self.attack.seconds:.0f} s: solution, blank and typical wrong "
                f"answers {self.typical_seconds:.0f} s (plain nbgrader, one by one), generic adversarial answers "
                f"{self.attack.seconds:.0f} s (engine)")


def wrong_answers_file(source_dir: Path, assignment: str) -> Path:
    """Where an assignment's wrong answers are declared (beside ``source/``)."""
    return source_dir.parent / "wrong_answers" / f"{assignment}.toml"


def load_wrong_answers(path: Path) -> list[WrongAnswer]:
    """Read the ``[[wrong]]`` tables of a wrong-answers file."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("wrong", [])
    return [WrongAnswer(**{**entry, "code": entry["code"].strip()}) for entry in entries]


@dataclass(frozen=True)
class SolutionVariant(WrongAnswer):
    """Another full-marks solution (the capstone on another dataset): its code replaces the solution's cell."""

    loses: dict[str, float] = field(default_factory=dict)

    @property
    def learner(self) -> str:
        return f"variant-{self.name}".replace("_", "-")


def load_solution_variants(path: Path) -> list[SolutionVariant]:
    """Read the ``[[solution_variant]]`` tables of a wrong-answers file: each must lose nothing."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("solution_variant", [])
    return [SolutionVariant(**{**entry, "code": entry["code"].strip()}) for entry in entries]


#: A learner's submission in the proof: released notebook name → notebook.
Submission = dict[str, nbformat.NotebookNode]


def proof_course(source_dir: Path, workdir: Path, assignment: str) -> Course:
    """A throwaway course for ``assignment`` with the course's own configuration and its own gradebook.

    ``Course.create`` copies the repository's configuration; a course brought from elsewhere
    declares its own (which tests run in the learner's kernel, its timeouts), and a proof
    that ignored it would prove something else. The gradebook is pinned to the copy.
    """
    course = Course.create(workdir, source_dir, [assignment])
    own_config = source_dir.parent / CONFIG_FILE
    if own_config.is_file():
        (course.root / CONFIG_FILE).write_bytes(own_config.read_bytes())
    return Course(course.root, db_url=f"sqlite:///{course.root / 'gradebook.db'}")


def notebook_of(answer: WrongAnswer, names: list[str]) -> str:
    """The notebook a wrong answer is written in: declared, or the assignment's only one."""
    if answer.notebook is None and len(names) == 1:
        return names[0]
    if answer.notebook not in names:
        declared = f"names notebook {answer.notebook!r}" if answer.notebook else "names no notebook"
        raise GradingError(f"Wrong answer {answer.name!r} {declared}; this assignment has "
                           f"{', '.join(names)}: write notebook = \"<one of them>\" in its [[wrong]] table.")
    return answer.notebook


def _learner_notebooks(course: Course, assignment: str, wrong: list[WrongAnswer]) -> Iterator[tuple[str, Submission]]:
    """Solution, blank release and each wrong answer, every one a submission of all the assignment's notebooks."""
    names = released_names(course, assignment)
    where = {answer.name: notebook_of(answer, names) for answer in wrong}
    release = course.release(assignment)
    runnable_plans(course, assignment)  # a test the engine cannot run is refused before anything is graded
    sources = {name: notebooks.read(course.root / "source" / assignment / f"{name}.ipynb") for name in names}
    released = {name: notebooks.read(release / f"{name}.ipynb") for name in names}
    solution = {name: notebooks.fill_answers(released[name], notebooks.solutions(sources[name])) for name in names}
    yield SOLUTION, solution
    yield BLANK, released
    for answer in wrong:
        name = where[answer.name]
        answers = {**notebooks.solutions(sources[name]), answer.cell: answer.code}
        yield answer.learner, {**solution, name: notebooks.fill_answers(released[name], answers)}


def _check(proof: Proof, learner: str, lost_expected: dict[tuple[str, str], float], label: str) -> bool:
    """Record every test cell whose loss differs from the promise; True when there is none.

    Losses are keyed by (notebook, grade id): grade ids are unique within a notebook only.
    """
    before = len(proof.problems)
    mine = proof.scores[(proof.scores["learner"] == learner) & (proof.scores["kind"] == "autograded")]
    if mine.empty:
        proof.problems.append(f"{label}: no autograded scores recorded")
        return False
    several = proof.scores["notebook"].nunique() > 1
    lost = (mine["max_score"] - mine["score"]).set_axis(pd.MultiIndex.from_frame(mine[["notebook", "cell"]]))
    for (notebook, cell), points in lost.items():
        want = lost_expected.get((notebook, cell), 0.0)
        if abs(points - want) > 1e-9:
            proof.problems.append(f"{label}: test cell {cell_label(notebook, cell, several)} lost {points:g} points, "
                                  f"expected {want:g}")
    for notebook, cell in set(lost_expected) - set(lost.index):
        proof.problems.append(f"{label}: declares a loss in {cell_label(notebook, cell, several)}, which is not an "
                              "autograded test cell")
    if len(proof.problems) > before and learner in proof.grading_notes:
        proof.problems.append(f"{label}: grading said: {proof.grading_notes[learner]}")
    return len(proof.problems) == before


def _losses(answer: WrongAnswer, names: list[str]) -> dict[tuple[str, str], float]:
    """What a wrong answer promises to lose, keyed by (notebook, grade id): all of it in its own notebook."""
    notebook = notebook_of(answer, names)
    return {(notebook, cell): points for cell, points in answer.loses.items()}


def prove(assignment: str, source_dir: Path, workdir: Path, workers: int = 2) -> Proof:
    """Grade solution, blank, wrong and adversarial answers of one assignment in ``workdir`` and compare."""
    started = time.perf_counter()
    wrong = load_wrong_answers(wrong_answers_file(source_dir, assignment))
    variants = load_solution_variants(wrong_answers_file(source_dir, assignment))
    course = proof_course(source_dir, workdir, assignment)
    notes = {}
    for learner, submission in _learner_notebooks(course, assignment, [*wrong, *variants]):
        for name, notebook in submission.items():
            path = workdir / "inbox" / learner / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, str(path))
            course.submit(assignment, learner, path, name)
        graded = course.autograde(assignment, learner)
        if graded.message != AUTOGRADED:
            notes[learner] = graded.message
    scores = course.scores(assignment)
    auto = scores[(scores["kind"] == "autograded") & (scores["learner"] == SOLUTION)]
    proof = Proof(assignment, float(auto["max_score"].sum()), wrong, scores, grading_notes=notes)
    names = released_names(course, assignment)
    _check(proof, SOLUTION, {}, "solution")
    for variant in variants:
        _check(proof, variant.learner, {}, f"solution variant {variant.name!r}")
    _check(proof, BLANK, dict(zip(zip(auto["notebook"], auto["cell"]), auto["max_score"])), "released (blank) notebook")
    proof.caught = sum(_check(proof, answer.learner, _losses(answer, names), f"wrong answer {answer.name!r}")
                       for answer in wrong)
    proof.typical_seconds = time.perf_counter() - started
    proof.attack = attack(course, assignment, workers=workers)
    return proof
