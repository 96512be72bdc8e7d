"""Self-checks for lesson 04-03, "Linking experience to money".

Data: IBM's telco churn sample (a fictional company, used only to practise the mechanics),
the CDNOW purchase log (real customers of an online music shop, 1997–98) and the hotel
booking records of Antonio, Almeida & Nunes (2019). Expected values come from
``cxacademy.metrics`` and ``cxacademy.retention``; each typical mistake is computed the way a
learner would make it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import lifetime_value
from cxacademy.retention import cohort_table, period_retention, retention_at
from cxacademy.text import t

_KEY = "practice.m04_experience_and_money"

#: Exercise 3: margin per active customer per quarter (USD), quarterly discount rate, the quarter
#: pair whose retention is used, and the retention gain to value (as a share: 0.05 = 5 points).
MARGIN_PER_QUARTER = 12.0
DISCOUNT_PER_QUARTER = 0.02
QUARTER_PAIR = ("1997Q2", "1997Q3")
RETENTION_GAIN = 0.05


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


@cache
def _telco() -> pd.DataFrame:
    return load("telco_churn")


@cache
def _purchases() -> pd.DataFrame:
    return load("cdnow_purchases")


@cache
def _bookings() -> pd.DataFrame:
    bookings = load("hotel_bookings")
    nights = bookings["stays_in_weekend_nights"] + bookings["stays_in_week_nights"]
    return bookings.assign(nights=nights, value=bookings["adr"] * nights)


def _with_text_index(answer: Any) -> Any:
    """Let a Series indexed by categories or periods compare with one indexed by text."""
    if isinstance(answer, pd.Series):
        return answer.rename(index=str)
    return answer


def check_churn_by_contract(answer: Any) -> Verdict:
    """Exercise 1: churn rate (%) of each contract type — churners ÷ customers of that contract."""
    telco = _telco()
    by_contract = telco.groupby("contract", observed=True)["churn"]
    expected = _with_text_index(100 * by_contract.mean())
    churners = by_contract.sum()
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(_with_text_index(100 * churners / churners.sum()), _msg("composition_not_rate")),
        Mistake(_with_text_index(churners.astype("float64")), _msg("count_not_rate")),
    ]
    return check("churn_by_contract", _with_text_index(answer), expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("churn_by_contract_hint"))


def _month_one_by_rows(purchases: pd.DataFrame, count_rows: bool, days: bool) -> pd.Series:
    """Month-1 retention the way a learner may compute it by hand (rows instead of customers, or 30-day 'months')."""
    first = purchases.groupby("customer_id")["date"].transform("min")
    cohort = first.dt.to_period("M").astype(str)
    if days:
        age = (purchases["date"] - first).dt.days // 30
    else:
        age = (purchases["date"].dt.year - first.dt.year) * 12 + purchases["date"].dt.month - first.dt.month
    sizes = purchases["customer_id"].groupby(cohort).nunique()
    in_month = purchases[age == 1]
    group = in_month["customer_id"].groupby(cohort[age == 1])
    active = group.size() if count_rows else group.nunique()
    return 100 * active / sizes


def check_retention_month_1(answer: Any) -> Verdict:
    """Exercise 2: % of each CDNOW cohort that bought again in the calendar month after the first purchase."""
    purchases = _purchases()
    expected = retention_at(cohort_table(purchases), 1)
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(_month_one_by_rows(purchases, count_rows=True, days=False), _msg("purchases_not_customers")),
        Mistake(_month_one_by_rows(purchases, count_rows=False, days=True), _msg("days_not_months")),
        Mistake(retention_at(cohort_table(purchases), 2), _msg("month_two_not_one")),
    ]
    return check("retention_month_1", _with_text_index(answer), expected, tolerance=0.05, mistakes=mistakes,
                 hint=_msg("retention_month_1_hint"))


def _quarter_sets() -> tuple[set, set, int]:
    purchases = _purchases()
    quarter = purchases["date"].dt.to_period("Q").astype(str)
    start, end = QUARTER_PAIR
    return (set(purchases.loc[quarter == start, "customer_id"]), set(purchases.loc[quarter == end, "customer_id"]),
            purchases["customer_id"].nunique())


def _gain(retention: float) -> float:
    return (lifetime_value(MARGIN_PER_QUARTER, retention + RETENTION_GAIN, DISCOUNT_PER_QUARTER)
            - lifetime_value(MARGIN_PER_QUARTER, retention, DISCOUNT_PER_QUARTER))


def check_retention_gain_value(answer: Any) -> Verdict:
    """Exercise 3: extra lifetime value per active customer if quarterly retention rose by 5 points."""
    r = float(period_retention(_purchases())[f"{QUARTER_PAIR[0]}→{QUARTER_PAIR[1]}"])
    expected = _gain(r)
    start, end, customers = _quarter_sets()

    def undiscounted(retention: float) -> float:
        return MARGIN_PER_QUARTER * retention / (1 - retention)

    mistakes = [
        Mistake(undiscounted(r + RETENTION_GAIN) - undiscounted(r), _msg("no_discounting")),
        Mistake(_gain(len(end) / len(start)), _msg("ratio_of_active_counts")),
        Mistake(_gain(len(start & end) / customers), _msg("whole_cohort_denominator")),
        Mistake(lifetime_value(MARGIN_PER_QUARTER, r + RETENTION_GAIN, DISCOUNT_PER_QUARTER), _msg("new_clv_not_gain")),
    ]
    return check("retention_gain_value", answer, expected, tolerance=0.01, mistakes=mistakes,
                 hint=_msg("retention_gain_hint"))


def check_revenue_at_risk(answer: Any) -> Verdict:
    """Exercise 4: room revenue (€, rate × nights) of cancelled bookings, per hotel."""
    bookings = _bookings()
    cancelled = bookings[bookings["is_canceled"]]
    expected = _with_text_index(cancelled.groupby("hotel", observed=True)["value"].sum())
    status_cancelled = bookings[bookings["reservation_status"] == "Canceled"]
    mistakes = [
        Mistake(_with_text_index(cancelled.groupby("hotel", observed=True)["adr"].sum()), _msg("rate_without_nights")),
        Mistake(_with_text_index(bookings.groupby("hotel", observed=True)["value"].sum()), _msg("all_bookings")),
        Mistake(_with_text_index(status_cancelled.groupby("hotel", observed=True)["value"].sum()), _msg("no_shows_left_out")),
    ]
    return check("revenue_at_risk", _with_text_index(answer), expected, tolerance=1, mistakes=mistakes,
                 hint=_msg("revenue_at_risk_hint"))
