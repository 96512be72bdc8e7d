"""The clean room never reports a test it could not check as passed, and says why a name is missing.

The clean room runs here as a plain process (``python -m grader.engine.cleanroom`` through
``CleanRoom``, without bubblewrap: what is under test is its protocol and its honesty, not
the sandbox). Each learner's answers that cannot be read, test outputs that cannot be sent,
and a child that dies must each end up as words in the results, never as "ok" or a bare
``NameError``.
"""

from __future__ import annotations

import io
import json
import os
import sys

import pytest

from grader.engine import cleanroom
from grader.engine.cleanrun import CleanRoom
from grader.engine.plan import NotebookPlan, TrustedCell

DEPTH = 100_000
CLEAN_SECONDS = 60.0


class Unsandboxed:
    """Stands in for ``Sandbox``: runs the clean room's command as it is."""

    def clean_command(self, argv: list[str]) -> list[str]:
        return argv


def _cell(cell_id: str, source: str, needs: tuple[str, ...] = ()) -> TrustedCell:
    return TrustedCell(cell_id, source, True, 1.0, False, source, needs)


DEEP_OUTPUT = f"""
deep = node = {{}}
for _ in range({DEPTH // 20}):
    node["k"] = {{}}
    node = node["k"]
display({{"application/json": deep}}, raw=True)
"""

PLAN = NotebookPlan("fixture", "fixture", prefix=(_cell("setup", "expected = 42"),), cells=(
    _cell("q1_value", "assert answer == expected", ("answer",)),
    _cell("q1_deep_output", DEEP_OUTPUT),
    _cell("q2_values", "assert ranking == [1, 2]", ("ranking",)),
    _cell("after", "print('still running')"),
))


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    room = CleanRoom(Unsandboxed(), PLAN, tmp_path_factory.mktemp("cleanroom") / "cleanroom.log")
    yield room
    room.close()


def _snapshot(**values) -> str:
    return json.dumps({"values": values, "refused": {}, "missing": []})


def _error(result: dict) -> dict:
    return next(output for output in result["outputs"] if output["output_type"] == "error")


def test_a_snapshot_nested_too_deeply_to_read_refuses_its_answers_and_says_so(room):
    deep = "[" * DEPTH + "]" * DEPTH
    with pytest.raises(RecursionError):
        json.loads(deep)
    clean = room.grade({"q1_value": deep, "q2_values": _snapshot(ranking={"$": "list", "v": [1, 2]})}, {}, {},
                       CLEAN_SECONDS)
    assert clean.ending == "ok"
    error = _error(clean.results["q1_value"])
    assert error["ename"] == "AnswerNotCheckable" and "nests too deeply" in error["evalue"]
    assert any("nests too deeply" in note for note in clean.results["q1_value"]["notes"])
    assert not any(out["output_type"] == "error" for out in clean.results["q2_values"]["outputs"])


def test_an_output_json_cannot_encode_is_a_grader_error_and_later_cells_still_run(room):
    clean = room.grade({"q1_value": _snapshot(answer=42), "q2_values": _snapshot(ranking={"$": "list", "v": [1]})},
                       {}, {}, CLEAN_SECONDS)
    error = _error(clean.results["q1_deep_output"])
    assert error["ename"] == "GraderError" and "RecursionError" in error["evalue"]
    assert "RecursionError" in clean.results["q1_deep_output"]["failure"]
    assert _error(clean.results["q2_values"])["ename"] == "AssertionError"
    assert clean.results["after"]["outputs"][0]["text"] == "still running\n"
    assert clean.ending == "ok"


def test_a_name_a_failed_answer_cell_never_stored_is_explained_and_other_name_errors_are_not(room):
    why = "your answer cell for Q1 did not finish within the 4 s per-cell time limit and was stopped (it ran 4.0 s), " \
          "so `answer` was never stored"
    missing = json.dumps({"values": {}, "refused": {}, "missing": ["answer", "ranking"]})
    clean = room.grade({"q1_value": missing, "q2_values": missing}, {}, {"q1_value": {"answer": why}}, CLEAN_SECONDS)
    assert _error(clean.results["q1_value"]) == {"output_type": "error", "ename": "AnswerNotStored", "evalue": why,
                                                 "traceback": [f"AnswerNotStored: {why}"]}
    assert _error(clean.results["q2_values"])["ename"] == "NameError"


def test_a_child_that_dies_reports_its_error_and_traceback_never_ok(monkeypatch):
    def dies_after_one_result(shell, cells, request, channel):
        os.write(channel, b'{"result": {"id": "q1_value"}}\n')
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(cleanroom, "grade_child", dies_after_one_result)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    reply = io.StringIO()
    cleanroom.grade(None, list(PLAN.cells), {"timeout": CLEAN_SECONDS}, reply)
    lines = [json.loads(line) for line in reply.getvalue().splitlines()]
    assert lines[0] == {"result": {"id": "q1_value"}}
    assert lines[-1]["done"] == "crashed: RecursionError: maximum recursion depth exceeded"
    assert "Traceback" in lines[-1]["traceback"] and "dies_after_one_result" in lines[-1]["traceback"]
    assert len(lines) == 2
