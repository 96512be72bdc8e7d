"""Generic adversarial answers: every autograded question must fail answers nobody wrote for it.

Typical wrong answers (``assignments/wrong_answers/``) prove the mistakes an author thought
of. This module proves what nobody thinks to write down: that an empty container of the
right type, the right shape filled with nonsense, or the right values under the wrong
labels earns nothing. It needs nothing per assignment; adding a question adds its attacks.

What is attacked. A question is the grade_id prefix before the first "_"
(``grader.grades.question_of``). Its *answers* are the names its answer cell binds
(``grader.engine.plan.bound_names``) that its test cells read (the plan's ``needs``). Its
*value tests* are its test cells with a hidden-test region — the ones that compare with
the data — or all its test cells when it has no hidden test.

How. The solution notebook runs in a probe kernel (``grader.adversary_probe``, sent as text);
right after each answer cell the kernel describes each answer, and from that the harness
writes, as plain Python the learner's kernel runs after the solution's own code:

- whole-answer variants: an empty container of the same type (a DataFrame keeps its
  columns and dtypes); the same shape filled with 0, with NaN, or with its first value
  (row) repeated; the same index with each row holding the next row's values; the values
  in place with each index label moved to the next row (Series, DataFrame); for tuples,
  which are positional, the elements reversed and rotated. Lists, dicts and sets are
  treated as collections: their order is never attacked.
- part variants, one per DataFrame column, tuple element and dict entry: numbers scaled by
  1.1 and shifted by 1, text and other columns rotated among the rows, booleans negated.

A variant the probe finds equal to the correct value (or to an earlier variant), or that
cannot be built on it, is skipped and reported as such.

What must happen. A whole-answer variant of ``name`` that changes every part of it must
lose every point of each value test that reads ``name`` and no other answer of its
question (a test that also reads another answer may legitimately follow through from it:
m04's decision ``gap_is_real`` is judged against the learner's own p-value). Every other
variant — one part changed, or a whole-answer variant that keeps one part right
(``KEEP_ONE_PART``: m04's q2 checks the difference, element 0 of ``ne_vs_sd``, on its
own) — must lose at least one value point of its question: a column, element or entry
that no value test compares with the data is how "surveys was only checked in total" and
"quadrant was never checked" went unnoticed. Losses in other questions are neither
required nor forbidden.

Cost. The variants are graded through the grading engine (``grader.engine.cohort``) on two
workers. Questions are independent unless a cell outside a question reads one of its
answers; the k-th variants of all independent questions share one notebook, so an
assignment costs as many notebooks as its most attacked question has variants (plus one
per variant of a dependent question), not one per variant.
"""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from string import Template

import nbformat
import zmq
from jupyter_client.manager import KernelManager
from nbformat import NotebookNode

from grader import adversary_probe, notebooks
from grader.course import Course, GradingError
from grader.engine.cohort import grade_cohort
from grader.engine.plan import TrustedCell, bound_names, build_plan, needed_names, python_source
from grader.engine.preflight import stamp_release
from grader.grades import question_of
from grader.intake import released_names

LEARNER_PREFIX = "adversary-"
PROBE_SECONDS = 300
KERNEL_NAME = "python3"
NO_POINTS = 1e-9  # scores are floats: below this, nothing was lost (or kept)
_IMPORT_PANDAS = "import pandas as pd\n"

#: Whole-answer variants per kind of answer: (label, new value as an expression of $x, needs pandas).
WHOLE: dict[str, list[tuple[str, str, bool]]] = {
    "frame": [
        ("empty DataFrame with the right columns", "$x.iloc[:0]", False),
        ("right index and columns, every value 0", "pd.DataFrame(0, index=$x.index, columns=$x.columns)", True),
        ("right index and columns, every value NaN",
         'pd.DataFrame(float("nan"), index=$x.index, columns=$x.columns)', True),
        ("right index, every row a copy of the first", "$x.iloc[[0] * len($x)].set_axis($x.index)", False),
        ("right index, each row holding the next row's values", "$x.iloc[[*range(1, len($x)), 0]].set_axis($x.index)",
         False),
        ("rows in place, each index label moved to the next row", "$x.set_axis([*$x.index[1:], $x.index[0]])", False),
    ],
    "series": [
        ("empty Series of the same dtype", "$x.iloc[:0]", False),
        ("right index, every value 0", "pd.Series(0, index=$x.index, name=$x.name)", True),
        ("right index, every value NaN", 'pd.Series(float("nan"), index=$x.index, name=$x.name)', True),
        ("right index, every value the first one", "$x.iloc[[0] * len($x)].set_axis($x.index)", False),
        ("right index, each label holding the next label's value",
         "$x.iloc[[*range(1, len($x)), 0]].set_axis($x.index)", False),
        ("values in place, each index label moved to the next value", "$x.set_axis([*$x.index[1:], $x.index[0]])",
         False),
    ],
    "tuple": [
        ("empty tuple", "()", False),
        ("every element 0", "(0,) * len($x)", False),
        ("every element NaN", '(float("nan"),) * len($x)', False),
        ("every element the first one", "($x[0],) * len($x)", False),
        ("elements in reverse order", "$x[::-1]", False),
        ("elements rotated by one", "$x[1:] + $x[:1]", False),
    ],
    "list": [
        ("empty list", "[]", False),
        ("every item 0", "[0] * len($x)", False),
        ("every item NaN", '[float("nan")] * len($x)', False),
        ("every item the first one", "[$x[0]] * len($x)", False),
    ],
    "dict": [
        ("empty dict", "{}", False),
        ("every value 0", "dict.fromkeys($x, 0)", False),
        ("every value NaN", 'dict.fromkeys($x, float("nan"))', False),
        ("every value the first one", "dict.fromkeys($x, next(iter($x.values())))", False),
        ("each value moved to the next key", "dict(zip($x, [*$x.values()][1:] + [*$x.values()][:1]))", False),
    ],
    "set": [("empty set", "set()", False)],
    "number": [("0", "0", False), ("NaN", 'float("nan")', False),
               ("scaled by 1.1 and shifted by 1", "$x * 1.1 + 1", False)],
    "bool": [("the opposite", "not $x", False)],
    "text": [("empty text", '""', False), ("its characters rotated by one", "$x[1:] + $x[:1]", False)],
}

#: Whole-answer variants that leave one part as it was (the first value repeated keeps the first; a
#: reversed tuple of odd length keeps its middle): a test of that part alone rightly passes them, so
#: they are judged like part variants.
KEEP_ONE_PART = frozenset({
    "right index, every row a copy of the first", "right index, every value the first one",
    "every element the first one", "elements in reverse order", "every item the first one",
    "every value the first one",
})

#: How one part (an element, an entry) is changed, by its kind: (description, expression of $p).
PERTURB: dict[str, tuple[str, str]] = {
    "number": ("scaled by 1.1 and shifted by 1", "$p * 1.1 + 1"),
    "numbers": ("scaled by 1.1 and shifted by 1", "$p * 1.1 + 1"),
    "bool": ("negated", "not $p"),
    "text": ("its characters rotated by one", "$p[1:] + $p[:1]"),
}


@dataclass(frozen=True)
class Question:
    """One autograded question: the answers it stores, its test cells, and which of them test values."""

    id: str
    answers: dict[str, tuple[str, ...]]
    points: dict[str, float]
    value_cells: tuple[str, ...]
    hidden_tests: bool
    reads: dict[str, frozenset[str]]
    shared: bool

    @property
    def value_word(self) -> str:
        """What its value tests are called in messages: hidden "value" tests, or plain "test" cells."""
        return "value" if self.hidden_tests else "test"

    def answer_cell(self, name: str) -> str:
        return next(cell for cell, names in self.answers.items() if name in names)

    def tests_reading_only(self, name: str) -> list[str]:
        """Value tests that read ``name`` and no other answer of this question."""
        return [cell for cell in self.value_cells if self.reads[cell] == {name}]


@dataclass(frozen=True)
class Variant:
    """One adversarial answer: code that replaces ``name`` after the solution's answer cell ran.

    ``strict``: it changes every part of the answer, so it must lose every point of the
    value tests that read only ``name``; otherwise it must lose some value point.
    """

    question: str
    name: str
    label: str
    code: str
    strict: bool

    @property
    def title(self) -> str:
        return f"{self.question} · {self.name}: {self.label}"

    def cell_code(self) -> str:
        """What is appended to the solution's answer cell (a comment says where it came from)."""
        return f"# generic adversarial answer (cx-grader prove): {self.label}\n{self.code}"


@dataclass(frozen=True)
class Skipped:
    """A variant not graded, and why (equal to the correct value, not buildable on it, …)."""

    title: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """What one graded variant lost in its own question, and the problem if it kept too much."""

    variant: Variant
    lost: dict[str, float]
    problem: str | None

    def line(self) -> str:
        lost = ", ".join(f"{cell} {points:g}" for cell, points in self.lost.items() if points) or "nothing"
        return f"{'FAIL' if self.problem else 'ok'}  {self.variant.title} — lost {lost}"


@dataclass
class Attack:
    """Every generic adversarial answer of one assignment, graded, and what each lost."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notebooks: int = 0
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        return self.failures + [finding.problem for finding in self.findings if finding.problem]

    def summary(self) -> str:
        caught = sum(finding.problem is None for finding in self.findings)
        return (f"{caught}/{len(self.findings)} generic adversarial answers lose their points "
                f"({len(self.skipped)} skipped; {self.notebooks} notebooks graded in {self.seconds:.0f} s)")


def find_questions(assignment: str, source: NotebookNode) -> list[Question]:
    """The autograded questions of a source notebook, in notebook order."""
    points = {notebooks.grade_id(cell): float(cell.metadata.nbgrader.get("points", 0)) for cell in source.cells
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade")}
    plan = build_plan(assignment, assignment, source, {}, points)
    tests = [cell for cell in plan.cells if cell.test]
    answer_cells = [cell for cell in source.cells if notebooks.is_autograded_answer(cell)]
    found = []
    for question in dict.fromkeys(question_of(notebooks.grade_id(cell)) for cell in answer_cells):
        mine = [cell for cell in answer_cells if question_of(notebooks.grade_id(cell)) == question]
        found.append(_question(question, mine, [cell for cell in tests if question_of(cell.id) == question], source))
    return found


def _question(question: str, answer_cells: list[NotebookNode], tests: list[TrustedCell],
              source: NotebookNode) -> Question:
    read = set().union(*(cell.needs for cell in tests))
    answers = {notebooks.grade_id(cell): tuple(sorted(_binds(cell.source) & read)) for cell in answer_cells}
    names = {name for group in answers.values() for name in group}
    hidden = [cell for cell in tests if cell.hidden]
    own = set(answers) | {cell.id for cell in tests}
    others = [cell for cell in source.cells if cell.cell_type == "code" and notebooks.grade_id(cell) not in own]
    return Question(
        id=question, answers=answers, points={cell.id: cell.points for cell in tests},
        value_cells=tuple(cell.id for cell in hidden or tests), hidden_tests=bool(hidden),
        reads={cell.id: frozenset(cell.needs) & names for cell in tests},
        shared=any(needed_names(cell.source, set()) & names for cell in others),
    )


def _binds(source: str) -> set[str]:
    try:
        return bound_names(ast.parse(python_source(source)))
    except SyntaxError:
        return set()


def variants_for(question: str, name: str, description: dict) -> tuple[list[Variant], list[Skipped]]:
    """Every adversarial answer for one answer, from the probe's description of its correct value."""
    kind, wrap = description["kind"], description.get("namedtuple", False)
    if kind not in WHOLE:
        return [], [Skipped(f"{question} · {name}", f"no generic adversarial answer for a {description['type']}")]
    made = [_variant(question, name, label, expression, pandas, strict=label not in KEEP_ONE_PART,
                     namedtuple=wrap and expression != "()") for label, expression, pandas in WHOLE[kind]]
    skipped = []
    for position, part in enumerate(description["parts"]):
        variant = _part_variant(question, name, kind, position, part, wrap)
        if isinstance(variant, Variant):
            made.append(variant)
        else:
            skipped.append(Skipped(f"{question} · {name}", variant))
    return made, skipped


def _variant(question: str, name: str, label: str, expression: str, pandas: bool, *, strict: bool,
             namedtuple: bool = False) -> Variant:
    value = Template(expression).substitute(x=name)
    if namedtuple:
        value = f"type({name})(*{value})"
    code = (_IMPORT_PANDAS if pandas else "") + f"{name} = {value}"
    return Variant(question, name, label, code, strict)


def _part_variant(question: str, name: str, kind: str, position: int, part: dict, namedtuple: bool) -> Variant | str:
    """The variant that changes one column, element or entry — or why there is none."""
    if kind == "frame":
        column = f"{name}[{part['label'] or f'{name}.columns[{position}]'}]"
        if part["kind"] == "numbers":
            how, value = "scaled by 1.1 and shifted by 1", f"{column} * 1.1 + 1"
        else:
            how, value = "rotated among the rows", f"[*{column}.iloc[1:], *{column}.iloc[:1]]"
        label = f"column {part['label'] or position} {how}"
        return Variant(question, name, label, f"{name} = {name}.copy()\n{column} = {value}", strict=False)
    if part["kind"] not in PERTURB:
        return f"no generic change for {kind} part {part['label'] or position}, a {part['kind']}"
    how, template = PERTURB[part["kind"]]
    if kind == "tuple":
        changed = Template(template).substitute(p=f"{name}[{position}]")
        return _variant(question, name, f"element {position} {how}",
                        f"(*$x[:{position}], {changed}, *$x[{position + 1}:])", False, strict=False,
                        namedtuple=namedtuple)
    if part["label"] is None:
        return f"entry {position} of {name} has a key that cannot be written as code"
    changed = Template(template).substitute(p=f"{name}[{part['label']}]")
    return _variant(question, name, f"entry {part['label']} {how}", f"{{**$x, {part['label']}: {changed}}}", False,
                    strict=False)


class _ProbeKernel:
    """A kernel that runs the solution notebook and answers the probe's questions about its values."""

    def __init__(self, folder: Path) -> None:
        # Encrypted local traffic when the kernel supports it, as nbgrader's kernels get (grader.course).
        self.manager = KernelManager(kernel_name=KERNEL_NAME,
                                     transport_encryption="auto" if zmq.has("curve") else "disabled")
        self.folder = folder

    def __enter__(self) -> _ProbeKernel:
        self.manager.start_kernel(cwd=str(self.folder))
        self.client = self.manager.client()
        try:
            self.client.start_channels()
            self.client.wait_for_ready(timeout=PROBE_SECONDS)
            self.ask("import types as _cx_types\n_cx_probe = _cx_types.ModuleType('_cx_probe')\n"
                     f"exec({adversary_probe.SOURCE!r}, _cx_probe.__dict__)\ndel _cx_types")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def run(self, code: str) -> tuple[str, str | None]:
        """Run code; its standard output, and the error it raised (or None)."""
        printed: list[str] = []
        raised: list[str] = []

        def collect(message: dict) -> None:
            content = message["content"]
            if message["msg_type"] == "stream" and content.get("name") == "stdout":
                printed.append(content["text"])
            elif message["msg_type"] == "error":
                raised.append(f"{content['ename']}: {content['evalue']}")

        self.client.execute_interactive(code, store_history=False, allow_stdin=False, timeout=PROBE_SECONDS,
                                        output_hook=collect)
        return "".join(printed), (raised[0] if raised else None)

    def ask(self, code: str) -> str:
        """Run the harness's own code; it must not fail."""
        printed, error = self.run(code)
        if error:
            raise GradingError(f"The adversarial-answer probe failed ({error}) running:\n{code}")
        return printed


def probe(solution: NotebookNode, questions: list[Question], folder: Path) -> tuple[list[Variant], list[Skipped]]:
    """Run the solution notebook; after each answer cell write its answers' variants and keep the usable ones.

    A cell that raises does not stop the run (nbgrader runs on too); an answer it then fails
    to store is reported as skipped.
    """
    by_cell = {cell: question for question in questions for cell in question.answers}
    variants: list[Variant] = []
    skipped: list[Skipped] = []
    with _ProbeKernel(folder) as kernel:
        for cell in solution.cells:
            if cell.cell_type != "code":
                continue
            kernel.run(cell.source)
            question = by_cell.get(notebooks.grade_id(cell))
            for name in question.answers[notebooks.grade_id(cell)] if question else ():
                usable, unusable = _probe_answer(kernel, question.id, name)
                variants += usable
                skipped += unusable
    return variants, skipped


def _probe_answer(kernel: _ProbeKernel, question: str, name: str) -> tuple[list[Variant], list[Skipped]]:
    printed, error = kernel.run(f"print(_cx_probe.describe({name}))")
    if error:
        return [], [Skipped(f"{question} · {name}", f"the solution did not store it ({error})")]
    made, skipped = variants_for(question, name, json.loads(printed))
    codes = {variant.label: variant.code for variant in made}
    verdicts = json.loads(kernel.ask(f"print(_cx_probe.compare({name!r}, {codes!r}, globals()))"))
    skipped += [Skipped(v.title, verdicts[v.label]) for v in made if verdicts[v.label] != adversary_probe.USABLE]
    return [v for v in made if verdicts[v.label] == adversary_probe.USABLE], skipped


def batches(variants: list[Variant], questions: list[Question]) -> list[list[Variant]]:
    """Notebooks to grade: the k-th variants of all independent questions together; the others alone."""
    shared = {question.id for question in questions if question.shared}
    grouped = {question.id: [v for v in variants if v.question == question.id] for question in questions}
    together = [[v for v in row if v is not None]
                for row in zip_longest(*(group for q, group in grouped.items() if q not in shared))]
    alone = [[v] for q, group in grouped.items() if q in shared for v in group]
    return together + alone


def judge(variant: Variant, question: Question, lost: dict[str, float]) -> Finding:
    """Whether a variant lost what it must (see the module docstring)."""
    kind = question.value_word
    lost_values = sum(lost.get(cell, 0.0) for cell in question.value_cells)
    if variant.strict:
        kept = {cell: question.points[cell] - lost.get(cell, 0.0) for cell in question.tests_reading_only(variant.name)}
        kept = {cell: points for cell, points in kept.items() if points > NO_POINTS}
        if kept:
            cells = ", ".join(f"{points:g} of {cell}" for cell, points in kept.items())
            return Finding(variant, lost, f"{variant.title} kept {cells}: an answer changed in every part must lose every "
                                          f"point of the {kind} tests that read only `{variant.name}`")
    if lost_values <= NO_POINTS:
        return Finding(variant, lost, f"{variant.title} lost no {kind} points: no {kind} test of {question.id} "
                                      f"tells it from the correct `{variant.name}`")
    return Finding(variant, lost, None)


def attack(course: Course, assignment: str, workers: int = 2) -> Attack:
    """Grade every generic adversarial answer of a released assignment and judge what each lost.

    Each notebook of the assignment is attacked on its own: its variants go into learners
    who submit the solution of every other notebook, and are judged on that notebook's scores.
    """
    started = time.perf_counter()
    release = course.step_dir(course.coursedir.release_directory, assignment)
    names = released_names(course, assignment)
    sources = {name: notebooks.read(course.root / "source" / assignment / f"{name}.ipynb") for name in names}
    released = {name: notebooks.read(release / f"{name}.ipynb") for name in names}
    solutions = {name: notebooks.solutions(sources[name]) for name in names}
    filled = {name: notebooks.fill_answers(released[name], solutions[name]) for name in names}
    report = Attack()
    stamp_release(course, assignment)
    planned: dict[str, tuple[str, list[Variant]]] = {}
    questions: dict[str, dict[str, Question]] = {}
    order: list[Variant] = []
    for name in names:
        found = find_questions(assignment, sources[name])
        variants, skipped = probe(filled[name], found, release)
        report.skipped += skipped
        order += variants
        questions[name] = {question.id: question for question in found}
        prefix = LEARNER_PREFIX if len(names) == 1 else f"{LEARNER_PREFIX}{name}-"
        for learner, batch in _submit(course, assignment, prefix, filled, name, solutions[name],
                                      batches(variants, found), questions[name]):
            planned[learner] = (name, batch)
    outcomes = grade_cohort(course, assignment, list(planned), workers=workers, progress=False)
    scores = course.scores(assignment)
    for outcome in outcomes:
        name, batch = planned[outcome.learner]
        if not outcome.ok or outcome.flagged:
            titles = "; ".join(v.title for v in batch)
            report.failures.append(f"{outcome.learner} ({titles}) was not graded cleanly: {outcome.message()}")
            continue
        mine = scores[(scores["learner"] == outcome.learner) & (scores["notebook"] == name)
                      & (scores["kind"] == "autograded")]
        lost = dict(zip(mine["cell"], mine["max_score"] - mine["score"]))
        for variant in batch:
            question = questions[name][variant.question]
            lost_here = {cell: lost.get(cell, 0.0) for cell in question.points}
            report.findings.append(judge(variant, question, lost_here))
    report.findings.sort(key=lambda finding: order.index(finding.variant))
    report.notebooks, report.seconds = len(planned), time.perf_counter() - started
    return report


def _submit(course: Course, assignment: str, prefix: str, filled: dict[str, NotebookNode], attacked: str,
            solution: dict[str, str], planned: list[list[Variant]],
            questions: dict[str, Question]) -> Iterator[tuple[str, list[Variant]]]:
    """Write and submit one learner per batch, with every notebook of the assignment.

    The attacked notebook holds its solution with the batch's variants appended; every other
    notebook its solution as it is, so that only the attacked notebook can lose points.
    """
    inbox = course.root / "adversary-inbox"
    for number, batch in enumerate(planned, start=1):
        learner = f"{prefix}{number:02d}"
        answers = dict(solution)
        for variant in batch:
            cell = questions[variant.question].answer_cell(variant.name)
            answers[cell] = f"{answers[cell]}\n\n{variant.cell_code()}"
        submission = {**filled, attacked: notebooks.fill_answers(filled[attacked], answers)}
        for name, notebook in submission.items():
            path = inbox / learner / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, str(path))
            course.submit(assignment, learner, path, name)
        yield learner, batch
