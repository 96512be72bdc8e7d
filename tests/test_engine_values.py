"""Answers cross from the learner's kernel to the clean room as plain data, exactly and nothing more.

``grader.engine.snapshot`` encodes in the learner's kernel; ``grader.engine.values``
decodes in the clean room. A value must come back equal, of the same type and dtype (tests
check types and dtypes); anything that is not plain data must be refused with a reason;
and the decoder must refuse anything the encoder would never write.
"""

from __future__ import annotations

import collections
import json
import re

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_index_equal, assert_series_equal

from cxacademy.metrics import Comparison
from grader.engine import snapshot
from grader.engine.values import Invalid, decode, read_snapshot


def round_trip(value):
    return decode(json.loads(json.dumps(snapshot.encode(value, [10**7]), allow_nan=True)))


SCALARS = [None, True, 0, -(2**80), 2.5, float("inf"), "tea ☕", (1, "a", 2.0), [1, [2, None]], {"a": 1, 2: (3,)},
           {1, 2}, frozenset({"x"}), np.int64(7), np.float32(1.5), np.bool_(False), np.str_("ab"),
           np.datetime64("2024-05-01"), pd.Timestamp("2024-05-01 10:00", tz="Europe/Paris"), pd.Timedelta("90min")]


@pytest.mark.parametrize("value", SCALARS, ids=lambda v: type(v).__name__)
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    back = round_trip(value)
    assert type(back) is type(value)
    assert back == value


def test_nan_and_arrays_come_back_with_dtype_and_shape():
    assert np.isnan(round_trip(float("nan")))
    array = np.arange(6, dtype="int32").reshape(2, 3)
    back = round_trip(array)
    assert back.dtype == array.dtype and back.shape == (2, 3) and (back == array).all()


SERIES = {
    "float with NaN and a named index": pd.Series([1.5, np.nan], index=pd.Index(["a", "b"], name="k"), name="x"),
    "text (pandas str) with a missing value": pd.Series(["a", None, "c"], index=[3, 1, 2]),
    "ordered categorical": pd.Series(pd.Categorical(["a", "b", "a"], categories=["b", "a"], ordered=True)),
    "categorical index (groupby on a category)": pd.Series(
        [80.0, 75.5], index=pd.CategoricalIndex(["Tops", "Dresses"], categories=["Dresses", "Tops", "Trend"])),
    "datetimes with NaT": pd.Series(pd.to_datetime(["2024-01-01", None])),
    "time-zone aware datetimes": pd.Series(pd.to_datetime(["2024-01-01 10:00"]).tz_localize("UTC")
                                           .tz_convert("Europe/Paris")),
    "nullable integers": pd.Series([1, None], dtype="Int64"),
    "booleans": pd.Series([True, False]),
    "mixed objects": pd.Series([1, "a", None], dtype=object),
    "multi-index": pd.Series([1, 2], index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["p", "q"])),
    "empty": pd.Series([], dtype=float),
}


@pytest.mark.parametrize("series", SERIES.values(), ids=SERIES.keys())
def test_series_come_back_with_values_index_name_and_dtypes(series):
    assert_series_equal(round_trip(series), series, check_exact=True, check_index_type=True)


def test_frames_and_indexes_come_back_exactly():
    frame = pd.DataFrame({"complaints": [120, 80], "timely_pct": [99.5, 97.25], "company": ["A", "B"]},
                         index=pd.Index(["X", "Y"], name="bank"))
    assert_frame_equal(round_trip(frame), frame, check_exact=True)
    assert_frame_equal(round_trip(pd.DataFrame()), pd.DataFrame())
    assert_index_equal(round_trip(pd.RangeIndex(2, 10, 2, name="r")), pd.RangeIndex(2, 10, 2, name="r"))


def test_standard_library_containers_become_their_plain_form():
    back = round_trip(collections.Counter("aab"))
    assert back == {"a": 2, "b": 1} and type(back) is dict


def test_named_tuples_keep_their_fields_and_the_course_s_own_keep_their_class():
    comparison = Comparison(1.5, 0.5, 3.0, 0.002)
    assert type(round_trip(comparison)) is Comparison and round_trip(comparison).p_value == 0.002
    mine = round_trip(collections.namedtuple("Pair", "low high")(1, 2))
    assert mine == (1, 2) and mine.high == 2 and type(mine).__name__ == "Pair"


class Liar(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class MySeries(pd.Series):
    pass


@pytest.mark.parametrize("value, why", [
    (Liar(1), "Liar"), (Liar, "type"), (MySeries([1]), "MySeries"), (object(), "object"),
    ([1, open], "builtin_function_or_method"), (pd.Series([object()], dtype=object), "object"),
    (pd.period_range("2024-01", periods=2, freq="M"), "PeriodIndex"), (np.array([1j]), "complex"),
])
def test_anything_but_plain_data_is_refused_with_what_it_is(value, why):
    with pytest.raises(snapshot.Refused, match=why):
        snapshot.encode(value, [10**7])


def test_a_value_too_large_to_check_is_refused():
    with pytest.raises(snapshot.Refused, match="too large"):
        snapshot.encode(list(range(1000)), [100])


@pytest.mark.parametrize("node", [
    {"$": "pickle", "v": "gASV"}, {"$": "list"}, {"$": "dict", "v": [[1]]}, {"a": 1}, [1, 2],
    {"$": "ndarray", "shape": [1], "dtype": "V8", "data": [0]},
    {"$": "series", "dtype": "datetime64[ns, ../../etc/passwd]", "data": [0], "name": None,
     "index": {"$": "range", "start": 0, "stop": 1, "step": 1, "name": None}},
    {"$": "series", "dtype": "category", "codes": [5], "ordered": False, "name": None,
     "categories": {"$": "index", "dtype": "object", "data": ["a"], "name": None},
     "index": {"$": "range", "start": 0, "stop": 1, "step": 1, "name": None}},
    {"$": "ndarray", "shape": [1], "dtype": "float64", "data": [{"$": "list", "v": []}]},
])
def test_the_decoder_refuses_what_the_encoder_never_writes(node):
    with pytest.raises((Invalid, ValueError, TypeError)):
        decode(node)


def _series_node(dtype: str, data: list) -> dict:
    return {"$": "series", "dtype": dtype, "data": data, "name": None,
            "index": {"$": "range", "start": 0, "stop": len(data), "step": 1, "name": None}}


#: dtypes outside the decoder's allow-lists, each with how NumPy or pandas would build it
#: (None: they would raise an error of their own, which is not the decoder's refusal).
FORBIDDEN_DTYPES = {
    "complex array": ({"$": "ndarray", "shape": [1], "dtype": "complex128", "data": [1.0]},
                      lambda: np.array([1.0], dtype="complex128")),
    "complex scalar": ({"$": "np", "dtype": "complex64", "data": [1.0]}, lambda: np.complex64(1.0)),
    "long double": ({"$": "ndarray", "shape": [1], "dtype": "float128", "data": [1.0]},
                    lambda: np.array([1.0], dtype="float128")),
    "byte strings": ({"$": "ndarray", "shape": [1], "dtype": "S4", "data": ["abcd"]},
                     lambda: np.array(["abcd"], dtype="S4")),
    "raw bytes": ({"$": "ndarray", "shape": [1], "dtype": "V8", "data": [0]}, None),
    "complex Series": (_series_node("complex128", [1.0]), lambda: pd.Series([1.0], dtype="complex128")),
    "sparse Series": (_series_node("Sparse[float64]", [1.0]), lambda: pd.Series([1.0], dtype="Sparse[float64]")),
    "zone-aware days": (_series_node("datetime64[D, UTC]", [0]),
                        lambda: pd.DatetimeIndex(np.array([0], dtype="datetime64[D]")).tz_localize("UTC")),
    "a path for a time zone": (_series_node("datetime64[ns, ../../etc/passwd]", [0]), None),
}


@pytest.mark.parametrize("node, build", FORBIDDEN_DTYPES.values(), ids=FORBIDDEN_DTYPES.keys())
def test_dtypes_outside_the_allow_lists_are_refused_by_the_allow_lists_themselves(node, build):
    """Not any ValueError: the decoder's own refusal, naming the dtype, even where pandas would comply."""
    if build is not None:
        build()
    with pytest.raises(Invalid, match=re.escape(f"unsupported NumPy dtype {node['dtype']!r}")):
        decode(node)


def test_a_value_of_a_forbidden_dtype_is_refused_in_the_snapshot_with_the_reason():
    node = FORBIDDEN_DTYPES["sparse Series"][0]
    taken = read_snapshot(json.dumps({"values": {"scores": node}}), ["scores"])
    assert taken.values == {}
    assert "unsupported NumPy dtype 'Sparse[float64]'" in taken.refused["scores"]


def test_a_snapshot_yields_only_the_names_a_cell_reads_and_says_what_was_refused():
    text = json.dumps({"values": {"answer": 42, "secret": 1}, "refused": {"ranking": "`ranking` is a function"},
                       "missing": ["total"]})
    taken = read_snapshot(text, ["answer", "ranking", "total"])
    assert taken.values == {"answer": 42}
    assert taken.refused == {"ranking": "`ranking` is a function"}
    assert taken.missing == ["total"]
    with pytest.raises(Invalid):
        read_snapshot("not json", ["answer"])


def test_the_snippet_publishes_the_answers_and_needs_nothing_but_the_kernel(monkeypatch):
    published = []
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, **kwargs: published.append(data))
    namespace = {"answer": 42, "ranking": pd.Series([4.5, 3.0], index=["cake", "tea"]), "helper": print}
    exec(snapshot.snippet(["answer", "ranking", "helper", "total"], 1000), namespace)
    taken = read_snapshot(published[0][snapshot.MIME], ["answer", "ranking", "helper", "total"])
    assert taken.values["answer"] == 42
    assert_series_equal(taken.values["ranking"], namespace["ranking"])
    assert "helper" in taken.refused and taken.missing == ["total"]
    assert "__cx_grader__" not in namespace
    imports = [line for line in snapshot.SOURCE.splitlines() if line.lstrip().startswith(("import ", "from "))]
    assert not [line for line in imports if "grader" in line or "cxacademy" in line]


def test_a_named_tuple_claiming_a_class_outside_the_course_package_gets_a_harmless_look_alike():
    claimed = {"$": "namedtuple", "module": "os", "name": "system", "fields": ["command"], "v": ["rm -rf /"]}
    value = decode(claimed)
    assert value.command == "rm -rf /" and type(value).__module__ != "os"
    with pytest.raises(Invalid):
        decode({**claimed, "fields": ["__class__"]})


def test_a_snapshot_nested_past_the_interpreter_s_limit_is_refused_not_raised():
    """json.loads raises RecursionError (not a ValueError) on deep nesting: the reader must still refuse it."""
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(Invalid, match="nests too deeply"):
        read_snapshot(deep, ["answer"])


def test_an_answer_nested_deeper_than_the_encoder_allows_is_refused_with_what_it_is():
    answer = []
    for _ in range(5000):
        answer = [answer]
    with pytest.raises(snapshot.Refused, match="nests too deeply"):
        snapshot.encode(answer, [10**7])


def test_an_unknown_time_zone_is_refused_not_raised():
    """A learner can write any zone name into the snapshot; pandas answers an unknown one with a KeyError."""
    node = {"$": "series", "name": None, "index": {"$": "range", "start": 0, "stop": 1, "step": 1, "name": None},
            "dtype": "datetime64[ns, Mars/Olympus]", "data": [0]}
    snapshot = read_snapshot(json.dumps({"values": {"when": node}}), ["when"])
    assert "when" not in snapshot.values
    assert "unknown time zone 'Mars/Olympus'" in snapshot.refused["when"]
