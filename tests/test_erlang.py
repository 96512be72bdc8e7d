"""Erlang B and C in ``cxacademy.metrics`` are right for small and large contact centres (issue 11).

The references are independent of the code under test: published Erlang B table values
(the traffic that 10, 50, 100 and 200 lines carry at 1 % blocking), the course's worked
example, the textbook M/M/N case of 3 agents and 2 Erlangs (P_wait = 4/9), and Erlang C from
its definition with scipy's Poisson distribution, which stays finite where Aᴺ/N! does not.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from cxacademy import metrics
from cxacademy.errors import InputError


def erlang_c_by_definition(agents: int, traffic: float) -> float:
    """P_wait = [pmf(N)·N/(N−A)] / [cdf(N−1) + pmf(N)·N/(N−A)], with the Poisson(A) distribution."""
    queued = stats.poisson.pmf(agents, traffic) * agents / (agents - traffic)
    return float(queued / (stats.poisson.cdf(agents - 1, traffic) + queued))


def service_level_by_definition(agents: int, traffic: float, target_s: float, aht_s: float) -> float:
    return 1 - erlang_c_by_definition(agents, traffic) * math.exp(-(agents - traffic) * target_s / aht_s)


# Erlang B tables: lines and the traffic (Erlangs) they carry with 1 % of calls blocked.
ONE_PERCENT_TABLE = [(10, 4.461), (50, 37.90), (100, 84.06), (200, 179.7)]


@pytest.mark.parametrize(("lines", "traffic"), ONE_PERCENT_TABLE)
def test_erlang_b_matches_the_published_one_percent_table(lines, traffic):
    assert metrics.erlang_b(lines, traffic) == pytest.approx(0.01, abs=1e-4)


def test_erlang_c_textbook_case_of_three_agents_and_two_erlangs():
    assert metrics.erlang_c_wait_probability(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)


def test_course_example_360_calls_per_half_hour():
    traffic = 360 / (30 * 60) * 4 * 60  # calls per second × AHT in seconds = 48 Erlangs
    assert metrics.erlang_c_wait_probability(55, traffic) == pytest.approx(0.239, abs=5e-4)
    assert metrics.erlang_c_service_level(55, traffic, 15, 240) == pytest.approx(0.846, abs=5e-4)
    assert metrics.erlang_c_asa(55, traffic, 240) == pytest.approx(8.2, abs=0.05)


@pytest.mark.parametrize(("agents", "traffic"), [(180, 160.0), (400, 380.5), (2000, 1950.0), (5, 3.2)])
def test_erlang_c_agrees_with_its_definition_for_small_and_large_centres(agents, traffic):
    assert metrics.erlang_c_wait_probability(agents, traffic) == pytest.approx(
        erlang_c_by_definition(agents, traffic), rel=1e-9)


@pytest.mark.parametrize(("traffic", "target_s", "aht_s", "level"),
                         [(48.0, 15, 240, 0.85), (48.0, 20, 240, 0.8), (160.0, 20, 180, 0.9), (1200.0, 30, 300, 0.8)])
def test_agents_for_service_level_is_the_fewest_that_reach_the_target(traffic, target_s, aht_s, level):
    agents = metrics.agents_for_service_level(traffic, target_s, aht_s, level)
    assert service_level_by_definition(agents, traffic, target_s, aht_s) >= level
    assert agents - 1 <= traffic or service_level_by_definition(agents - 1, traffic, target_s, aht_s) < level


def test_the_course_example_needs_55_agents_for_84_5_percent_in_15_seconds():
    level = math.floor(1000 * service_level_by_definition(55, 48.0, 15, 240)) / 1000
    assert service_level_by_definition(54, 48.0, 15, 240) < level
    assert metrics.agents_for_service_level(48.0, 15, 240, level) == 55


def test_agents_for_service_level_refuses_a_percentage():
    with pytest.raises(InputError):
        metrics.agents_for_service_level(48.0, 20, 240, 80)


def test_an_understaffed_queue_never_clears():
    assert metrics.erlang_c_wait_probability(150, 160.0) == 1.0
    assert metrics.erlang_c_service_level(150, 160.0, 20, 240) == 0.0
    assert metrics.erlang_c_asa(150, 160.0, 240) == math.inf
