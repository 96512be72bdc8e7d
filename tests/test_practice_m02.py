"""Self-checks of Module 02's lessons.

Each check must accept the right answer, computed here independently with plain pandas,
name every typical mistake with that mistake's explanation, and never raise — whatever the
learner passes, including the untouched placeholder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxacademy.data import load
from cxacademy.journey_map import JourneyMap, Touchpoint
from cxacademy.practice import m02_event_logs as logs
from cxacademy.practice import m02_journey_maps as maps
from cxacademy.practice import m02_map_builder as builder
from cxacademy.practice import m02_touchpoints as touch
from cxacademy.text import t

LOGS, MAPS, TOUCH, BUILDER = ("practice.m02_event_logs", "practice.m02_journey_maps",
                              "practice.m02_touchpoints", "practice.m02_map_builder")


def rejected_with(check, answer, key: str, capsys, **values) -> None:
    assert not check(answer)
    assert t(key, **values) in capsys.readouterr().out


@pytest.fixture(scope="module")
def small_first_times() -> pd.DataFrame:
    """Small-loan applications: when each first completed each activity (plain pandas, no helper)."""
    events = load("bpi2012_loan_applications")
    small = events[(events["case_amount_requested"] < logs.SMALL_LOAN_EUR) & (events["lifecycle"] == "COMPLETE")]
    return small.groupby(["case_id", "activity"], observed=True)["timestamp"].min().unstack()


@pytest.fixture(scope="module")
def bookings() -> pd.DataFrame:
    return load("hotel_bookings")


# --- lesson 02-02: event logs -------------------------------------------------------------


def _small_paths(lifecycle_filter: bool) -> pd.Series:
    events = load("bpi2012_loan_applications")
    small = events[events["case_amount_requested"] < logs.SMALL_LOAN_EUR]
    if lifecycle_filter:
        small = small[small["lifecycle"] == "COMPLETE"]
    ordered = small.assign(row=np.arange(len(small))).sort_values(["case_id", "timestamp", "row"], kind="stable")
    return ordered.groupby("case_id")["activity"].agg(lambda names: tuple(names.astype(str)))


def test_variant_count_accepts_the_right_answer_and_names_the_event_mistake(capsys):
    assert logs.check_small_variant_count(int(_small_paths(True).nunique()))
    rejected_with(logs.check_small_variant_count, int(_small_paths(False).nunique()),
                  f"{LOGS}.transitions_as_steps", capsys)


def test_conversion_accepts_the_right_answer_and_names_its_mistakes(small_first_times, capsys):
    reached = pd.DataFrame({label: small_first_times[name].notna() for label, name in logs.STAGES.items()})
    cases = reached.cummin(axis=1).sum()
    conversion = 100 * cases / cases.shift(1, fill_value=cases.iloc[0])
    assert logs.check_small_conversion(conversion)
    rejected_with(logs.check_small_conversion, 100 * cases / cases.iloc[0], f"{LOGS}.from_first_stage", capsys)
    rejected_with(logs.check_small_conversion, conversion / 100, f"{LOGS}.share_not_percent", capsys)


def test_offer_return_accepts_the_median_and_names_the_mean(small_first_times, capsys):
    hours = ((small_first_times["O_SENT_BACK"] - small_first_times["O_SENT"]) / pd.Timedelta(hours=1)).dropna()
    assert logs.check_offer_return_hours(float(hours.median()))
    rejected_with(logs.check_offer_return_hours, float(hours.mean()), f"{LOGS}.mean_not_median", capsys)
    rejected_with(logs.check_offer_return_hours, float(hours.median() / 24), f"{LOGS}.days_not_hours", capsys)


# --- lesson 02-01: lifecycle and maps -------------------------------------------------------


def test_noshow_by_segment_accepts_the_rate_and_names_its_mistakes(bookings, capsys):
    resort = bookings[bookings["hotel"] == "Resort Hotel"]
    no_show = (resort["reservation_status"] == "No-Show").astype(float)
    segment = resort["market_segment"].astype(str)
    rate = 100 * no_show.groupby(segment).mean()
    assert maps.check_noshow_by_segment(rate)
    rejected_with(maps.check_noshow_by_segment, 100 * no_show.groupby(segment).sum() / no_show.sum(),
                  f"{MAPS}.composition_not_rate", capsys)
    rejected_with(maps.check_noshow_by_segment, 100 * resort["is_canceled"].astype(float).groupby(segment).mean(),
                  f"{MAPS}.all_cancellations", capsys)


def test_cancel_by_changes_accepts_the_pair_and_names_the_reversed_order(bookings, capsys):
    city = bookings[bookings["hotel"] == "City Hotel"]
    changed = city["booking_changes"] > 0
    pair = (100 * city.loc[~changed, "is_canceled"].mean(), 100 * city.loc[changed, "is_canceled"].mean())
    assert maps.check_cancel_by_changes(pair)
    rejected_with(maps.check_cancel_by_changes, pair[::-1], f"{MAPS}.order_reversed", capsys)


# --- lesson 02-03: touchpoints ----------------------------------------------------------------


def _personal_top_box(include_zeros: bool) -> pd.Series:
    survey = load("airline_passenger_satisfaction")
    personal = survey[survey["type_of_travel"] == "Personal Travel"][list(touch.JOURNEY_ORDER)]
    if not include_zeros:
        personal = personal.replace(0, np.nan)
    return 100 * (personal >= 4).sum() / personal.notna().sum()


def test_top_box_leaves_not_applicable_out(capsys):
    assert touch.check_personal_top_box(_personal_top_box(include_zeros=False))
    rejected_with(touch.check_personal_top_box, _personal_top_box(include_zeros=True), f"{TOUCH}.zeros_counted", capsys)


def test_weakest_touchpoint_accepts_the_lowest_top_box(capsys):
    top_box = _personal_top_box(include_zeros=False)
    assert touch.check_weakest_touchpoint(top_box.idxmin())
    rejected_with(touch.check_weakest_touchpoint, top_box.idxmax(), f"{TOUCH}.strongest_not_weakest", capsys)


# --- lesson 02-04: the map builder ----------------------------------------------------------------


def _resort_q2(bookings: pd.DataFrame) -> pd.DataFrame:
    resort = bookings[(bookings["hotel"] == "Resort Hotel") & (bookings["arrival_date_year"] == 2017)]
    return resort[resort["arrival_date_month"].astype(str).isin(["April", "May", "June"])]


def test_booking_metrics_match_plain_pandas(bookings):
    resort = _resort_q2(bookings)
    metrics = builder.booking_metrics(builder.practice_bookings())
    assert len(builder.practice_bookings()) == len(resort)
    assert metrics["cancelled (%)"] == pytest.approx(100 * resort["is_canceled"].mean())
    assert metrics["median lead time (days)"] == pytest.approx(resort["lead_time"].median())


def _card(name: str, metric: str, value: float, **notes: str) -> Touchpoint:
    full = {"fix": "repair it", "wow": "delight", "plan_b": "promise", **notes}
    return Touchpoint("the wait", name, metric, value, **full)


def test_map_check_accepts_a_complete_map_with_true_numbers(bookings, capsys):
    resort = _resort_q2(bookings)
    ready = JourneyMap("resort", ["the wait"])
    ready.add(_card("cancel", "cancelled (%)", 100 * resort["is_canceled"].mean()))
    ready.add(_card("requests", "special requests (%)", 100 * (resort["total_of_special_requests"] > 0).mean()))
    ready.add(_card("lead", "median lead time (days)", float(resort["lead_time"].median())))
    assert builder.check_my_map(ready)
    capsys.readouterr()

    ready.add(_card("cancel", "cancelled (%)", 1.0))
    rejected_with(builder.check_my_map, ready, f"{BUILDER}.wrong_number", capsys, name="cancel", metric="cancelled (%)")
    ready.add(_card("cancel", "cancelled (%)", 100 * resort["is_canceled"].mean(), plan_b=" "))
    rejected_with(builder.check_my_map, ready, f"{BUILDER}.missing_notes", capsys, names="cancel",
                  notes="fix, wow, plan_b")


def test_map_check_says_not_yet_for_the_untouched_map(capsys):
    assert not builder.check_my_map(JourneyMap("resort", ["booking"]))
    assert t("check.not_answered", name="my_map") in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, ..., 42, "map", pd.Series(dtype=float), JourneyMap("x", ["a"])])
@pytest.mark.parametrize("check", [logs.check_small_variant_count, logs.check_small_conversion,
                                   logs.check_offer_return_hours, maps.check_noshow_by_segment,
                                   maps.check_cancel_by_changes, touch.check_personal_top_box,
                                   touch.check_weakest_touchpoint, builder.check_my_map])
def test_checks_never_raise(check, answer, capsys):
    assert not check(answer)
    assert capsys.readouterr().out.strip()
