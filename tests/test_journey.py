"""cxacademy.journey and cxacademy.journey_map on small hand-made data whose answers can be worked out on paper.

The log below has four cases. Case 1 has a staff work item logged SCHEDULE/START/COMPLETE
(one step) and a repeated follow-up call; case 4 jumps to "offer" without "check": so the
funnel must count it at "apply" only, even though it logged the offer activity.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cxacademy.journey import (
    ARROW,
    band_labels,
    dfg_graph,
    directly_follows,
    draw_dfg,
    journey_steps,
    rate_by_band,
    rework,
    stage_funnel,
    stage_waits,
    top_variant_coverage,
    variant_table,
)
from cxacademy.journey_map import JourneyMap, Touchpoint, compare_maps, draw_blueprint, journey_map_builder

T0 = pd.Timestamp("2024-01-01 09:00", tz="UTC")


def _log() -> pd.DataFrame:
    rows = [
        # case, activity, lifecycle, hours after T0
        (1, "apply", "COMPLETE", 0),
        (1, "W_check", "SCHEDULE", 1),
        (1, "W_check", "START", 2),
        (1, "W_check", "COMPLETE", 3),
        (1, "W_call", "COMPLETE", 5),
        (1, "W_call", "COMPLETE", 9),
        (1, "offer", "COMPLETE", 10),
        (2, "apply", "COMPLETE", 0),
        (2, "W_check", "START", 1),
        (2, "W_check", "COMPLETE", 4),
        (2, "offer", "COMPLETE", 6),
        (3, "apply", "COMPLETE", 0),
        (3, "W_check", "COMPLETE", 8),
        (4, "apply", "COMPLETE", 0),
        (4, "offer", "COMPLETE", 1),
    ]
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "lifecycle", "hours"])
    frame["timestamp"] = T0 + pd.to_timedelta(frame["hours"], unit="h")
    # Shuffle the rows: steps must come out in time order whatever the file order.
    return frame.drop(columns="hours").sample(frac=1, random_state=3).reset_index(drop=True)


STAGES = {"applied": "apply", "checked": "W_check", "offered": "offer"}


@pytest.fixture
def steps() -> pd.DataFrame:
    return journey_steps(_log())


def test_a_work_item_is_one_step_not_three(steps):
    per_case = steps.groupby("case_id")["activity"].apply(list).to_dict()
    assert per_case == {
        1: ["apply", "W_check", "W_call", "W_call", "offer"],
        2: ["apply", "W_check", "offer"],
        3: ["apply", "W_check"],
        4: ["apply", "offer"],
    }


def test_without_a_lifecycle_every_event_is_a_step():
    log = _log()
    assert len(journey_steps(log, lifecycle=None)) == len(log)


def test_variants_count_cases_most_common_first():
    log = _log()
    extra = log[log["case_id"] == 2].assign(case_id=5)  # a second case on case 2's path
    variants = variant_table(journey_steps(pd.concat([log, extra])))
    assert variants.index[0] == ARROW.join(["apply", "W_check", "offer"])
    assert variants["cases"].tolist() == [2, 1, 1, 1]
    assert variants["share_pct"].tolist() == pytest.approx([40, 20, 20, 20])
    assert variants["cumulative_pct"].iloc[-1] == pytest.approx(100)
    assert top_variant_coverage(variants, 2) == pytest.approx(60)


def test_counting_transitions_as_steps_invents_variants(steps):
    assert len(variant_table(steps)) == 4
    as_events = variant_table(journey_steps(_log(), lifecycle=None))
    assert as_events.index.str.contains("W_check → W_check").any()


def test_top_coverage_needs_at_least_one_variant(steps):
    with pytest.raises(ValueError):
        top_variant_coverage(variant_table(steps), 0)


def test_funnel_counts_cases_that_reached_every_earlier_stage(steps):
    funnel = stage_funnel(steps, STAGES)
    # Case 4 logged an offer but never a check: it counts at "applied" only.
    assert funnel["cases"].tolist() == [4, 3, 2]
    assert funnel["conversion_pct"].tolist() == pytest.approx([100, 75, 200 / 3])
    assert funnel["drop_off_pct"].tolist() == pytest.approx([0, 25, 100 / 3])
    assert funnel["lost"].tolist() == [0, 1, 1]


def test_waits_run_from_first_reaching_the_previous_stage(steps):
    waits = stage_waits(steps, STAGES)
    assert list(waits.index) == ["checked", "offered"]
    # checked: cases 1, 2, 3 after 3, 4 and 8 hours; offered: case 1 after 7 h, case 2 after 2 h.
    assert waits.loc["checked", "cases"] == 3
    assert waits.loc["checked", "median"] == pytest.approx(4)
    assert waits.loc["offered", "median"] == pytest.approx(4.5)
    assert waits.loc["checked", "p90"] == pytest.approx(pd.Series([3, 4, 8]).quantile(0.9))
    assert stage_waits(steps, STAGES, unit="D").loc["checked", "median"] == pytest.approx(4 / 24)


def test_directly_follows_counts_pairs_cases_and_waits(steps):
    follows = directly_follows(steps).set_index(["source", "target"])
    assert follows.loc[("apply", "W_check"), "transitions"] == 3
    assert follows.loc[("W_call", "W_call"), "cases"] == 1
    assert follows.loc[("W_call", "W_call"), "median_wait"] == pytest.approx(4)
    assert follows.loc[("W_check", "offer"), "median_wait"] == pytest.approx(2)  # case 2 only
    assert ("W_check", "W_call") in follows.index and ("offer", "apply") not in follows.index
    assert follows["transitions"].sum() == len(steps) - steps["case_id"].nunique()


def test_rework_finds_the_repeated_call(steps):
    loops = rework(steps)
    assert loops.index[0] == "W_call"
    assert loops.loc["W_call", ["cases", "cases_repeating"]].tolist() == [1, 1]
    assert loops.loc["W_call", "median_times"] == 2
    assert loops.loc["apply", "repeat_pct"] == 0
    assert math.isnan(loops.loc["apply", "median_times"])


def test_graph_keeps_only_paths_enough_cases_walk(steps):
    follows = directly_follows(steps)
    graph = dfg_graph(follows, min_cases=2)
    assert set(graph.edges) == {("apply", "W_check")}  # every other pair occurs in one case only
    assert graph.edges["apply", "W_check"]["cases"] == 3


def test_drawing_labels_every_step_and_leaves_the_graph_alone(steps):
    graph = dfg_graph(directly_follows(steps))
    ax = draw_dfg(graph, start="apply")
    assert {"apply", "W_check", "W_call", "offer"} <= {text.get_text() for text in ax.texts}
    assert all("layer" not in data for _, data in graph.nodes(data=True))
    plt.close(ax.figure)


def test_rate_by_band_divides_by_each_bands_own_rows():
    lead = pd.Series([0, 5, 7, 8, 30, 31, 400])
    cancelled = pd.Series([True, False, False, True, True, False, True])
    rates = rate_by_band(lead, cancelled, [0, 7, 30, float("inf")])
    assert list(rates.index) == ["0–7", "8–30", "31+"]
    assert rates.tolist() == pytest.approx([100 / 3, 100, 50])


def test_band_labels_read_as_whole_days():
    assert band_labels([0, 7, 30, 90]) == ["0–7", "8–30", "31–90"]


# --- cxacademy.journey_map: the map as data -------------------------------------------------------


def _map(title: str, cards: list[tuple[str, str, float]]) -> JourneyMap:
    journey_map = JourneyMap(title, ["book", "wait", "stay"])
    for stage, name, value in cards:
        journey_map.add(Touchpoint(stage, name, "rate (%)", value, fix="f", wow="w", plan_b="p"))
    return journey_map


def test_a_map_table_follows_the_stage_order_and_a_rerun_replaces_a_card():
    journey_map = _map("q1", [("stay", "room", 1.0), ("book", "form", 2.0), ("stay", "room", 3.0)])
    table = journey_map.table()
    assert list(table.columns) == ["stage", "touchpoint", "metric", "value", "fix", "wow", "plan_b"]
    assert table[["stage", "touchpoint", "value"]].values.tolist() == [["book", "form", 2.0], ["stay", "room", 3.0]]


def test_a_card_on_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="arrival"):
        _map("q1", [("arrival", "desk", 1.0)])


def test_incomplete_names_cards_missing_a_note():
    journey_map = _map("q1", [("book", "form", 2.0)])
    journey_map.add(Touchpoint("wait", "reminder", "rate (%)", 5.0, fix="f", wow=" "))
    assert journey_map.incomplete() == ["reminder"]


def test_comparing_two_quarters_finds_what_appeared_disappeared_and_moved():
    before = _map("q1", [("book", "form", 20.0), ("wait", "waiting list", 4.0)])
    after = _map("q2", [("book", "form", 25.5), ("stay", "mobile check-in", 60.0)])
    changes = compare_maps(before, after).set_index("touchpoint")
    assert changes["status"].to_dict() == {"form": "kept", "waiting list": "disappeared", "mobile check-in": "appeared"}
    assert changes.loc["form", "change"] == pytest.approx(5.5)
    assert math.isnan(changes.loc["mobile check-in", "value_before"])


def test_export_writes_a_picture_and_the_table(tmp_path):
    journey_map = _map("q1", [("book", "form", 2.0), ("stay", "room", 3.0)])
    picture, table = journey_map.export(tmp_path / "maps", "q1")
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert pd.read_csv(table).equals(journey_map.table())


def test_the_builder_adds_a_card_with_the_chosen_metric_and_exports_it(tmp_path):
    journey_map = JourneyMap("q1", ["book", "stay"])
    form = journey_map_builder(journey_map, {"requests (%)": 12.0, "cancelled (%)": 37.5}, folder=tmp_path)
    stage, name, metric, fix, wow, plan_b, buttons, _ = form.children
    add, export = buttons.children
    stage.value, name.value, metric.value = "stay", " check-in ", "cancelled (%)"
    fix.value, wow.value, plan_b.value = "f", "w", "p"
    add.click()
    assert journey_map.touchpoints == [Touchpoint("stay", "check-in", "cancelled (%)", 37.5, "f", "w", "p")]
    export.click()
    assert (tmp_path / "journey_map.png").is_file() and (tmp_path / "journey_map.csv").is_file()
    plt.close("all")


def test_a_blueprint_draws_every_lane():
    ax = draw_blueprint([{"customer": "arrives", "frontstage": "greets", "backstage": "cleans", "support": "system"}])
    texts = {text.get_text() for text in ax.texts}
    assert {"arrives", "greets", "cleans", "system"} <= texts
    plt.close(ax.figure)
