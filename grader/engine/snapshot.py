"""Answer values as plain data, taken inside the learner's kernel.

The grader never imports this file: ``SOURCE`` (its text) is sent to the learner's
sandboxed kernel and run there right before each test point, for the names that test
reads. It turns each value into type-tagged JSON — numbers, text, booleans, None,
lists/tuples/sets/dicts of those, NumPy scalars and arrays, pandas Series, DataFrame and
Index of plain dtypes — and refuses everything else. Only data leaves the learner's
kernel: no methods, overridden operators or hidden state reach the clean room where the
tests run.

A function the learner wrote crosses as a *reference* (``{"$": "function", "name", "ref"}``):
the function itself stays in a registry in the learner's kernel (``REGISTRY``, one entry
per function object, so an unchanged function keeps its reference). When a test in the
clean room calls it, the grader runs ``call`` here: the arguments (the test's own data,
pickled by the trusted clean room) are loaded, the function runs among the learner's code
as in plain nbgrader, and its result goes back through ``encode`` like any answer, or the
exception it raised as its type name and message.

It runs among the learner's code, so the learner can tamper with it; all that tampering
can produce is some other data, which the clean room decodes strictly
(``grader.engine.values``). It needs no protection, only to be self-contained: standard
library at top level, NumPy and pandas only if the learner's kernel already imported them.
"""

import json
import sys
from pathlib import Path

MIME = "application/vnd.cx-grader.snapshot"
MAX_DEPTH = 32
REGISTRY = "__cx_functions__"
MAX_MESSAGE = 2000
#: The learner's registry while ``publish`` or ``call`` runs (a one-item list: this file runs via exec).
_registry = [[]]
SOURCE = Path(__file__).read_text(encoding="utf-8") if "__file__" in globals() else ""


class Refused(Exception):
    """The value is not plain data; the message says what it is instead."""


def _spend(budget, count):
    budget[0] -= count
    if budget[0] < 0:
        raise Refused("is too large to check (too many values)")


def _type_name(value):
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def encode(value, budget, depth=0):
    """``value`` as JSON-ready data, or Refused when it is anything but plain data."""
    if depth > MAX_DEPTH:
        raise Refused("nests too deeply")
    _spend(budget, 1)
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if _is_function(value):
        return {"$": "function", "name": str(value.__name__)[:100], "ref": _register(value)}
    if kind in (list, tuple, set, frozenset):
        return {"$": kind.__name__, "v": [encode(item, budget, depth + 1) for item in value]}
    if _is_namedtuple(value):
        return {"$": "namedtuple", "module": kind.__module__, "name": kind.__qualname__, "fields": list(value._fields),
                "v": [encode(item, budget, depth + 1) for item in value]}
    if isinstance(value, dict) and kind.__module__ in ("builtins", "collections"):
        return {"$": "dict", "v": [[encode(k, budget, depth + 1), encode(v, budget, depth + 1)]
                                   for k, v in value.items()]}
    return _encode_library(value, budget, depth)


def _is_function(value):
    """A function the learner wrote (``def`` or lambda); built-ins, methods and callables stay refused."""
    import types

    return type(value) is types.FunctionType


def _register(function):
    """The function's reference: its place in the learner's registry, the same for the same object."""
    registry = _registry[0]
    for ref, known in enumerate(registry):
        if known is function:
            return ref
    registry.append(function)
    return len(registry) - 1


def _is_namedtuple(value):
    return isinstance(value, tuple) and type(value).__bases__ == (tuple,) and hasattr(value, "_fields")


def _encode_library(value, budget, depth):
    numpy, pandas = sys.modules.get("numpy"), sys.modules.get("pandas")
    if numpy is not None and type(value).__module__ == "numpy":
        if isinstance(value, numpy.generic):
            return {"$": "np", **_numpy_values(numpy.asarray(value).reshape(1), budget, depth)}
        if type(value) is numpy.ndarray:
            return {"$": "ndarray", "shape": list(value.shape), **_numpy_values(value, budget, depth)}
    if pandas is not None and type(value).__module__.startswith("pandas"):
        return _encode_pandas(value, pandas, budget, depth)
    raise Refused(f"is a {_type_name(value)}")


def _numpy_values(array, budget, depth):
    _spend(budget, array.size)
    flat, kind = array.ravel(), array.dtype.kind
    if kind in "biufU":
        return {"dtype": str(array.dtype), "data": flat.tolist()}
    if kind in "Mm":
        return {"dtype": str(array.dtype), "data": flat.view("i8").tolist()}
    if kind == "O":
        return {"dtype": "object", "data": [encode(item, budget, depth + 1) for item in flat.tolist()]}
    raise Refused(f"holds {array.dtype} values")


def _encode_pandas(value, pandas, budget, depth):
    kind = type(value)
    if kind is pandas.Series:
        return {"$": "series", "name": encode(value.name, budget, depth + 1),
                "index": _index(value.index, pandas, budget, depth), **_values(value, pandas, budget, depth)}
    if kind is pandas.DataFrame:
        return {"$": "frame", "index": _index(value.index, pandas, budget, depth),
                "columns": _index(value.columns, pandas, budget, depth),
                "data": [_values(value.iloc[:, i], pandas, budget, depth) for i in range(value.shape[1])]}
    if isinstance(value, pandas.Index):
        return _index(value, pandas, budget, depth)
    if kind is pandas.Timestamp or kind is pandas.Timedelta:
        return {"$": "pdscalar", "kind": kind.__name__, "v": value.isoformat(), "tz": str(getattr(value, "tz", None))}
    if value is pandas.NaT or value is pandas.NA:
        return {"$": "missing", "kind": "NaT" if value is pandas.NaT else "NA"}
    raise Refused(f"is a {_type_name(value)}")


def _index(index, pandas, budget, depth):
    kind = type(index)
    if kind is pandas.RangeIndex:
        return {"$": "range", "start": index.start, "stop": index.stop, "step": index.step,
                "name": encode(index.name, budget, depth + 1)}
    if kind is pandas.MultiIndex:
        return {"$": "multi", "names": [encode(name, budget, depth + 1) for name in index.names],
                "levels": [_index(level, pandas, budget, depth + 1) for level in index.levels],
                "codes": [codes.tolist() for codes in index.codes]}
    if kind in (pandas.Index, pandas.CategoricalIndex, pandas.DatetimeIndex, pandas.TimedeltaIndex):
        return {"$": "index", "name": encode(index.name, budget, depth + 1), **_values(index, pandas, budget, depth)}
    raise Refused(f"has an index of type {_type_name(index)}")


def _values(data, pandas, budget, depth):
    """The values of a Series or Index, with exactly enough to rebuild its dtype."""
    numpy, dtype = sys.modules["numpy"], data.dtype
    if isinstance(dtype, pandas.CategoricalDtype):
        codes = data.cat.codes if isinstance(data, pandas.Series) else data.codes
        return {"dtype": "category", "ordered": bool(dtype.ordered),
                "categories": _index(dtype.categories, pandas, budget, depth + 1),
                "codes": numpy.asarray(codes).tolist()}
    if isinstance(dtype, pandas.DatetimeTZDtype):
        naive = data.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(data, pandas.Series) \
            else data.tz_convert("UTC").tz_localize(None)
        return {**_numpy_values(naive.to_numpy(), budget, depth), "dtype": str(dtype)}
    if isinstance(dtype, numpy.dtype):
        return _numpy_values(data.to_numpy(), budget, depth)
    _spend(budget, len(data))
    items = data.to_numpy(dtype=object)
    return {"dtype": str(dtype), "data": [None if pandas.isna(item) else encode(item, budget, depth + 1)
                                          for item in items]}


def publish(namespace, names, max_items, max_bytes=None):
    """Send the named values of ``namespace`` to the grader as one display message.

    Answers whose text is over ``max_bytes`` are refused here, with their size: the
    grader's sockets drop a larger message unread, so it would say nothing at all.
    """
    values, refused, missing = {}, {}, []
    _registry[0] = namespace.setdefault(REGISTRY, [])
    for name in names:
        if name not in namespace:
            missing.append(name)
            continue
        try:
            values[name] = encode(namespace[name], [max_items])
        except Refused as why:
            refused[name] = f"`{name}` {why}"
        except Exception as error:  # noqa: BLE001 - whatever the value does, the grader gets a reason
            refused[name] = f"`{name}` could not be read ({type(error).__name__}: {error})"
    text = json.dumps({"values": values, "refused": refused, "missing": missing}, allow_nan=True)
    if max_bytes is not None and len(text) > max_bytes:
        why = (f"is too large to check: the answers this test reads come to {len(text) >> 20} MB, "
               f"over {max_bytes >> 20} MB")
        refused.update({name: f"`{name}` {why}" for name in values})
        text = json.dumps({"values": {}, "refused": refused, "missing": missing})
    from IPython.display import publish_display_data

    publish_display_data({MIME: text})


def _arguments(payload, registry):
    """The call's arguments, unpickled; a learner function passed as an argument is the registry's own."""
    import base64
    import io
    import pickle

    class Arguments(pickle.Unpickler):
        def persistent_load(self, ref):
            return registry[ref]

    return Arguments(io.BytesIO(base64.b64decode(payload))).load()


def _raised(error):
    """A learner's exception as the clean room reads it: builtin type name (or its class name) and message."""
    kind = type(error)
    try:
        message = str(error)[:MAX_MESSAGE]
    except Exception:  # noqa: BLE001 - an exception whose text cannot be read still has a type
        message = ""
    return {"raised": kind.__name__, "builtin": kind.__module__ == "builtins", "message": message}


def call(namespace, ref, payload, max_items, max_bytes):
    """Call the learner's function ``ref`` with the clean room's arguments; publish its result as data."""
    _registry[0] = registry = namespace.setdefault(REGISTRY, [])
    args, kwargs = _arguments(payload, registry)
    try:
        result = registry[ref](*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the learner's exception is the call's result
        reply = _raised(error)
    else:
        try:
            reply = {"value": encode(result, [max_items])}
        except Refused as why:
            reply = {"refused": f"returned a value that {why}"}
        except Exception as error:  # noqa: BLE001 - whatever the value does, the grader gets a reason
            reply = {"refused": f"returned a value that could not be read ({type(error).__name__})"}
    text = json.dumps(reply, allow_nan=True)
    if len(text) > max_bytes:
        text = json.dumps({"refused": f"returned a value too large to check ({len(text) >> 20} MB)"})
    from IPython.display import publish_display_data

    publish_display_data({MIME: text})


def call_snippet(ref, payload, max_items, max_bytes):
    """The code the grader runs in the learner's kernel to call function ``ref`` with pickled arguments."""
    return (f"__cx_grader__ = {{'__name__': 'cx_grader_snapshot'}}\n"
            f"exec({SOURCE!r}, __cx_grader__)\n"
            f"__cx_grader__['call'](globals(), {int(ref)}, {payload!r}, {int(max_items)}, {int(max_bytes)})\n"
            "del __cx_grader__\n")


def snippet(names, max_items, max_bytes=None):
    """The code the grader runs in the learner's kernel to publish ``names``."""
    return (f"__cx_grader__ = {{'__name__': 'cx_grader_snapshot'}}\n"
            f"exec({SOURCE!r}, __cx_grader__)\n"
            f"__cx_grader__['publish'](globals(), {list(names)!r}, {int(max_items)}, {max_bytes!r})\n"
            "del __cx_grader__\n")
