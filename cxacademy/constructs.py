"""Python constructs a learner meets in the course, and where the course introduces each.

Learners are service and marketing managers, not programmers: a cell that uses a ``lambda``
or a comprehension nobody explained reads as noise. So the course introduces every Python
construct beyond plain calls, assignments and pandas methods in prose before a cell uses it,
and ``tests/test_python_constructs.py`` walks the course in order to hold it to that.

This module is the one place that names those constructs (:data:`CONSTRUCTS`), finds them
in a code cell with :mod:`ast` (:func:`constructs_in`), and recognises the marker that
introduces one in a markdown cell (:func:`introduced_in`): a bullet that starts with the
construct's name in bold, as in ``- **lambda** — a one-line function without a name …``.
An explicit marker keeps "introduced" checkable: prose that merely mentions a word is not an
introduction. The orientation module introduces every construct a later module uses; each
module's "Python you will see here" section repeats the bullets for the constructs it uses.

NumPy broadcasting (``prices * quantities`` on arrays of different shapes) is not
detectable from syntax — it looks like any multiplication — so it is not in the vocabulary.
"""

from __future__ import annotations

import ast
import re

from IPython.core.inputtransformer2 import TransformerManager

#: Canonical name → what it looks like in code. The name, in bold at the start of a markdown
#: bullet, is the marker that introduces the construct.
CONSTRUCTS: dict[str, str] = {
    "def": "`def name(inputs):` … `return result`: a function of your own",
    "type hint": "`name: type`, or `-> type` after a def: a note on what type a value has",
    "lambda": "`lambda x: …`: a one-line function without a name",
    "list comprehension": "`[expression for item in items]`: a list built by doing the same thing to each item",
    "dict comprehension": "`{key: value for item in items}`: a dict built the same way",
    "set comprehension": "`{expression for item in items}`: a set built the same way",
    "generator expression": "`\", \".join(name for name in names)`: a comprehension inside a call, used up at once",
    "unpacking": "`*items` or `**options`: a list's items, or a dict's keys and values, spread into a call or list",
    "f-string": "`f\"{value:.1f} %\"`: text with values filled in",
    "with": "`with something as name:`: a block that sets something up and tidies it away",
    "try": "`try:` … `except …:`: code that handles an error instead of stopping",
    "class": "`class Name:`: a new type of object",
    "decorator": "`@something` above a def or class: wraps it",
    "walrus": "`(name := value)`: an assignment inside an expression",
    "conditional expression": "`a if condition else b`: one of two values, chosen in one line",
}

_SIMPLE_NODES: dict[type[ast.AST], str] = {
    ast.FunctionDef: "def",
    ast.AsyncFunctionDef: "def",
    ast.AnnAssign: "type hint",
    ast.Lambda: "lambda",
    ast.ListComp: "list comprehension",
    ast.DictComp: "dict comprehension",
    ast.SetComp: "set comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Starred: "unpacking",
    ast.JoinedStr: "f-string",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.ClassDef: "class",
    ast.NamedExpr: "walrus",
    ast.IfExp: "conditional expression",
}

_MARKER = re.compile(r"^\s*[-*+]\s+\*\*(?P<name>[^*]+)\*\*", re.MULTILINE)


def constructs_in(source: str) -> dict[str, int]:
    """Each construct a code cell uses, with the first line it appears on.

    IPython syntax (``%magic``, ``!command``) is turned into Python first, as the kernel does.
    A cell that is not valid Python uses nothing we can name, so it yields an empty dict.
    """
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return {}
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        for name in _names_for(node):
            line = getattr(node, "lineno", 1)
            found[name] = min(line, found.get(name, line))
    return found


def _names_for(node: ast.AST) -> list[str]:
    """The constructs one syntax node shows the reader (an f-string's nested format spec counts once)."""
    names = [_SIMPLE_NODES[type(node)]] if type(node) in _SIMPLE_NODES else []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.decorator_list:
        names.append("decorator")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
        names.append("type hint")
    if isinstance(node, ast.arg) and node.annotation is not None:
        names.append("type hint")
    if _spreads_with_stars(node):
        names.append("unpacking")
    return names


def _spreads_with_stars(node: ast.AST) -> bool:
    """``f(**options)``, ``{**a, **b}`` and ``def f(*args, **kwargs)``: stars that ``ast.Starred`` misses."""
    if isinstance(node, ast.Call):
        return any(keyword.arg is None for keyword in node.keywords)
    if isinstance(node, ast.Dict):
        return any(key is None for key in node.keys)
    if isinstance(node, ast.arguments):
        return node.vararg is not None or node.kwarg is not None
    return False


def introduced_in(markdown: str) -> set[str]:
    """The constructs a markdown cell introduces: bullets that start with a construct's name in bold."""
    return {match["name"].strip().lower() for match in _MARKER.finditer(markdown)} & CONSTRUCTS.keys()
