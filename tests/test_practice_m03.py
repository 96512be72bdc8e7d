"""Self-checks of Module 03's lessons, and the self-assessment file.

Each check must accept the right answer, computed here independently with plain pandas/scipy,
name typical mistakes with their explanation, and never raise on the untouched placeholder.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxacademy import self_assessment
from cxacademy.competencies import COMPETENCIES
from cxacademy.data import load
from cxacademy.practice import m03_director_role as role
from cxacademy.practice import m03_employees_first as people
from cxacademy.practice import m03_service_operations as ops
from cxacademy.practice import m03_standards_and_judgement as standards
from cxacademy.text import t

EEI = ("q53", "q54", "q56", "q60", "q61", "q47", "q48", "q49", "q51", "q52", "q3", "q4", "q6", "q11", "q12")
SUPERVISORS, LEADERS = EEI[5:10], EEI[:5]


def rejected_with(check, answer, key: str, capsys) -> None:
    assert not check(answer)
    assert t(key) in capsys.readouterr().out


@pytest.fixture(scope="module")
def offered() -> pd.DataFrame:
    calls = load("call_center_anonymous_bank_1999")
    kept = calls[calls["outcome"].astype(str).isin(["AGENT", "HANG"])].copy()
    kept["hour"] = (kept["date"] + pd.to_timedelta(kept["vru_exit"])).dt.hour
    kept["answered"] = kept["outcome"].astype(str).eq("AGENT")
    return kept


@pytest.mark.parametrize("check", [ops.check_evening_queue, ops.check_agents_at_three, people.check_unit_supervisors,
                                   people.check_unit_leave_gap, role.check_leadership_gap, standards.check_short_calls])
def test_the_placeholder_is_not_yet_an_answer(check):
    assert not check(None)


def test_evening_queue(offered, capsys):
    evening = offered[offered["hour"].isin([19, 20, 21, 22])]
    in_time = evening["answered"] & evening["q_time"].le(30)
    right = pd.DataFrame({"service_level_pct": 100 * in_time.groupby(evening["hour"]).mean(),
                          "abandon_pct": 100 * (~evening["answered"]).groupby(evening["hour"]).mean()})
    assert ops.check_evening_queue(right)
    wrong = right.assign(service_level_pct=100 * in_time.groupby(evening["hour"]).sum()
                         / evening["answered"].groupby(evening["hour"]).sum())
    rejected_with(ops.check_evening_queue, wrong, "practice.m03_service_operations.abandons_left_out", capsys)


def erlang_level(n: int, a: float, target: float, aht: float) -> float:
    queued = stats.poisson.pmf(n, a) * n / (n - a)
    return 1 - queued / (stats.poisson.cdf(n - 1, a) + queued) * np.exp(-(n - a) * target / aht)


def test_agents_at_three(offered, capsys):
    work = offered[offered["date"].dt.day_name().isin(ops.WORKDAYS)]
    slot = work[work["hour"] == 15]
    aht = slot.loc[slot["answered"] & slot["server"].astype(str).ne("NO_SERVER"), "ser_time"].mean()
    traffic = len(slot) / work["date"].nunique() / 3600 * aht
    agents = int(traffic) + 1
    while erlang_level(agents, traffic, 30, aht) < 0.9:
        agents += 1
    assert ops.check_agents_at_three(agents)
    rejected_with(ops.check_agents_at_three, int(np.ceil(traffic)), "practice.m03_service_operations.traffic_rounded_up",
                  capsys)


@pytest.fixture(scope="module")
def fevs() -> pd.DataFrame:
    return load("fevs_2018_respondents")


def weighted_index(frame: pd.DataFrame, items: tuple[str, ...], weights: pd.Series, top: int = 4) -> float:
    return float(np.mean([100 * np.average(frame[item] >= top, weights=weights) for item in items]))


def test_unit_supervisors_and_gap(fevs, capsys):
    unit = fevs[fevs["level1_name"].astype(str) == people.UNIT]
    w = unit["weight"]
    assert people.check_unit_supervisors(weighted_index(unit, SUPERVISORS, w))
    rejected_with(people.check_unit_supervisors, weighted_index(unit, SUPERVISORS, w, top=5),
                  "practice.m03_employees_first.strongly_agree_only", capsys)
    engaged = (unit[list(EEI)] >= 4).sum(axis=1) >= 8
    leave = unit["leaving_intent"].astype(float)
    gap = 100 * (np.average(leave[~engaged], weights=w[~engaged]) - np.average(leave[engaged], weights=w[engaged]))
    assert people.check_unit_leave_gap(gap)
    rejected_with(people.check_unit_leave_gap, -gap, "practice.m03_employees_first.reversed", capsys)


def test_leadership_gap(fevs, capsys):
    agency = fevs[fevs["agency_name"].astype(str) == role.AGENCY]
    w = agency["weight"]
    gap = weighted_index(agency, SUPERVISORS, w) - weighted_index(agency, LEADERS, w)
    assert role.check_leadership_gap(gap)
    rejected_with(role.check_leadership_gap, -gap, "practice.m03_director_role.reversed", capsys)


def test_short_calls(capsys):
    calls = load("call_center_anonymous_bank_1999")
    handled = calls[(calls["outcome"].astype(str) == "AGENT") & (calls["server"].astype(str) != "NO_SERVER")]
    agent = handled["server"].astype(str)
    counts = agent.value_counts()
    share = (100 * (handled["ser_time"] < 10).groupby(agent).mean())[counts[counts >= 1000].index]
    right = share.sort_values(ascending=False)
    assert standards.check_short_calls(right)
    rejected_with(standards.check_short_calls, right / 100, "practice.m03_standards_and_judgement.shares", capsys)


def test_quizzes_have_an_explanation_per_option():
    for quiz in (role.MATURITY_QUIZ, standards.CALM_DOWN_QUIZ):
        question, options, answer, explanations = quiz.content()
        assert question and len(options) == len(explanations) >= 3 and 0 <= answer < len(options)


RATINGS = {"research": 6, "journey": 4, "operations": 7, "metrics": 5, "strategy": 3, "leadership": 8}


def test_self_assessment_round_trip_in_the_documented_format(tmp_path):
    path = self_assessment.save(RATINGS, tmp_path / "sub" / "self_assessment.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["format"] == 1 and record["ratings"] == RATINGS and "saved_at" in record
    assert list(record["ratings"]) == list(COMPETENCIES)
    assert self_assessment.load(path) == RATINGS
    assert self_assessment.load(tmp_path / "missing.json") is None


def test_self_assessment_default_path_is_in_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert self_assessment.default_path() == tmp_path / ".cx-academy" / "self_assessment.json"


@pytest.mark.parametrize("ratings", [{**RATINGS, "research": 11}, {**RATINGS, "research": 0},
                                     {k: v for k, v in RATINGS.items() if k != "metrics"}, {**RATINGS, "extra": 5},
                                     {**RATINGS, "journey": 4.5}])
def test_self_assessment_refuses_what_the_profile_could_not_read(tmp_path, ratings):
    with pytest.raises(ValueError):
        self_assessment.save(ratings, tmp_path / "self_assessment.json")


def test_the_radar_description_names_every_rating():
    description = self_assessment.describe(RATINGS)
    assert all(str(value) in description for value in RATINGS.values())
