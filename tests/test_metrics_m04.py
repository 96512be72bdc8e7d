"""Module 04 formulas against hand-worked examples: pooling, NPS comparisons, drivers, retention.

Every expected value below was worked out by hand from the small inputs shown, not by calling
the function under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxacademy import drivers, metrics, retention

# --- pooling unit-level percentages ---------------------------------------------------


def test_pooled_percent_weights_each_unit_by_its_answers():
    # (50·100 + 80·300) / 400 = 29,000 / 400 = 72.5, not the plain mean 65
    assert metrics.pooled_percent([50, 80], [100, 300]) == pytest.approx(72.5)


def test_pooled_percent_leaves_out_units_without_a_value():
    assert metrics.pooled_percent([50, None, 80], [100, 500, 300]) == pytest.approx(72.5)
    assert math.isnan(metrics.pooled_percent([], []))


def test_pooled_net_rating_pools_bands_then_uses_the_total_n():
    # top band (60·100 + 40·300)/400 = 45 %, bottom band (10·100 + 20·300)/400 = 17.5 %
    # net = 27.5; SE = 100·√[(0.625 − 0.275²)/400] = 100·√(0.549375/400) = 3.70599
    estimate, low, high = metrics.pooled_net_rating([60, 40], [10, 20], [100, 300])
    assert estimate == pytest.approx(27.5)
    assert high - estimate == pytest.approx(1.959964 * 3.705991, abs=1e-4)
    assert estimate - low == pytest.approx(high - estimate)


# --- comparing two NPS-style scores and planning sample sizes ---------------------------


def test_nps_difference_from_shares():
    # A: p=0.6, d=0.4, n=100 → SE_A = 100·√(0.96/100) = 9.79796; B: p=d=0.5 → SE_B = 10
    result = metrics.nps_difference_from_shares(0.6, 0.4, 100, 0.5, 0.5, 100)
    assert result.difference == pytest.approx(20.0)
    assert result.standard_error == pytest.approx(13.99999, abs=1e-4)  # √(96 + 100) = 14
    assert result.z == pytest.approx(20 / 14, abs=1e-4)
    assert result.p_value == pytest.approx(0.15318, abs=1e-4)


def test_nps_difference_from_answers_agrees_with_shares():
    a, b = [10] * 60 + [0] * 40, [10] * 50 + [0] * 50
    assert tuple(metrics.nps_difference(a, b)) == pytest.approx(
        tuple(metrics.nps_difference_from_shares(0.6, 0.4, 100, 0.5, 0.5, 100))
    )


def test_nps_sample_size_for_a_margin_of_error():
    # p=0.5, d=0.2: variance 0.7 − 0.09 = 0.61; n = 195.9964²·0.61 / 5² = 937.3 → 938
    assert metrics.nps_sample_size(0.5, 0.2, margin=5) == 938
    # halving the margin needs four times the answers (up to rounding)
    assert metrics.nps_sample_size(0.5, 0.2, margin=2.5) == 3750


# --- key-driver analysis ----------------------------------------------------------------


def test_relative_importance_of_uncorrelated_drivers_is_their_squared_correlation():
    # x1 and x2 are uncorrelated with equal variance; y = 2·x1 + x2 → r² = 4/5 and 1/5, R² = 1
    frame = pd.DataFrame({"x1": [1, -1, 1, -1], "x2": [1, 1, -1, -1]})
    frame["y"] = 2 * frame["x1"] + frame["x2"]
    table = drivers.relative_importance(frame, ["x2", "x1"], "y")
    assert list(table.index) == ["x1", "x2"]
    assert table["importance_pct"].tolist() == pytest.approx([80.0, 20.0])
    assert table["r2_contribution"].sum() == pytest.approx(1.0)
    assert table["coefficient"].tolist() == pytest.approx([2.0, 1.0])
    assert table.loc["x1", "correlation"] == pytest.approx(2 / math.sqrt(5))


def test_relative_importance_shares_a_collinear_effect_fairly():
    # x1 and x2 are strongly correlated and play symmetric roles: each gets half of R²,
    # whatever order the columns come in
    rng = np.random.default_rng(1)
    base = rng.normal(size=400)
    frame = pd.DataFrame({"x1": base + 0.1 * rng.normal(size=400), "x2": base + 0.1 * rng.normal(size=400)})
    frame["y"] = frame["x1"] + frame["x2"]
    table = drivers.relative_importance(frame, ["x1", "x2"], "y")
    assert table["importance_pct"].tolist() == pytest.approx([50.0, 50.0], abs=1.0)


QUADRANT_EXAMPLE = (
    pd.Series({"a": 40.0, "b": 30.0, "c": 20.0, "d": 10.0}),  # mean importance 25
    pd.Series({"a": 50.0, "b": 90.0, "c": 40.0, "d": 80.0}),  # mean performance 65
)


def test_importance_performance_quadrants_use_the_means_by_default():
    matrix = drivers.importance_performance(*QUADRANT_EXAMPLE)
    assert matrix["quadrant"].to_dict() == {
        "a": "fix_first", "b": "keep_up", "c": "low_priority", "d": "possible_overkill"
    }
    assert matrix.attrs == {"importance_cut": 25.0, "performance_cut": 65.0}


def test_importance_performance_with_given_cuts_and_ties():
    importance, performance = QUADRANT_EXAMPLE
    matrix = drivers.importance_performance(importance, performance, importance_cut=20, performance_cut=80)
    # c sits exactly on the importance cut (not important); d exactly on the performance cut (strong)
    assert matrix["quadrant"].to_dict() == {
        "a": "fix_first", "b": "keep_up", "c": "low_priority", "d": "possible_overkill"
    }
    assert drivers.fix_first(drivers.importance_performance(importance, performance, 5, 95)) == ["a", "b", "c", "d"]


def test_importance_performance_needs_the_same_drivers():
    with pytest.raises(ValueError, match="same drivers"):
        drivers.importance_performance(pd.Series({"a": 1.0}), pd.Series({"b": 2.0}))


# --- retention from a purchase log --------------------------------------------------------

LOG = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4],
        "date": pd.to_datetime(
            ["2020-01-05", "2020-01-20", "2020-03-02", "2020-01-10", "2020-02-01",
             "2020-02-15", "2020-02-15", "2020-03-10"]
        ),
    }
)
# Cohorts: 2020-01 = {1, 2}; 2020-02 = {3}; 2020-03 = {4}. Active: Jan {1, 2}, Feb {2, 3}, Mar {1, 4}.


def test_cohort_counts_count_customers_and_leave_unobserved_months_missing():
    counts = retention.cohort_counts(LOG)
    assert list(counts.index) == ["2020-01", "2020-02", "2020-03"]
    assert counts.loc["2020-01"].tolist() == [2, 1, 1]  # customer 1's two January orders count once
    assert counts.loc["2020-02"].tolist()[:2] == [1, 0]
    assert counts.loc["2020-03"].tolist()[0] == 1
    assert counts.loc["2020-02"].isna().tolist() == [False, False, True]
    assert counts.loc["2020-03"].isna().tolist() == [False, True, True]


def test_cohort_table_and_retention_at():
    table = retention.cohort_table(LOG)
    assert table[0].tolist() == [100.0, 100.0, 100.0]
    assert retention.retention_at(table, 1).tolist()[:2] == [50.0, 0.0]
    assert retention.retention_at(table, 2)["2020-01"] == 50.0
    with pytest.raises(KeyError, match="0 to 2"):
        retention.retention_at(table, 3)


def test_repeat_purchase_rate_ignores_same_day_orders():
    # 1 returns (20 Jan), 2 returns (1 Feb), 3 only orders twice on one day, 4 buys once → 2 of 4
    assert retention.repeat_purchase_rate(LOG) == pytest.approx(50.0)
    # within 20 days: customer 1 (15 days) yes, customer 2 (22 days) no → 1 of 4
    assert retention.repeat_purchase_rate(LOG, within_days=20) == pytest.approx(25.0)


def test_period_retention_counts_only_customers_active_at_the_start():
    shares = retention.period_retention(LOG, period="M")
    # Jan {1,2} → Feb {2,3}: 1 of 2 stays; Feb {2,3} → Mar {1,4}: none stays (1 comes back, 4 is new)
    assert shares.to_dict() == {"2020-01→2020-02": 0.5, "2020-02→2020-03": 0.0}
