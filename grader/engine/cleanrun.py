"""The grader's handle on a clean room: start it in its sandbox, hand it answers, read results.

See ``grader.engine.cleanroom`` for what runs inside. The handle starts the process as
soon as a worker starts, sends the setup at once and only waits for it when the first
learner needs it, so the clean room's setup overlaps the first learner's kernel.
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
        self._send({"op": "setup", "prefix": [cell.source for cell in self.plan.prefix], "cells": cells})
        self._ready = False

    @staticmethod
    def _read(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line.decode("utf-8", "replace"))
        lines.put(None)

    def _send(self, request: dict) -> None:
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()

    def _next(self, timeout: float) -> dict | None:
        """The next reply, or None when the process ended or said nothing in time."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        return json.loads(line) if line is not None else None

    def _await_setup(self) -> None:
        if self._ready:
            return
        reply = self._next(SETUP_SECONDS)
        if not reply or not reply.get("ok"):
            why = reply.get("error") if reply else f"it stopped (see {self.log_path})"
            raise GradingError(f"The setup cells of {self.plan.assignment}/{self.plan.notebook} fail in the clean "
                               f"room where tests run: {why}. Fix the source notebook, release it, autograde again.")
        self._ready = True

    def grade(self, snapshots: dict[str, str], not_run: dict[str, str], unstored: dict[str, dict[str, str]],
              timeout: float) -> CleanResult:
        """Run the trusted cells with one learner's answers; never raises for the learner's sake.

        ``not_run``: cells the learner's kernel never reached, with why; ``unstored``: per
        cell, the names it reads that a failed learner cell never stored, with why.
        """
        self._await_setup()
        result = CleanResult()
        try:
            self._send({"op": "grade", "snapshots": snapshots, "not_run": not_run, "unstored": unstored,
                        "timeout": timeout})
        except OSError:
            result.ending = "the clean room had stopped"
            self._restart()
            return result
        while True:
            reply = self._next(timeout + SLACK_SECONDS)
            if reply is None:
                result.ending = "the clean room stopped responding"
                self._restart()
                return result
            if "done" in reply:
                result.ending, result.traceback = reply["done"], reply.get("traceback", "")
                return result
            result.results[reply["result"]["id"]] = reply["result"]

    def _restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
