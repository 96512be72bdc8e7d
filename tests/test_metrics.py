"""Formulas against hand-worked examples and published reference values (COURSE.md)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxacademy import metrics

# A hand-made answer set (a labelled fixture, not course data): 4 promoters, 3 passives,
# 3 detractors and one blank → NPS = 100·(4/10 − 3/10) = 10.
SCORES = [10, 9, 9, 10, 7, 8, 8, 6, 0, 3, None]


def test_nps_counts_passives_only_in_the_denominator():
    assert metrics.nps(SCORES) == pytest.approx(10.0)
    assert metrics.nps_shares(SCORES) == pytest.approx((0.4, 0.3, 10))


def test_nps_standard_error_formula():
    # 100·√{[(p+d) − (p−d)²]/n} with p=0.4, d=0.3, n=10
    assert metrics.nps_standard_error(0.4, 0.3, 10) == pytest.approx(100 * math.sqrt((0.7 - 0.01) / 10))


def test_nps_interval_is_symmetric_with_normal_quantile():
    estimate, low, high = metrics.nps_interval(SCORES)
    half = 1.959964 * metrics.nps_standard_error(0.4, 0.3, 10)
    assert (low, high) == pytest.approx((estimate - half, estimate + half), abs=1e-4)


def test_nps_difference_combines_standard_errors():
    a, b = [10] * 60 + [0] * 40, [10] * 50 + [0] * 50
    result = metrics.nps_difference(a, b)
    se_a = metrics.nps_standard_error(0.6, 0.4, 100)
    se_b = metrics.nps_standard_error(0.5, 0.5, 100)
    assert result.difference == pytest.approx(20.0)
    assert result.standard_error == pytest.approx(math.hypot(se_a, se_b))
    assert 0 < result.p_value < 1


def test_rate_leaves_missing_answers_out():
    assert metrics.rate([True, False, None, True]) == pytest.approx(100 * 2 / 3)


def test_wilson_interval_matches_the_closed_form():
    k, n, z = 88, 119, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    estimate, low, high = metrics.proportion_interval(k, n)
    assert estimate == pytest.approx(100 * p)
    assert (low, high) == pytest.approx((100 * (centre - half), 100 * (centre + half)), abs=1e-6)


def test_wilson_interval_stays_inside_0_100():
    _, low, high = metrics.proportion_interval(0, 12)
    assert low == pytest.approx(0.0, abs=1e-9) and 0 < high < 100


def test_top_box_is_not_the_mean():
    ratings = pd.Series([5, 4, 3, 2, 1, 5, None])
    assert metrics.top_box(ratings) == pytest.approx(50.0)
    assert metrics.top_box(ratings, boxes=1) == pytest.approx(100 * 2 / 6)


def test_temkin_rating_averages_three_net_scores():
    success, effort, emotion = [7, 6, 1, 4], [7, 7, 7, 7], [1, 2, 3, 5]
    assert metrics.temkin_rating(success, effort, emotion) == pytest.approx((25 + 100 - 75) / 3)


def test_churn_and_lifetime_value():
    assert metrics.churn_rate(200, 30) == pytest.approx(15.0)
    assert metrics.lifetime_value(100, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    with pytest.raises(ValueError, match="share"):
        metrics.lifetime_value(100, 80, 0.1)


def test_erlang_c_reference_values_from_course_design():
    traffic = 360 / (30 * 60) * 240  # calls per second × AHT in seconds = 48 Erlangs
    assert metrics.erlang_c_wait_probability(55, traffic) == pytest.approx(0.239, abs=5e-4)
    assert metrics.erlang_c_service_level(55, traffic, 15, 240) == pytest.approx(0.846, abs=5e-4)
    assert metrics.erlang_c_asa(55, traffic, 240) == pytest.approx(8.2, abs=0.05)


def test_erlang_c_understaffed_queue_never_clears():
    assert metrics.erlang_c_wait_probability(40, 48) == 1.0
    assert metrics.erlang_c_asa(40, 48, 240) == math.inf


# --- How results display: rounded, with the difference's interval -------------------


def test_interval_displays_rounded_but_keeps_full_precision():
    interval = metrics.rate_interval([True, False, True])  # 2 of 3: 66.666… %
    shown = repr(interval)
    assert shown == f"Interval(estimate={interval.estimate:.1f}, low={interval.low:.1f}, high={interval.high:.1f})"
    assert str(interval.estimate) not in shown  # the sixteen-digit float is not printed
    assert interval.estimate == pytest.approx(200 / 3)  # the field itself is not rounded


def test_comparison_displays_the_interval_of_the_difference():
    comparison = metrics.nps_difference(SCORES, [10, 10, 9, 8, 6])
    interval = comparison.difference_interval()
    half = 1.959964 * comparison.standard_error
    assert (interval.low, interval.high) == pytest.approx(
        (comparison.difference - half, comparison.difference + half), abs=1e-4
    )
    shown = repr(comparison)
    assert f"difference={comparison.difference:.1f} points" in shown
    assert f"95 % interval {interval.low:.1f} to {interval.high:.1f}" in shown
    assert f"p_value={comparison.p_value:.3f}" in shown


def test_display_changes_neither_fields_nor_tuple_equality():
    # The grading engine carries these named tuples by their fields: display must not touch them.
    assert metrics.Interval._fields == ("estimate", "low", "high")
    assert metrics.Comparison._fields == ("difference", "standard_error", "z", "p_value")
    assert metrics.Interval(1.25, 0.5, 2.0) == (1.25, 0.5, 2.0)
