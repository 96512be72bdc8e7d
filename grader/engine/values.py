"""Turn a learner-kernel snapshot back into values, trusting nothing in it.

The snapshot text comes from the learner's kernel (``grader.engine.snapshot``), where the
learner's code could have written anything. Decoding accepts only the tagged forms that
encoder produces, only dtypes from a fixed list, and a bounded amount of it; it builds
fresh built-in, NumPy and pandas objects, so a test in the clean room compares plain data
with plain data. Anything else is refused with a reason the instructor and learner can read.

A learner's function arrives as a reference and is rebuilt as a ``LearnerFunction``: a
proxy holding nothing of the learner's but a name and a number. Calling it pickles the
arguments (the test's own data: the clean room is trusted, the learner's kernel may read
them), and ``CALLER`` (set by the clean room) has the host run the function in the
learner's sandboxed kernel. The reply is decoded by ``call_result`` with the same strict
rules as any answer: a value that is not plain data is refused, a learner's exception
comes back as the same built-in type when it is one of ``BUILTIN_EXCEPTIONS``, else as a
``LearnerError`` with its type name and message. The grader's own failures (a refused
result, a call that timed out, a stopped kernel) derive from ``BaseException``, so a test's
``except Exception`` can never take them for the learner's behaviour.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import io
import pickle
import importlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

MAX_DEPTH = 34
COURSE_PACKAGE = "cxacademy"
_NUMPY_DTYPE = re.compile(r"^(bool|u?int(8|16|32|64)|float(16|32|64)|<U\d{1,7}|object"
                          r"|(datetime|timedelta)64\[(Y|M|W|D|h|m|s|ms|us|ns)\])$")
_EXTENSION_DTYPE = re.compile(r"^(str|string|boolean|U?Int(8|16|32|64)|Float(32|64))$")
_TZ_DTYPE = re.compile(r"^datetime64\[(s|ms|us|ns), ([A-Za-z0-9_/+\-:]{1,64})\]$")


class Invalid(ValueError):
    """The snapshot holds something the encoder never produces."""


#: Exceptions a learner's function may raise that the clean room raises again as themselves.
BUILTIN_EXCEPTIONS = {kind.__name__: kind for kind in (
    ArithmeticError, AssertionError, AttributeError, FileNotFoundError, IndexError, KeyError, LookupError,
    NameError, NotImplementedError, OSError, OverflowError, RecursionError, RuntimeError, StopIteration,
    TypeError, UnboundLocalError, UnicodeError, ValueError, ZeroDivisionError)}


class LearnerError(Exception):
    """An exception the learner's function raised whose type is not one of ``BUILTIN_EXCEPTIONS``."""


class AnswerNotCheckable(BaseException):
    """A learner's function returned something that is not plain data."""


class CallNotCompleted(BaseException):
    """A learner's function could not be run to the end: time limit, stopped kernel, unsendable arguments."""


class LearnerFunction:
    """A learner's function seen from the clean room: calling it runs it in the learner's kernel."""

    def __init__(self, name: str, ref: int) -> None:
        self.__name__ = self.__qualname__ = name
        self.ref = ref

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # noqa: F841 - IPython leaves the grader's frames out of the test's traceback
        if CALLER[0] is None:
            raise CallNotCompleted(f"{self.__name__} cannot be called here: no learner kernel is attached")
        return CALLER[0](self, args, kwargs)

    def __repr__(self) -> str:
        return f"<learner function {self.__name__}>"


#: The clean room's link to the host: (function, args, kwargs) → the function's result.
CALLER: list[Callable[[LearnerFunction, tuple, dict], Any] | None] = [None]


class _Arguments(pickle.Pickler):
    """Pickles a call's arguments; a learner function among them travels as its reference."""

    def persistent_id(self, obj: Any) -> int | None:
        return obj.ref if type(obj) is LearnerFunction else None


def call_payload(args: tuple, kwargs: dict) -> str:
    """A call's arguments as base64 pickle text for the learner's kernel (``snapshot.call``)."""
    buffer = io.BytesIO()
    try:
        _Arguments(buffer).dump((args, kwargs))
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise CallNotCompleted(f"the test's arguments cannot be sent to the learner's kernel ({error})") from None
    return base64.b64encode(buffer.getvalue()).decode()


def call_result(name: str, reply: Any) -> Any:
    """What a call to the learner's function ``name`` gives the test: its value, or the exception it raised."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves the grader's frames out of the test's traceback
    if not isinstance(reply, dict):
        raise AnswerNotCheckable(f"{name}(...) sent back an unreadable reply")
    if "value" in reply:
        try:
            return decode(reply["value"])
        except (Invalid, ValueError, TypeError, OverflowError, RecursionError) as error:
            raise AnswerNotCheckable(f"{name}(...) returned a value that could not be rebuilt ({error})") from None
    if "raised" in reply:
        kind, message = str(reply["raised"])[:100], str(reply.get("message", ""))[:2000]
        if reply.get("builtin") is True and kind in BUILTIN_EXCEPTIONS:
            raise BUILTIN_EXCEPTIONS[kind](message)
        raise LearnerError(f"{kind}: {message}")
    if "refused" in reply:
        raise AnswerNotCheckable(f"{name}(...) {str(reply['refused'])[:300]}")
    raise CallNotCompleted(f"{name}(...) {str(reply.get('error', 'gave no result'))[:500]}")


@dataclass
class Snapshot:
    """What one snapshot says about the names a test reads."""

    values: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def read_snapshot(text: str, wanted: list[str]) -> Snapshot:
    """Decode a snapshot, keeping only the ``wanted`` names; a bad value is refused, not raised."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise Invalid(f"the snapshot is not JSON ({error})") from None
    except RecursionError:
        raise Invalid("the snapshot nests too deeply to read") from None
    if not isinstance(document, dict):
        raise Invalid("the snapshot is not a JSON object")
    snapshot = Snapshot(missing=[name for name in _names(document.get("missing")) if name in wanted])
    refused = document.get("refused") if isinstance(document.get("refused"), dict) else {}
    snapshot.refused = {name: str(reason)[:300] for name, reason in refused.items() if name in wanted}
    values = document.get("values") if isinstance(document.get("values"), dict) else {}
    for name, node in values.items():
        if name not in wanted:
            continue
        try:
            snapshot.values[name] = decode(node)
            snapshot.fingerprints[name] = hashlib.sha256(json.dumps(node, sort_keys=True).encode()).hexdigest()
        except (Invalid, ValueError, TypeError, OverflowError, RecursionError) as error:
            snapshot.refused[name] = f"`{name}` could not be rebuilt for checking ({error})"
    return snapshot


def _names(value: Any) -> list[str]:
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


def decode(node: Any, depth: int = 0) -> Any:
    """One encoded value, rebuilt from scratch."""
    if depth > MAX_DEPTH:
        raise Invalid("nests too deeply")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if type(node) is not dict or not isinstance(node.get("$"), str):
        raise Invalid(f"unexpected {type(node).__name__} in the snapshot")
    handler = _DECODERS.get(node["$"])
    if handler is None:
        raise Invalid(f"unknown value tag {node['$']!r}")
    return handler(node, depth + 1)


def _items(node: dict, depth: int) -> list[Any]:
    items = node.get("v")
    if not isinstance(items, list):
        raise Invalid("a container without items")
    return [decode(item, depth) for item in items]


def _namedtuple(node: dict, depth: int) -> tuple:
    """A named tuple: the course's own class when it is one (``Interval``, ``Comparison``), else a look-alike."""
    items, fields, name = _items(node, depth), node.get("fields"), node.get("name")
    if not isinstance(fields, list) or len(fields) != len(items) or \
            not all(isinstance(f, str) and f.isidentifier() and not f.startswith("_") for f in fields):
        raise Invalid("a named tuple with invalid fields")
    cls = _course_class(node.get("module"), name, fields)
    if cls is None:
        cls = collections.namedtuple(name if isinstance(name, str) and name.isidentifier() else "Record", fields)
    return cls(*items)


def _course_class(module: Any, name: Any, fields: list[str]) -> type | None:
    """A named-tuple class of the course package itself (trusted code), if that is what it claims to be."""
    if not isinstance(module, str) or not isinstance(name, str) or \
            not (module == COURSE_PACKAGE or module.startswith(COURSE_PACKAGE + ".")):
        return None
    try:
        found = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    is_match = isinstance(found, type) and issubclass(found, tuple) and tuple(getattr(found, "_fields", ())) == \
        tuple(fields)
    return found if is_match else None


def _dict(node: dict, depth: int) -> dict:
    pairs = node.get("v")
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise Invalid("a dict without key/value pairs")
    return {decode(key, depth): decode(value, depth) for key, value in pairs}


def _numpy_array(spec: dict, depth: int):
    import numpy as np

    dtype, data = spec.get("dtype"), spec.get("data")
    if not isinstance(dtype, str) or not _NUMPY_DTYPE.match(dtype) or not isinstance(data, list):
        raise Invalid(f"unsupported NumPy dtype {dtype!r}")
    if dtype == "object":
        array = np.empty(len(data), dtype=object)
        array[:] = [decode(item, depth) for item in data]
        return array
    if dtype.startswith(("datetime64", "timedelta64")):
        return np.array(data, dtype="int64").view(dtype)
    if not all(item is None or type(item) in (bool, int, float, str) for item in data):
        raise Invalid("non-scalar values in a NumPy array")
    return np.array(data, dtype=dtype)


def _ndarray(node: dict, depth: int):
    shape = node.get("shape")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise Invalid("an array without a valid shape")
    return _numpy_array(node, depth).reshape(shape)


def _numpy_scalar(node: dict, depth: int):
    array = _numpy_array(node, depth)
    if array.shape != (1,):
        raise Invalid("a NumPy scalar with more than one value")
    return array[0]


def _pandas_values(spec: dict, depth: int):
    """The array behind a Series or Index, with its dtype."""
    import pandas as pd

    dtype = spec.get("dtype")
    if dtype == "category":
        categories = _index(spec.get("categories"), depth)
        codes = spec.get("codes")
        if not isinstance(codes, list) or not all(type(c) is int and -1 <= c < len(categories) for c in codes):
            raise Invalid("category codes out of range")
        return pd.Categorical.from_codes(codes, categories=categories, ordered=bool(spec.get("ordered")))
    zone = _TZ_DTYPE.match(dtype) if isinstance(dtype, str) else None
    if zone:
        naive = _numpy_array({"dtype": f"datetime64[{zone.group(1)}]", "data": spec.get("data")}, depth)
        try:
            return pd.DatetimeIndex(naive).tz_localize("UTC").tz_convert(zone.group(2)).array
        except KeyError:
            raise Invalid(f"unknown time zone {zone.group(2)!r}") from None
    if isinstance(dtype, str) and _EXTENSION_DTYPE.match(dtype):
        data = spec.get("data")
        if not isinstance(data, list):
            raise Invalid("a pandas array without values")
        return pd.array([decode(item, depth) for item in data], dtype=dtype)
    return _numpy_array(spec, depth)


def _index(node: Any, depth: int):
    import pandas as pd

    if not isinstance(node, dict):
        raise Invalid("an index that is not an index")
    tag = node.get("$")
    if tag == "range":
        bounds = [node.get(key) for key in ("start", "stop", "step")]
        if not all(type(n) is int for n in bounds):
            raise Invalid("a range index without integer bounds")
        return pd.RangeIndex(*bounds, name=decode(node.get("name"), depth))
    if tag == "multi":
        levels = [_index(level, depth + 1) for level in node.get("levels") or []]
        names = [decode(name, depth) for name in node.get("names") or []]
        return pd.MultiIndex(levels=levels, codes=node.get("codes"), names=names)
    if tag == "index":
        values = _pandas_values(node, depth)
        return pd.Index(values, dtype=getattr(values, "dtype", None), name=decode(node.get("name"), depth))
    raise Invalid(f"unknown index tag {tag!r}")


def _series(node: dict, depth: int):
    import pandas as pd

    index = _index(node.get("index"), depth)
    return pd.Series(_pandas_values(node, depth), index=index, name=decode(node.get("name"), depth))


def _frame(node: dict, depth: int):
    import pandas as pd

    index, columns = _index(node.get("index"), depth), _index(node.get("columns"), depth)
    data = node.get("data")
    if not isinstance(data, list) or len(data) != len(columns):
        raise Invalid("a DataFrame whose columns and data disagree")
    frame = pd.DataFrame({position: _pandas_values(spec, depth) for position, spec in enumerate(data)},
                         index=index)
    frame.columns = columns
    return frame


def _pandas_scalar(node: dict, depth: int):
    import pandas as pd

    kind, text, zone = node.get("kind"), node.get("v"), node.get("tz")
    if kind == "Timedelta" and isinstance(text, str):
        return pd.Timedelta(text)
    if kind == "Timestamp" and isinstance(text, str):
        stamp = pd.Timestamp(text)
        return stamp.tz_convert(zone) if stamp.tzinfo is not None and zone not in (None, "None") else stamp
    raise Invalid("an unknown pandas scalar")


def _function(node: dict, depth: int) -> LearnerFunction:
    name, ref = node.get("name"), node.get("ref")
    if not isinstance(name, str) or type(ref) is not int or ref < 0:
        raise Invalid("a function reference without a name and number")
    return LearnerFunction(name[:100], ref)


def _missing(node: dict, depth: int):
    import pandas as pd

    missing = {"NaT": pd.NaT, "NA": pd.NA}
    if node.get("kind") not in missing:
        raise Invalid("an unknown missing-value marker")
    return missing[node["kind"]]


_DECODERS = {
    "list": _items,
    "tuple": lambda node, depth: tuple(_items(node, depth)),
    "set": lambda node, depth: set(_items(node, depth)),
    "frozenset": lambda node, depth: frozenset(_items(node, depth)),
    "dict": _dict,
    "namedtuple": _namedtuple,
    "np": _numpy_scalar,
    "ndarray": _ndarray,
    "series": _series,
    "frame": _frame,
    "range": _index,
    "multi": _index,
    "index": _index,
    "pdscalar": _pandas_scalar,
    "missing": _missing,
    "function": _function,
}
