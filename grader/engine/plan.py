"""What runs where: the trusted program of each notebook, and the names it reads from learners.

A notebook's *trusted* cells are the instructor's code: every test cell and every locked
code cell (setup, read-only helpers). Their source comes from nbgrader's gradebook — the
same source nbgrader's OverwriteCells restores — and their order from the source notebook.
The *prefix* is the trusted cells before the first cell a learner writes; the clean room
runs it once per worker and forks from there.

For every later trusted cell the plan lists the names it reads that no trusted cell bound
before it and that are not built-ins: those are the learner's answers. The learner's kernel
hands over exactly those names, as data, right before that cell's position in the
learner's notebook; nothing else of the learner's crosses. Helpers and data that setup
bound (``expect``, ``pd``, ``complaints``) are therefore always the clean room's own, never
a learner's redefinition.

A learner's function crosses as a reference: a test that calls it runs in the clean room
and the call runs in the learner's kernel (the function route, ``grader.engine.execute``).
Some tests cannot run that way as written: they delete or rebind a learner's function to
prove something about the learner's other code (which sees only the learner's kernel),
use a class the learner wrote (its instances are not data), inspect code or namespaces,
or draw plots. The plan finds them from
their source before any learner is graded, and refuses the assignment, naming each cell and
why, unless the course declares them to run in the learner's sandboxed kernel like plain
nbgrader (``c.CxEngine.learner_kernel_tests`` in ``nbgrader_config.py``). A declared cell
runs there in full — its hidden part too — is scored from that run, and is never compared
or flagged; every name it binds is then the learner kernel's, so later cells that read one
take it from the learner like any answer.
"""

from __future__ import annotations

import ast
import builtins
import symtable
from dataclasses import dataclass
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbformat import NotebookNode
from traitlets import Dict, List, Unicode
from traitlets.config import Configurable

from grader import notebooks
from grader.course import Course, GradingError

#: Names every IPython kernel provides; a test reading them never reads a learner's value.
KERNEL_NAMES = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit",
                                           "_", "__", "___", "_ih", "_oh", "_dh", "__name__"}
#: What a test reads when it inspects code or namespaces instead of values.
INTROSPECTION = frozenset({"inspect", "globals", "locals", "vars", "dis"})
CODE_ATTRIBUTES = frozenset({"__code__", "__globals__", "__closure__", "__defaults__", "__wrapped__"})
PLOTTING = frozenset({"plt", "matplotlib", "pyplot", "sns", "seaborn", "plotly"})


class CxEngine(Configurable):
    """The engine's course settings, read from the course's ``nbgrader_config.py``."""

    learner_kernel_tests = Dict(
        value_trait=List(Unicode()), default_value={},
        help="Per assignment, the grade ids of cells that run in the learner's sandboxed kernel like plain "
             "nbgrader (hidden part included), because the clean room cannot run them as written: "
             "c.CxEngine.learner_kernel_tests = {'ps1': ['sum_of_squares_uses_squares']}.",
    ).tag(config=True)


@dataclass(frozen=True)
class TrustedCell:
    """One instructor cell: its source, whether it is a test (and worth what), and what it reads."""

    id: str
    source: str
    test: bool
    points: float
    hidden: bool
    visible_source: str
    needs: tuple[str, ...]
    in_learner_kernel: bool = False


@dataclass(frozen=True)
class NotebookPlan:
    """The trusted program of one notebook, split into the shared prefix and the rest."""

    assignment: str
    notebook: str
    prefix: tuple[TrustedCell, ...]
    cells: tuple[TrustedCell, ...]
    #: (grade id, why) of each cell the clean room cannot run as written and that is not declared.
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def clean_cells(self) -> tuple[TrustedCell, ...]:
        """The cells the clean room runs: all but those declared to run in the learner's kernel."""
        return tuple(cell for cell in self.cells if not cell.in_learner_kernel)

    @property
    def learner_kernel_cells(self) -> tuple[TrustedCell, ...]:
        return tuple(cell for cell in self.cells if cell.in_learner_kernel)

    def by_id(self) -> dict[str, TrustedCell]:
        return {cell.id: cell for cell in (*self.prefix, *self.cells)}


def python_source(source: str) -> str:
    """Cell source with IPython syntax (magics, ``!cmd``) turned into plain Python."""
    return TransformerManager().transform_cell(source)


def _tree(source: str) -> ast.Module:
    try:
        return ast.parse(python_source(source))
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def needed_names(source: str, bound: set[str]) -> set[str]:
    """Names the cell reads before anything binds them: earlier trusted cells (``bound``) or itself.

    Statement by statement, with Python's own scope analysis (``symtable``) for functions,
    lambdas and comprehensions, so a parameter or a name the cell assigns first is not
    mistaken for one of the learner's answers.
    """
    needed: set[str] = set()
    bound = set(bound)
    for statement in _tree(source).body:
        needed |= _global_reads(ast.unparse(statement)) - bound
        bound |= bound_names(ast.Module(body=[statement], type_ignores=[]))
    return needed - KERNEL_NAMES


def _global_reads(code: str) -> set[str]:
    """Names ``code`` reads from the module namespace, at top level or from inside nested scopes."""
    table = symtable.symtable(code, "<cell>", "exec")
    names = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_referenced()}
    pending = list(table.get_children())
    while pending:
        scope = pending.pop()
        names |= {symbol.get_name() for symbol in scope.get_symbols()
                  if symbol.is_referenced() and symbol.is_global()}
        pending.extend(scope.get_children())
    return names


def bound_names(tree: ast.Module) -> set[str]:
    """Names a cell binds at module level: assignments, imports, definitions, loop targets."""
    bound: set[str] = set()
    for node in _module_level(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        for target in _targets(node):
            bound |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return bound


def _module_level(body: list[ast.stmt]):
    """Statements executed at module scope, including those nested in if/for/while/with/try."""
    for node in body:
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _module_level(getattr(node, field, []) or [])


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.NamedExpr):
        return [node.target]
    return []


def _visible(source: str) -> tuple[str, bool]:
    """The test as released (hidden region removed), and whether it had a hidden region."""
    cell = NotebookNode(cell_type="code", source=source, metadata={})
    hidden = ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source, hidden


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_trusted(cell: NotebookNode) -> bool:
    """A test cell, or a locked code cell that is not an answer: code only the instructor wrote."""
    meta = _meta(cell)
    if cell.cell_type != "code" or not meta.get("grade_id") or meta.get("solution"):
        return False
    return bool(meta.get("grade") or meta.get("locked"))


def _answer_definitions(source: NotebookNode):
    """Every module-level statement of the source notebook's answer cells."""
    for cell in source.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            yield from _module_level(_tree(cell.source).body)


def learner_functions(source: NotebookNode) -> set[str]:
    """Names the answer cells of the source notebook define as functions (``def`` or a lambda)."""
    names: set[str] = set()
    for node in _answer_definitions(source):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            names |= {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def learner_classes(source: NotebookNode) -> set[str]:
    """Names the answer cells of the source notebook define as classes."""
    return {node.name for node in _answer_definitions(source) if isinstance(node, ast.ClassDef)}


def clean_room_problem(source: str, needs: tuple[str, ...], functions: set[str],
                       classes: frozenset[str] | set[str] = frozenset()) -> str | None:
    """Why the clean room cannot run this cell as written, or None when it can.

    Answers cross as data and functions as references whose calls run in the learner's
    kernel, so a plain call is fine. A cell that deletes a learner's name or rebinds a
    learner's function (only the clean room's name would change, never what the learner's
    other code sees), uses a learner's class, inspects code or namespaces, or draws plots
    would fail there for every learner, the correct ones too.
    """
    tree = _tree(source)
    deleted = sorted(set(needs) & {target.id for node in ast.walk(tree) if isinstance(node, ast.Delete)
                                   for target in node.targets if isinstance(target, ast.Name)})
    if deleted:
        return f"it deletes the learner's {', '.join(deleted)} to see what else depends on it in the learner's kernel"
    rebound = sorted(set(functions) & bound_names(tree))
    if rebound:
        return (f"it rebinds the learner's function {', '.join(rebound)}, which the learner's other functions "
                "would only see in the learner's kernel")
    used_classes = sorted(set(needs) & set(classes))
    if used_classes:
        return (f"it uses {', '.join(used_classes)}, which the answer cells define as classes: a learner's objects "
                "do not cross into the clean room where tests run, only data and calls to functions")
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    if (names | imported) & INTROSPECTION or attributes & CODE_ATTRIBUTES:
        return "it inspects code or namespaces, which hold the clean room's, not the learner's"
    if (names | imported | attributes) & PLOTTING:
        return "it draws or reads plots, which are made in the learner's kernel"
    return None


def build_plan(assignment: str, notebook: str, source: NotebookNode, gradebook_sources: dict[str, str],
               points: dict[str, float], learner_kernel: frozenset[str] = frozenset()) -> NotebookPlan:
    """The plan of one notebook from its source file (order) and the gradebook (cell sources).

    ``learner_kernel``: grade ids declared to run in the learner's kernel; every other cell
    the clean room cannot run as written becomes one of the plan's ``problems``.
    """
    prefix: list[TrustedCell] = []
    cells: list[TrustedCell] = []
    problems: list[tuple[str, str]] = []
    bound: set[str] = set()
    functions, classes = learner_functions(source), learner_classes(source)
    in_prefix = True
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        if not _is_trusted(cell):
            in_prefix = False
            continue
        meta = _meta(cell)
        text = gradebook_sources.get(meta["grade_id"], cell.source)
        test = bool(meta.get("grade"))
        in_prefix = in_prefix and not test
        visible, hidden = _visible(text) if test else (text, False)
        needs = () if in_prefix else tuple(sorted(needed_names(text, bound)))
        declared = not in_prefix and meta["grade_id"] in learner_kernel
        why = None if in_prefix or declared else clean_room_problem(text, needs, functions, classes)
        if why:
            problems.append((meta["grade_id"], why))
        trusted = TrustedCell(meta["grade_id"], text, test, points.get(meta["grade_id"], 0.0), hidden, visible,
                              needs, declared)
        (prefix if in_prefix else cells).append(trusted)
        if not declared:
            bound |= bound_names(_tree(text))
    return NotebookPlan(assignment, notebook, tuple(prefix), tuple(cells), tuple(problems))


def declared_learner_kernel(course: Course, assignment: str) -> frozenset[str]:
    """The grade ids the course declares to run in the learner's kernel for ``assignment``."""
    return frozenset(CxEngine(config=course.config).learner_kernel_tests.get(assignment, []))


def plan_problems(plans: dict[str, NotebookPlan], declared: frozenset[str]) -> list[str]:
    """Every cell the engine cannot run as written, and every declaration that names no cell."""
    problems = [f"{plan.notebook}: cell {cell} cannot run in the clean room as written: {why}."
                for plan in plans.values() for cell, why in plan.problems]
    known = {cell.id for plan in plans.values() for cell in plan.cells}
    problems += [f"c.CxEngine.learner_kernel_tests names {grade_id}, which is not a test or locked cell after the "
                 "setup cells of this assignment" for grade_id in sorted(declared - known)]
    return problems


def runnable_plans(course: Course, assignment: str) -> dict[str, NotebookPlan]:
    """The plans of a released assignment, refused with every reason if a cell cannot run as written.

    Release, ``cx-grader prove`` and ``grade_cohort`` call it before any learner is graded,
    so a test the engine cannot run is never a silent 0 at grading time.
    """
    plans = build_plans(course, assignment)
    declared = declared_learner_kernel(course, assignment)
    problems = plan_problems(plans, declared)
    if problems:
        cells = sorted({cell for plan in plans.values() for cell, _ in plan.problems} |
                       {cell.id for plan in plans.values() for cell in plan.learner_kernel_cells})
        raise GradingError(
            f"The grading engine cannot grade '{assignment}' as written:\n- " + "\n- ".join(problems) +
            "\nEither rewrite those tests to check values the answer cells store, or declare that they run in the "
            "learner's sandboxed kernel like plain nbgrader (their hidden part too, and unguarded against a notebook "
            "that changes how tests run), in the course's nbgrader_config.py:\n"
            f"c.CxEngine.learner_kernel_tests = {{{assignment!r}: {cells!r}}}")
    return plans


def build_plans(course: Course, assignment: str) -> dict[str, NotebookPlan]:
    """Plans for every notebook of a released assignment, keyed by notebook name."""
    source_dir = course.root / course.coursedir.source_directory / assignment
    declared = declared_learner_kernel(course, assignment)
    plans = {}
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        try:
            recorded = gradebook.find_assignment(assignment).notebooks
        except MissingEntry:
            raise GradingError(f"'{assignment}' is not in the gradebook yet: release it first "
                               f"(cx-grader release {assignment}), then autograde.") from None
        for entry in recorded:
            path = Path(source_dir) / f"{entry.name}.ipynb"
            if not path.is_file():
                raise GradingError(f"The source notebook {path} is missing: restore it, then autograde again.")
            sources = {cell.name: cell.source for cell in entry.source_cells}
            points = {cell.name: float(cell.max_score) for cell in entry.grade_cells}
            plans[entry.name] = build_plan(assignment, entry.name, notebooks.read(path), sources, points, declared)
    return plans
