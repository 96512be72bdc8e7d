"""FEVS indices as OPM defines them (cxacademy.employees), checked by hand and on the real sample.

Expected values are computed here with plain pandas / NumPy, never with the function under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxacademy import employees
from cxacademy.data import load


def tiny_survey() -> pd.DataFrame:
    """Three respondents with different weights: every EEI item answered the same by each."""
    answers = {"a": 5, "b": 2, "c": 4}
    rows = []
    for who, value in answers.items():
        rows.append({"who": who, "unit": "X" if who != "c" else "Y", "weight": {"a": 1.0, "b": 3.0, "c": 2.0}[who],
                     "leaving_intent": who == "b", **dict.fromkeys(employees.EEI_ITEMS, value)})
    return pd.DataFrame(rows)


def test_weights_decide_the_index():
    survey = tiny_survey()
    # Positive: a (weight 1) and c (weight 2) of a total weight 6.
    assert employees.engagement_index(survey)["eei"] == pytest.approx(100 * 3 / 6)
    by_unit = employees.engagement_index(survey, "unit")
    assert by_unit.loc["X", "eei"] == pytest.approx(100 * 1 / 4)
    assert by_unit.loc["Y", "eei"] == pytest.approx(100.0)


def test_engaged_needs_more_than_half_of_the_items_positive():
    survey = tiny_survey()
    assert employees.engaged(survey).tolist() == [True, False, True]
    seven = survey.iloc[[0]].copy()
    seven[list(employees.EEI_ITEMS[7:])] = 3
    assert not employees.engaged(seven).iloc[0]


def test_leaving_gap_is_not_engaged_minus_engaged():
    survey = tiny_survey()
    table = employees.leaving_by_engagement(survey, "unit")
    assert table.loc["X", "leave_not_engaged_pct"] == pytest.approx(100.0)
    assert table.loc["X", "leave_engaged_pct"] == pytest.approx(0.0)
    assert table.loc["X", "leave_gap_pts"] == pytest.approx(100.0)


@pytest.fixture(scope="module")
def fevs() -> pd.DataFrame:
    return load("fevs_2018_respondents")


def test_real_eei_matches_the_data_card_and_a_direct_computation(fevs):
    positive = fevs[list(employees.EEI_ITEMS)].ge(4).to_numpy()
    weights = fevs["weight"].to_numpy()
    direct = 100 * (positive * weights[:, None]).sum(axis=0).sum() / (weights.sum() * positive.shape[1])
    index = employees.engagement_index(fevs)
    assert index["eei"] == pytest.approx(direct)
    assert round(index["eei"], 1) == 68.7  # datasets/fevs_2018_respondents/SOURCE.md
    assert index["eei"] == pytest.approx(index[list(employees.EEI_SUBINDICES)].mean())


def test_real_gap_by_agency_matches_numpy(fevs):
    agency = "Department of Commerce"
    mine = fevs[fevs["agency_name"].astype(str) == agency]
    engaged = mine[list(employees.EEI_ITEMS)].ge(4).sum(axis=1).ge(8).to_numpy()
    leaving, weights = mine["leaving_intent"].to_numpy(float), mine["weight"].to_numpy()
    expected = (100 * np.average(leaving[~engaged], weights=weights[~engaged])
                - 100 * np.average(leaving[engaged], weights=weights[engaged]))
    table = employees.leaving_by_engagement(fevs, "agency_name")
    assert table.loc[agency, "leave_gap_pts"] == pytest.approx(expected)
