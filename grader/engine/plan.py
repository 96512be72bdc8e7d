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

from grader import notebooks
from grader.course import Course, GradingError

#: Names every IPython kernel provides; a test reading them never reads a learner's value.
KERNEL_NAMES = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit",
                                           "_", "__", "___", "_ih", "_oh", "_dh", "__name__"}


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


@dataclass(frozen=True)
class NotebookPlan:
    """The trusted program of one notebook, split into the shared prefix and the rest."""

    assignment: str
    notebook: str
    prefix: tuple[TrustedCell, ...]
    cells: tuple[TrustedCell, ...]

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


def build_plan(assignment: str, notebook: str, source: NotebookNode, gradebook_sources: dict[str, str],
               points: dict[str, float]) -> NotebookPlan:
    """The plan of one notebook from its source file (order) and the gradebook (cell sources)."""
    prefix: list[TrustedCell] = []
    cells: list[TrustedCell] = []
    bound: set[str] = set()
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
        trusted = TrustedCell(meta["grade_id"], text, test, points.get(meta["grade_id"], 0.0), hidden, visible, needs)
        (prefix if in_prefix else cells).append(trusted)
        bound |= bound_names(_tree(text))
    return NotebookPlan(assignment, notebook, tuple(prefix), tuple(cells))


def build_plans(course: Course, assignment: str) -> dict[str, NotebookPlan]:
    """Plans for every notebook of a released assignment, keyed by notebook name."""
    source_dir = course.root / course.coursedir.source_directory / assignment
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
            plans[entry.name] = build_plan(assignment, entry.name, notebooks.read(path), sources, points)
    return plans
