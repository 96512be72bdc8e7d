"""Contact-centre and service-desk analytics, defined once (Module 03, service operations).

Two real logs, two units of work:

- **calls** (``call_center_anonymous_bank_1999``): one row per call that reached the bank's
  voice menu. A call is *offered* to the agents when it left the menu asking for one: outcome
  ``AGENT`` (answered) or ``HANG`` (the caller abandoned while waiting). ``PHANTOM`` rows are
  system artefacts and are dropped. It arrives at ``vru_exit``; it waited ``q_time`` seconds.
- **incidents** (``servicenow_incident_log``): the log has one row per update of a ticket; a
  ticket's outcome (its team, whether it made its SLA, how often it was reassigned or reopened)
  is its **last** row.

The abandon rule, stated once because every contact centre picks its own: the **service level**
is the share of *offered* calls answered within the target time, so a caller who hung up counts
as not answered in time, however early they hung up. Leaving abandons out of the denominator
makes a centre that loses callers look better — the opposite of what the customer lived.
Rates are percentages (0–100), times are seconds, as everywhere in the course.
"""

from __future__ import annotations

import pandas as pd

#: The agent name the call log uses for calls that no agent handled.
NO_AGENT = "NO_SERVER"
#: Outcomes of calls offered to the agents.
ANSWERED, ABANDONED = "AGENT", "HANG"


def offered_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """The calls offered to the agents, with ``arrival`` (timestamp), ``answered`` and ``abandoned`` added."""
    offered = calls[calls["outcome"].isin([ANSWERED, ABANDONED])].copy()
    offered["arrival"] = offered["date"] + pd.to_timedelta(offered["vru_exit"])
    offered["answered"] = offered["outcome"].astype(str).eq(ANSWERED)
    offered["abandoned"] = offered["outcome"].astype(str).eq(ABANDONED)
    return offered


def arrivals_per_interval(offered: pd.DataFrame, minutes: int = 30) -> pd.Series:
    """Offered calls per interval of ``minutes``, labelled by the interval's start (empty intervals omitted)."""
    start = offered["arrival"].dt.floor(f"{minutes}min")
    return offered.groupby(start).size().rename("offered")


def queue_summary(offered: pd.DataFrame, by: pd.Series | str, target_s: float = 20) -> pd.DataFrame:
    """Per group: offered calls, service level, abandonment and average speed of answer.

    ``service_level_pct`` = answered within ``target_s`` ÷ offered (abandons count as not
    answered in time); ``abandon_pct`` = abandoned ÷ offered; ``asa_s`` = mean wait of the
    answered calls, the number callers who got through experienced.
    """
    in_time = offered["answered"] & offered["q_time"].le(target_s)
    groups = offered.assign(in_time=in_time, answered_wait=offered["q_time"].where(offered["answered"]))
    summary = groups.groupby(by, observed=True).agg(
        offered=("answered", "size"),
        in_time=("in_time", "sum"),
        abandoned=("abandoned", "sum"),
        asa_s=("answered_wait", "mean"),
    )
    return pd.DataFrame({
        "offered": summary["offered"],
        "service_level_pct": 100 * summary["in_time"] / summary["offered"],
        "abandon_pct": 100 * summary["abandoned"] / summary["offered"],
        "asa_s": summary["asa_s"],
    })


def handle_time_by_agent(offered: pd.DataFrame) -> pd.DataFrame:
    """Calls answered and mean and median handle time (seconds) per agent, busiest first.

    Calls marked answered without an agent (``NO_SERVER``) are left out: no one handled them.
    """
    handled = offered[offered["answered"] & offered["server"].astype(str).ne(NO_AGENT)]
    by_agent = handled.groupby(handled["server"].astype(str))["ser_time"]
    table = pd.DataFrame({"calls": by_agent.size(), "aht_s": by_agent.mean(), "median_s": by_agent.median()})
    return table.sort_values("calls", ascending=False)


def incidents(log: pd.DataFrame) -> pd.DataFrame:
    """One row per ticket: its last update, which carries its final team, SLA flag and counts."""
    last = log.sort_values(["number", "sys_updated_at", "sys_mod_count"]).groupby("number").tail(1)
    return last.set_index("number")


def team_scorecard(tickets: pd.DataFrame, min_tickets: int = 1) -> pd.DataFrame:
    """Per team: tickets, SLA met (%), reassigned at least once (%), reopened at least once (%).

    Rates are shares of tickets, not means of counts: one ticket passed on ten times is one
    unhappy customer, not ten. Teams with fewer than ``min_tickets`` tickets are left out.
    """
    flags = pd.DataFrame({
        "made_sla": tickets["made_sla"],
        "reassigned": tickets["reassignment_count"].gt(0),
        "reopened": tickets["reopen_count"].gt(0),
    })
    by_team = flags.groupby(tickets["assignment_group"].astype("string"))
    table = pd.DataFrame({
        "tickets": by_team.size(),
        "sla_met_pct": 100 * by_team["made_sla"].mean(),
        "reassigned_pct": 100 * by_team["reassigned"].mean(),
        "reopened_pct": 100 * by_team["reopened"].mean(),
    })
    return table[table["tickets"] >= min_tickets].sort_values("tickets", ascending=False)


def reopened_after_sla(tickets: pd.DataFrame, min_tickets: int = 100) -> pd.DataFrame:
    """A gaming signal: per team, the reopen rate (%) of the tickets that made their SLA.

    Why only those tickets: closing a ticket just in time and reopening it when the customer
    comes back shows up exactly there — a high SLA score built on tickets that were not solved.
    A high rate is a reason to read the tickets, not a verdict.
    """
    within_sla = tickets[tickets["made_sla"]]
    table = team_scorecard(within_sla, min_tickets)[["tickets", "reopened_pct"]]
    return table.sort_values("reopened_pct", ascending=False)
