"""Contact-centre and service-desk analytics (cxacademy.operations) on hand-made and real logs.

Expected values are computed here with plain pandas, never with the function under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cxacademy import operations
from cxacademy.data import load


def call(outcome: str, wait: int, handle: int = 0, server: str = "ANA", at: str = "10:05:00") -> dict:
    return {"date": pd.Timestamp("1999-02-01"), "vru_exit": at, "outcome": outcome, "q_time": wait,
            "ser_time": handle, "server": server if outcome == "AGENT" else "NO_SERVER"}


@pytest.fixture
def small_log() -> pd.DataFrame:
    rows = [call("AGENT", 5, 100), call("AGENT", 40, 200), call("HANG", 3), call("HANG", 60),
            call("PHANTOM", 90), call("AGENT", 0, 7, server="NO_SERVER"), call("AGENT", 10, 300, "BEN", "11:10:00")]
    return pd.DataFrame(rows)


def test_abandons_stay_in_the_service_level_denominator(small_log):
    offered = operations.offered_calls(small_log)
    summary = operations.queue_summary(offered, offered["arrival"].dt.hour, target_s=20)
    ten = summary.loc[10]
    assert ten["offered"] == 5  # phantom dropped: 3 answered + 2 abandoned
    assert ten["service_level_pct"] == pytest.approx(100 * 2 / 5)  # waits 5 and 0 answered in time
    assert ten["abandon_pct"] == pytest.approx(100 * 2 / 5)
    assert ten["asa_s"] == pytest.approx((5 + 40 + 0) / 3)


def test_handle_time_leaves_out_calls_no_agent_handled(small_log):
    table = operations.handle_time_by_agent(operations.offered_calls(small_log))
    assert set(table.index) == {"ANA", "BEN"}
    assert table.loc["ANA", "aht_s"] == pytest.approx(150)
    assert table.loc["ANA", "calls"] == 2


@pytest.fixture(scope="module")
def real_offered() -> pd.DataFrame:
    return operations.offered_calls(load("call_center_anonymous_bank_1999"))


def test_arrivals_per_interval_add_up_to_every_offered_call(real_offered):
    calls = load("call_center_anonymous_bank_1999")
    per_interval = operations.arrivals_per_interval(real_offered, minutes=30)
    assert per_interval.sum() == calls["outcome"].astype(str).isin(["AGENT", "HANG"]).sum()
    assert (per_interval.index.minute % 30 == 0).all()


def test_queue_summary_on_the_real_log_matches_plain_pandas(real_offered):
    calls = load("call_center_anonymous_bank_1999")
    kept = calls[calls["outcome"].astype(str).isin(["AGENT", "HANG"])]
    hour = (kept["date"] + pd.to_timedelta(kept["vru_exit"])).dt.hour
    answered = kept["outcome"].astype(str).eq("AGENT")
    expected = 100 * (answered & kept["q_time"].le(30)).groupby(hour).sum() / hour.value_counts().sort_index()
    summary = operations.queue_summary(real_offered, real_offered["arrival"].dt.hour, target_s=30)
    pd.testing.assert_series_equal(summary["service_level_pct"], expected, check_names=False, check_index_type=False)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return load("servicenow_incident_log")


def test_incidents_keep_the_last_update_of_each_ticket(log):
    tickets = operations.incidents(log)
    assert len(tickets) == log["number"].nunique()
    last = log.groupby("number")["sys_mod_count"].max()
    assert (tickets["sys_mod_count"] == last.reindex(tickets.index)).all()


def test_team_scorecard_rates_are_shares_of_tickets(log):
    tickets = operations.incidents(log)
    table = operations.team_scorecard(tickets, min_tickets=300)
    team = tickets["assignment_group"].astype("string")
    for name, row in table.iterrows():
        mine = tickets[team == name]
        assert row["tickets"] == len(mine)
        assert row["sla_met_pct"] == pytest.approx(100 * mine["made_sla"].mean())
        assert row["reassigned_pct"] == pytest.approx(100 * (mine["reassignment_count"] > 0).mean())
        assert row["reopened_pct"] == pytest.approx(100 * (mine["reopen_count"] > 0).mean())
    assert table["tickets"].min() >= 300


def test_reopened_after_sla_counts_only_tickets_that_met_it(log):
    tickets = operations.incidents(log)
    table = operations.reopened_after_sla(tickets, min_tickets=100)
    met = tickets[tickets["made_sla"]]
    team = met["assignment_group"].astype(str)
    counts = team.value_counts()
    expected = (100 * (met["reopen_count"] > 0).groupby(team).mean())[counts[counts >= 100].index]
    assert set(table.index) == set(expected.index)
    assert table["reopened_pct"].is_monotonic_decreasing
    for name, rate in expected.items():
        assert table.loc[name, "reopened_pct"] == pytest.approx(rate)
