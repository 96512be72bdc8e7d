"""What an answer is, and whether a generated adversarial answer changes it — run in the probe kernel.

The proving harness (``grader.adversary``) never calls this at grading time: ``SOURCE`` (its
text) is run in the kernel that executes the assignment's solution, right after an answer
cell. There ``describe`` tells the harness the shape of each stored answer (a DataFrame's
columns, a tuple's elements, a dict's keys), from which it writes the adversarial answers,
and ``compare`` runs each one on a copy of the kernel's namespace and says whether it is
usable: an adversarial answer equal to the correct value, or to an earlier one, proves
nothing and is skipped. It is self-contained: standard library and pandas only.
"""

import ast
import json
from pathlib import Path

SOURCE = Path(__file__).read_text(encoding="utf-8") if "__file__" in globals() else ""

#: ``compare``'s verdict for an adversarial answer worth grading.
USABLE = "usable"


def _kind(value):
    """A value's kind as the harness names it: number, bool, text, series, frame, tuple, list, dict, set, …"""
    import numbers

    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return "frame"
    if isinstance(value, pd.Series):
        return "series"
    if isinstance(value, bool) or type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return "bool"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, str):
        return "text"
    for kind in (tuple, list, dict, set):
        if isinstance(value, kind):
            return kind.__name__
    return "none" if value is None else "other"


def _part(value, label):
    """One column, element or entry: how to write its label as code, and what kind of value it is."""
    import pandas as pd

    kind = _kind(value)
    if kind == "series" and pd.api.types.is_numeric_dtype(value) and not pd.api.types.is_bool_dtype(value):
        kind = "numbers"
    try:
        literal = ast.literal_eval(repr(label)) == label
    except (ValueError, SyntaxError):
        literal = False
    return {"label": repr(label) if literal else None, "kind": kind}


def describe(value):
    """JSON text: the answer's kind, its length, and its parts (columns, elements or entries)."""
    kind = _kind(value)
    found = {"kind": kind, "type": type(value).__name__, "length": None, "parts": [], "namedtuple": False}
    if kind in ("frame", "series", "tuple", "list", "dict", "set", "text"):
        found["length"] = len(value)
    if kind == "frame":
        found["parts"] = [_part(value[column], column) for column in value.columns]
    elif kind == "tuple":
        found["namedtuple"] = hasattr(value, "_fields")
        found["parts"] = [_part(element, position) for position, element in enumerate(value)]
    elif kind == "dict":
        found["parts"] = [_part(element, key) for key, element in value.items()]
    return json.dumps(found)


def same(left, right):
    """Whether two answers hold the same data (0 and 0.0 alike, NaN equal to NaN)."""
    import pandas as pd

    if isinstance(left, (pd.Series, pd.DataFrame)) or isinstance(right, (pd.Series, pd.DataFrame)):
        return _same_table(left, right)
    if isinstance(left, (tuple, list)) and isinstance(right, (tuple, list)):
        both_tuples = isinstance(left, tuple) == isinstance(right, tuple)
        return both_tuples and len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    try:
        if pd.isna(left) and pd.isna(right):
            return True
        return bool(left == right) and _kind(left) == _kind(right)
    except (TypeError, ValueError):
        return False


def _same_table(left, right):
    if type(left) is not type(right) or left.shape != right.shape or not left.index.equals(right.index):
        return False
    if hasattr(left, "columns") and not left.columns.equals(right.columns):
        return False
    pairs = zip(left.to_numpy(dtype=object).ravel(), right.to_numpy(dtype=object).ravel())
    return all(same(a, b) for a, b in pairs)


def compare(name, variants, namespace):
    """JSON text: for each adversarial answer (label → code), ``USABLE`` or why it is skipped."""
    original = namespace[name]
    built = {}
    verdicts = {}
    for label, code in variants.items():
        scope = dict(namespace)
        try:
            exec(code, scope)
        except Exception as error:  # noqa: BLE001 - any failure only means this variant is skipped
            verdicts[label] = f"could not be built on the solution's value ({type(error).__name__}: {error})"
            continue
        candidate = scope[name]
        twin = next((other for other, value in built.items() if same(candidate, value)), None)
        if same(candidate, original):
            verdicts[label] = "equals the correct value"
        elif twin is not None:
            verdicts[label] = f"gives the same value as “{twin}”"
        else:
            verdicts[label] = USABLE
            built[label] = candidate
    return json.dumps(verdicts)
