"""The check engine: passes right answers, names known mistakes, never leaks hidden values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxacademy.checks import CheckFailed, Mistake, check, expect, expect_between, expect_index, expect_type, judge
from cxacademy.text import t


def test_right_number_within_tolerance_passes():
    assert judge("nps", 10.04, 10.0, tolerance=0.05).passed


def test_known_mistake_is_named():
    verdict = judge("nps", 30.0, 10.0, mistakes=[Mistake(30.0, "passives counted as promoters")])
    assert not verdict.passed and "passives counted as promoters" in verdict.message


def test_unknown_wrong_value_gives_hint_but_not_the_expected_value():
    verdict = judge("rate", 41.0, 57.123, hint="check the denominator")
    assert not verdict.passed and "check the denominator" in verdict.message
    assert "57" not in verdict.message


def test_series_compare_by_label_not_position():
    expected = pd.Series({"a": 1.0, "b": 2.0})
    assert judge("s", pd.Series({"b": 2.0, "a": 1.0}), expected).passed
    assert not judge("s", pd.Series({"a": 1.0, "c": 2.0}), expected).passed


def test_wrong_kind_is_explained():
    verdict = judge("s", 3.0, pd.Series({"a": 1.0}))
    assert not verdict.passed and t("check.kind.series") in verdict.message


def test_check_prints_and_returns_a_truthy_verdict(capsys):
    assert check("x", 1.0, 1.0)
    assert "✅" in capsys.readouterr().out
    assert not check("x", 2.0, 1.0)
    assert "❌" in capsys.readouterr().out


def test_unanswered_placeholder_is_not_yet_not_wrong():
    for placeholder in (None, ...):
        verdict = judge("rate", placeholder, 50.0)
        assert not verdict.passed and "Not answered yet" in verdict.message


def test_named_tuple_and_tuple_are_the_same_kind():
    from cxacademy.metrics import Interval

    verdict = judge("ci", (1.0, 0.0, 2.0), Interval(1.0, 0.0, 3.0), hint="wrong bound")
    assert "wrong bound" in verdict.message


def test_expect_raises_assertion_with_the_message():
    with pytest.raises(AssertionError, match="shares"):
        expect("rate", 0.5, 50.0, mistakes=[Mistake(0.5, "you reported shares")])
    expect("rate", 50.0, 50.0)


def test_expect_type_accepts_numpy_numbers_as_float():
    import numpy as np

    expect_type("x", np.float64(1.0), float)
    with pytest.raises(AssertionError, match="should be of type float"):
        expect_type("x", "1.0", float)


def test_expect_between_and_index():
    expect_between("r", pd.Series([0.0, 100.0]), 0, 100)
    with pytest.raises(AssertionError, match="between 0 and 100"):
        expect_between("r", 101, 0, 100)
    with pytest.raises(AssertionError, match="indexed by"):
        expect_index("s", pd.Series({"b": 1, "a": 2}), ["a", "b"])


@pytest.mark.parametrize("answer, key", [
    ("57.1", "check.text_not_number"),
    (pd.Series(["57.1", "60"]), "check.text_not_number"),
    (pd.Series([57.1, "60"], dtype=object), "check.text_not_number"),
    (True, "check.boolean_not_number"),
    (np.bool_(True), "check.boolean_not_number"),
    (pd.Series([True, False]), "check.boolean_not_number"),
    (pd.Series([57.1, True], dtype=object), "check.boolean_not_number"),
], ids=["quoted number", "text Series", "text among numbers", "True", "NumPy bool", "bool Series",
        "True among numbers"])
def test_expect_between_refuses_text_and_booleans_that_pandas_would_read_as_numbers_in_range(answer, key):
    values = answer if isinstance(answer, pd.Series) else pd.Series([answer])
    assert pd.to_numeric(values.astype(object).map(float)).between(0, 100).all(), "the range alone would pass it"
    with pytest.raises(CheckFailed) as failure:
        expect_between("rate", answer, 0, 100, hint="a percentage")
    assert str(failure.value) == t(key, name="rate", hint="a percentage")


@pytest.mark.parametrize("answer", [57.1, 57, np.float64(57.1), np.int64(57), pd.Series([0, 57.1, 100]),
                                    pd.Series([1, None], dtype="Int64").fillna(5)])
def test_expect_between_accepts_every_kind_of_number(answer):
    expect_between("rate", answer, 0, 100)
