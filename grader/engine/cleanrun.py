"""The grader's handle on a clean room: start it in its sandbox, hand it answers, read results.

See ``grader.engine.cleanroom`` for what runs inside. The handle starts the process as
soon as a worker starts, sends the setup at once and only waits for it when the first
learner needs it. ``LearnerCleanRun`` is one learner's run: the grader orders each cell when
the learner's kernel reaches it and answers the calls its test makes to learner functions
(``grader.engine.execute``); ``CleanRoom.grade`` runs every cell at once with answers taken
beforehand and no learner kernel.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import GradingError
from grader.engine.plan import NotebookPlan
from grader.engine.sandbox import Sandbox

SETUP_SECONDS = 600.0
SLACK_SECONDS = 60.0


@dataclass
class CleanResult:
    """One learner's clean run: a result per trusted cell, how the run ended, and the traceback if it crashed."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    ending: str = "ok"
    traceback: str = ""


class CleanRoom:
    """One clean-room process for one notebook of an assignment, reused for every learner of a worker."""

    def __init__(self, sandbox: Sandbox, plan: NotebookPlan, log_path: Path) -> None:
        self.sandbox, self.plan, self.log_path = sandbox, plan, log_path
        self.process: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        command = self.sandbox.clean_command([sys.executable, "-m", "grader.engine.cleanroom"])
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout, self._lines), daemon=True).start()
        cells = [{"id": cell.id, "source": cell.source, "needs": list(cell.needs)} for cell in self.plan.clean_cells]
        self.send({"op": "setup", "prefix": [cell.source for cell in self.plan.prefix], "cells": cells})
        self._ready = False

    @staticmethod
    def _read(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line.decode("utf-8", "replace"))
        lines.put(None)

    def send(self, request: dict) -> None:
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()

    def receive(self, timeout: float) -> dict | None:
        """The next reply, or None when the process ended or said nothing in time."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        return json.loads(line) if line is not None else None

    def _await_setup(self) -> None:
        if self._ready:
            return
        reply = self.receive(SETUP_SECONDS)
        if not reply or not reply.get("ok"):
            why = reply.get("error") if reply else f"it stopped (see {self.log_path})"
            raise GradingError(f"The setup cells of {self.plan.assignment}/{self.plan.notebook} fail in the clean "
                               f"room where tests run: {why}. Fix the source notebook, release it, autograde again.")
        self._ready = True

    def start(self, timeout: float) -> "LearnerCleanRun":
        """Begin one learner's clean run: the clean room forks a child that waits for cell orders."""
        self._await_setup()
        run = LearnerCleanRun(self, timeout)
        run.send({"op": "grade", "timeout": timeout})
        return run

    def grade(self, snapshots: dict[str, str], not_run: dict[str, str], unstored: dict[str, dict[str, str]],
              timeout: float) -> CleanResult:
        """Run every clean cell with one learner's answers taken beforehand; never raises for the learner's sake.

        ``not_run``: cells the learner's kernel never reached, with why; ``unstored``: per
        cell, the names it reads that a failed learner cell never stored, with why. No learner
        kernel is attached, so a call to a learner's function is answered with that.
        """
        run = self.start(timeout)
        for cell in self.plan.clean_cells:
            run.order(cell.id, snapshots.get(cell.id), not_run.get(cell.id), unstored.get(cell.id, {}))
            while (call := run.next_call()) is not None:
                run.reply({"error": "cannot run: no learner kernel is attached"})
        return run.end()

    def _restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class LearnerCleanRun:
    """The host's side of one learner's run in a clean room: order cells, answer calls, collect results.

    The clean room's child runs a cell when ordered and may, while it runs, send calls to a
    learner's function; each must be answered (``reply``) before the cell can finish. Once the
    run has ended (time limit, crash, stopped process) orders are ignored and ``end`` says why.
    """

    def __init__(self, room: CleanRoom, timeout: float) -> None:
        self.room, self.timeout, self.result, self.ended = room, timeout, CleanResult(), False

    def send(self, message: dict) -> None:
        if self.ended:
            return
        try:
            self.room.send(message)
        except OSError:
            self._stop("the clean room had stopped")

    def order(self, cell_id: str, snapshot: str | None, not_run: str | None, unstored: dict[str, str]) -> None:
        """Have the clean room run one cell with the answers taken right before it in the learner's kernel."""
        self.send({"op": "cell", "id": cell_id, "snapshot": snapshot, "not_run": not_run, "unstored": unstored})

    def next_call(self) -> dict | None:
        """Wait for the ordered cell: its result (then None), or a call to a learner's function it makes."""
        while not self.ended:
            reply = self.room.receive(self.timeout + SLACK_SECONDS)
            if reply is None:
                self._stop("the clean room stopped responding")
            elif "done" in reply:
                self.ended = True
                self.result.ending, self.result.traceback = reply["done"], reply.get("traceback", "")
            elif "call" in reply:
                return reply["call"]
            else:
                self.result.results[reply["result"]["id"]] = reply["result"]
                return None
        return None

    def reply(self, answer: dict, stdout: str = "", stderr: str = "") -> None:
        """Answer the pending call: ``{"value"|"raised"|"refused"|"error": ...}`` and the call's printed output."""
        self.send({"op": "reply", "reply": answer, "stdout": stdout, "stderr": stderr})

    def end(self) -> CleanResult:
        """No more cells: let the child finish, and return every result and how the run ended."""
        self.send({"op": "end"})
        while not self.ended:
            if self.next_call() is not None:
                self.reply({"error": "cannot run: the run has ended"})
        return self.result

    def _stop(self, why: str) -> None:
        self.ended, self.result.ending = True, why
        self.room._restart()
