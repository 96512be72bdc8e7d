"""Self-checks of Module 04's lessons.

Each check must accept the right answer, computed here independently with plain pandas,
name every typical mistake with that mistake's explanation, and never raise — whatever the
learner passes, including the untouched placeholder.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy import stats

from cxacademy.data import load
from cxacademy.practice import m04_experience_and_money as money
from cxacademy.practice import m04_key_drivers as drivers_practice
from cxacademy.practice import m04_kpi_design as kpi
from cxacademy.practice import m04_survey_metrics as survey
from cxacademy.text import t

SURVEY, DRIVERS, MONEY, KPI = (
    "practice.m04_survey_metrics", "practice.m04_key_drivers",
    "practice.m04_experience_and_money", "practice.m04_kpi_design",
)
Z = stats.norm.ppf(0.975)


def rejected_with(check, answer, key: str, capsys, **values) -> None:
    assert not check(answer)
    assert t(key, **values) in capsys.readouterr().out


@pytest.fixture(scope="module")
def hospitals() -> pd.DataFrame:
    return load("hcahps_hospital_2022")


@pytest.fixture(scope="module")
def bookings() -> pd.DataFrame:
    frame = load("hotel_bookings")
    nights = frame["stays_in_weekend_nights"] + frame["stays_in_week_nights"]
    return frame.assign(nights=nights, value=frame["adr"] * nights)


# --- lesson 04-01: survey metrics ---------------------------------------------------------


def shares(frame: pd.DataFrame, high: str = "overall_rating_9_10_pct") -> tuple[float, float, int]:
    n = frame["n_completed_surveys"]
    return ((frame[high] * n).sum() / n.sum() / 100,
            (frame["overall_rating_0_6_pct"] * n).sum() / n.sum() / 100, int(n.sum()))


def net_interval(p: float, d: float, n: int) -> tuple[float, float, float]:
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return 100 * (p - d), 100 * (p - d) - Z * se, 100 * (p - d) + Z * se


def test_national_net(hospitals, capsys):
    p, d, n = shares(hospitals)
    check = survey.check_national_net
    assert check(net_interval(p, d, n))
    rejected_with(check, net_interval(p, d, len(hospitals)), f"{SURVEY}.hospitals_as_n", capsys,
                  hospitals=len(hospitals))
    plain = net_interval(hospitals["overall_rating_9_10_pct"].mean() / 100,
                         hospitals["overall_rating_0_6_pct"].mean() / 100, n)
    rejected_with(check, plain, f"{SURVEY}.unweighted_hospitals", capsys)
    with_passives = hospitals.assign(top=hospitals["overall_rating_9_10_pct"] + hospitals["overall_rating_7_8_pct"])
    rejected_with(check, net_interval(*shares(with_passives, "top")), f"{SURVEY}.passives_as_promoters", capsys)


def test_pueblo_gap(hospitals, capsys):
    by_id = hospitals.set_index("facility_id")

    def one(facility: str) -> tuple[float, float, float]:
        row = by_id.loc[facility]
        p, d, n = row["overall_rating_9_10_pct"] / 100, row["overall_rating_0_6_pct"] / 100, row["n_completed_surveys"]
        return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n), n

    (a, se_a, _), (b, se_b, _) = one("060012"), one("060020")
    se = math.hypot(se_a, se_b)
    right = (a - b, se, (a - b) / se, 2 * stats.norm.sf(abs(a - b) / se))
    check = survey.check_pueblo_gap
    assert check(right)
    assert right[3] > 0.05, "the lesson's point: a 10-point gap between these two is not significant"
    rejected_with(check, (b - a, se, (b - a) / se, right[3]), f"{SURVEY}.gap_reversed", capsys)
    added = se_a + se_b
    rejected_with(check, (a - b, added, (a - b) / added, 2 * stats.norm.sf(abs(a - b) / added)),
                  f"{SURVEY}.standard_errors_added", capsys)


def test_small_in_top_pct(hospitals, capsys):
    net = hospitals["overall_rating_9_10_pct"] - hospitals["overall_rating_0_6_pct"]
    top, small = net >= 80, hospitals["n_completed_surveys"] < 300
    right = 100 * small[top].mean()
    check = survey.check_small_in_top_pct
    assert check(right)
    rejected_with(check, 100 * top[small].mean(), f"{SURVEY}.conditional_reversed", capsys)
    rejected_with(check, right / 100, f"{SURVEY}.share_not_percent", capsys)
    rejected_with(check, 100 * small.mean(), f"{SURVEY}.all_hospitals_small", capsys)


def test_surveys_needed(hospitals, capsys):
    p, d, _ = shares(hospitals)
    exact = (Z * 100) ** 2 * (p + d - (p - d) ** 2) / 5**2
    check = survey.check_surveys_needed
    assert check(math.ceil(exact))
    assert check(exact), "an unrounded answer is close enough"
    rejected_with(check, math.ceil(exact / 4), f"{SURVEY}.width_not_margin", capsys)


# --- lesson 04-02: key drivers -------------------------------------------------------------


def lmg(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    columns = list(drivers_practice.DIMENSIONS)
    return pingouin.linear_regression(frame[columns], frame[outcome], relimp=True).set_index("names").loc[columns]


def test_recommend_importance(hospitals, capsys):
    model = lmg(hospitals, "recommend_definitely_yes_pct")
    check = drivers_practice.check_recommend_importance
    assert check(model["relimp_perc"])
    assert check(model["relimp_perc"].sort_values()), "order does not matter"
    rejected_with(check, model["coef"], f"{DRIVERS}.coefficients_as_importance", capsys)
    rejected_with(check, lmg(hospitals, "overall_rating_9_10_pct")["relimp_perc"], f"{DRIVERS}.rating_not_recommend", capsys)
    squared = hospitals[list(drivers_practice.DIMENSIONS)].corrwith(hospitals["recommend_definitely_yes_pct"]) ** 2
    rejected_with(check, 100 * squared / squared.sum(), f"{DRIVERS}.squared_correlations", capsys)


def test_sign_flip_driver(hospitals, capsys):
    model = lmg(hospitals, "overall_rating_9_10_pct")
    correlation = hospitals[list(drivers_practice.DIMENSIONS)].corrwith(hospitals["overall_rating_9_10_pct"])
    flipped = [name for name in model.index if model.loc[name, "coef"] < 0 and correlation[name] > 0]
    assert flipped == ["medicines_comm_always_pct"]
    check = drivers_practice.check_sign_flip_driver
    assert check(flipped[0])
    rejected_with(check, str(model["relimp_perc"].idxmin()), f"{DRIVERS}.least_important_not_flipped", capsys)


def test_small_fix_first(hospitals, capsys):
    small = hospitals[hospitals["n_completed_surveys"] < 300]
    importance = lmg(small, "overall_rating_9_10_pct")["relimp_perc"]
    weights = small["n_completed_surveys"]
    performance = pd.Series({d: (small[d] * weights).sum() / weights.sum() for d in drivers_practice.DIMENSIONS})
    important, strong = importance > importance.mean(), performance >= performance.mean()
    right = [name for name in importance.index if important[name] and not strong[name]]
    keep_up = [name for name in importance.index if important[name] and strong[name]]
    check = drivers_practice.check_small_fix_first
    assert check(right) and check(list(reversed(right))), "order does not matter"
    rejected_with(check, keep_up, f"{DRIVERS}.keep_up_not_fix_first", capsys)


# --- lesson 04-03: experience and money ------------------------------------------------------


def test_churn_by_contract(capsys):
    telco = load("telco_churn")
    right = 100 * telco.groupby("contract", observed=True)["churn"].mean()
    check = money.check_churn_by_contract
    assert check(right) and check(right.rename(index=str))
    churners = telco[telco["churn"]]["contract"].value_counts()
    rejected_with(check, 100 * churners / churners.sum(), f"{MONEY}.composition_not_rate", capsys)
    rejected_with(check, right / 100, f"{MONEY}.share_not_percent", capsys)


def month_one(purchases: pd.DataFrame) -> pd.Series:
    month = purchases["date"].dt.year * 12 + purchases["date"].dt.month
    first = month.groupby(purchases["customer_id"]).transform("min")
    label = purchases.groupby("customer_id")["date"].transform("min").dt.strftime("%Y-%m")
    size = purchases["customer_id"].groupby(label).nunique()
    again = purchases.loc[month - first == 1, "customer_id"].groupby(label[month - first == 1]).nunique()
    return 100 * again / size


def test_retention_month_1(capsys):
    purchases = load("cdnow_purchases")
    right = month_one(purchases)
    check = money.check_retention_month_1
    assert check(right)
    rejected_with(check, right / 100, f"{MONEY}.share_not_percent", capsys)
    month = purchases["date"].dt.year * 12 + purchases["date"].dt.month
    first = month.groupby(purchases["customer_id"]).transform("min")
    label = purchases.groupby("customer_id")["date"].transform("min").dt.strftime("%Y-%m")
    rows = purchases[month - first == 1].groupby(label[month - first == 1]).size()
    rejected_with(check, 100 * rows / purchases["customer_id"].groupby(label).nunique(),
                  f"{MONEY}.purchases_not_customers", capsys)


def test_retention_gain_value(capsys):
    purchases = load("cdnow_purchases")
    quarter = purchases["date"].dt.to_period("Q").astype(str)
    start = set(purchases.loc[quarter == "1997Q2", "customer_id"])
    end = set(purchases.loc[quarter == "1997Q3", "customer_id"])
    r = len(start & end) / len(start)

    def clv(retention: float, discount: float = 0.02) -> float:
        return 12 * retention / (1 + discount - retention)

    check = money.check_retention_gain_value
    assert check(clv(r + 0.05) - clv(r))
    rejected_with(check, clv(r + 0.05, 0) - clv(r, 0), f"{MONEY}.no_discounting", capsys)
    rejected_with(check, clv(r + 0.05), f"{MONEY}.new_clv_not_gain", capsys)
    ratio = len(end) / len(start)
    rejected_with(check, clv(ratio + 0.05) - clv(ratio), f"{MONEY}.ratio_of_active_counts", capsys)


def test_revenue_at_risk(bookings, capsys):
    cancelled = bookings[bookings["is_canceled"]]
    right = cancelled.groupby("hotel", observed=True)["value"].sum()
    check = money.check_revenue_at_risk
    assert check(right)
    rejected_with(check, cancelled.groupby("hotel", observed=True)["adr"].sum(), f"{MONEY}.rate_without_nights", capsys)
    rejected_with(check, bookings.groupby("hotel", observed=True)["value"].sum(), f"{MONEY}.all_bookings", capsys)


# --- lesson 04-04: KPI design -------------------------------------------------------------------


def test_tree_leaves_multiply_back_to_revenue(bookings, capsys):
    year = bookings[(bookings["hotel"] == "Resort Hotel") & (bookings["arrival_date_year"] == 2016)]
    kept = year[~year["is_canceled"]]
    right = pd.Series({
        "bookings": len(year), "kept_pct": 100 * len(kept) / len(year),
        "nights_per_stay": kept["nights"].mean(), "revenue_per_night": kept["value"].sum() / kept["nights"].sum(),
    })
    assert right.prod() / 100 == pytest.approx(kept["value"].sum())
    check = kpi.check_tree_leaves
    assert check(right)
    rejected_with(check, right * [1, 0.01, 1, 1], f"{KPI}.kept_as_share", capsys)
    mean_rate = right.copy()
    mean_rate["revenue_per_night"] = kept["adr"].mean()
    rejected_with(check, mean_rate, f"{KPI}.mean_rate_not_revenue_per_night", capsys)


def test_lead_time_cancel_pct(bookings, capsys):
    city = bookings[bookings["hotel"] == "City Hotel"]
    band = pd.cut(city["lead_time"], [-1, 7, 30, 90, 180, np.inf], labels=["0-7", "8-30", "31-90", "91-180", "181+"])
    right = 100 * city["is_canceled"].groupby(band, observed=True).mean()
    check = kpi.check_lead_time_cancel_pct
    assert check(right)
    cancelled = city.loc[city["is_canceled"]]
    composition = 100 * band[city["is_canceled"]].value_counts() / len(cancelled)
    rejected_with(check, composition, f"{KPI}.composition_not_rate", capsys)


def test_gamed_kpi(bookings, capsys):
    city = bookings[bookings["hotel"] == "City Hotel"]
    long_lead, kept = city["lead_time"] > 180, ~city["is_canceled"]
    new_rate = 100 * city.loc[~long_lead, "is_canceled"].mean()
    right = (new_rate, city.loc[long_lead & kept, "value"].sum())
    check = kpi.check_gamed_kpi
    assert check(right) and check(list(right))
    assert new_rate < 100 * city["is_canceled"].mean(), "the gamed KPI looks better"
    rejected_with(check, (new_rate, city.loc[long_lead, "value"].sum()), f"{KPI}.cancelled_revenue_counted", capsys)
    old = 100 * city.loc[~long_lead, "is_canceled"].sum() / len(city)
    rejected_with(check, (old, right[1]), f"{KPI}.old_denominator", capsys)




# --- every check: placeholders and odd answers never raise ----------------------------------------

ALL_CHECKS = [
    survey.check_national_net, survey.check_pueblo_gap, survey.check_small_in_top_pct, survey.check_surveys_needed,
    drivers_practice.check_recommend_importance, drivers_practice.check_sign_flip_driver,
    drivers_practice.check_small_fix_first,
    money.check_churn_by_contract, money.check_retention_month_1, money.check_retention_gain_value,
    money.check_revenue_at_risk,
    kpi.check_tree_leaves, kpi.check_lead_time_cancel_pct, kpi.check_gamed_kpi,
]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize(
    "answer",
    [None, ..., "15", float("nan"), True, [1, 2], ["a", 3], {"a": 1}, pd.Series(dtype=float), pd.DataFrame(), (1.0,)],
    ids=["none", "ellipsis", "string", "nan", "bool", "short-list", "mixed-list", "dict", "empty-series",
         "empty-frame", "one-tuple"],
)
def test_checks_never_raise(check, answer, capsys):
    assert not check(answer)
    out = capsys.readouterr().out
    assert out.startswith(("❌", "⏳"))
    if answer is None or answer is Ellipsis:
        assert out.startswith("⏳")
