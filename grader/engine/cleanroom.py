"""The clean room: tests run in a process that never ran a line of learner code.

Started inside its own sandbox (``python -m grader.engine.cleanroom``), one per worker and
notebook. It runs the notebook's trusted prefix (the setup cells) once in an IPython
shell, then, for each learner, forks: the child is an exact copy of "setup just ran",
receives the learner's answers as data (decoded strictly by ``grader.engine.values``), and
runs the instructor's trusted cells — tests and locked cells — in notebook order. Each
test's outputs are recorded the way a Jupyter kernel reports them (streams, results,
errors), so nbgrader scores them exactly as it scores its own execution: an error or any
stderr output is 0, a numeric last value is partial credit, anything else full marks.

Because the learner's code never ran here, no hook, patched builtin, redefined helper,
input transformer or exception handler of theirs exists in this process. Their answers
are the only thing that crosses, and only as plain data — or, for a function, as a
reference whose calls run in the learner's kernel (``grader.engine.values.LearnerFunction``).

Protocol (one JSON object per line; requests on stdin, replies on the original stdout):

- ``{"op": "setup", "prefix": [source, ...], "cells": [{"id", "source", "needs"}, ...]}``
  → ``{"ok": true}`` or ``{"ok": false, "error": "..."}``
- ``{"op": "grade", "timeout": s}`` forks the learner's child, which then takes orders:
  ``{"op": "cell", "id", "snapshot": text | null, "not_run": reason | null, "unstored": {name: reason}}``
  → ``{"result": {...}}`` (with ``"failure"`` when the clean room could not check it). While
  a cell runs, each call to a learner's function is ``{"call": {"ref", "name", "args"}}``,
  answered by ``{"op": "reply", "reply": {...}, "stdout", "stderr"}``. ``{"op": "end"}``
  ends the learner → ``{"done": "ok" | "ran past …" | "crashed: …", "traceback": …}``.

The host orders each cell when the learner's kernel has reached it, so the child waits
between cells; its time limit counts only its own work (``Clock``). The parent relays both
ways: host lines to the child through a pipe, the child's lines to the host.

Nothing that goes wrong while checking one learner may pass for a result: a cell the
clean room cannot check gets an error output saying why, and a child that dies sends its
error (``{"crashed": …}``, relayed as the ``done`` line with its traceback) and exits non-zero.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
import traceback
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from cxacademy.text import t
from grader.engine.values import (CALLER, CallNotCompleted, Invalid, LearnerFunction, Snapshot, call_payload,
                                  call_result, read_snapshot)

PLAIN_DATA = ("the grader checks answers stored as plain data: numbers, text, True/False, None, lists, tuples, "
              "sets and dicts of these, NumPy values, or pandas Series/DataFrame/Index")


class Recorder:
    """Collects one cell's outputs in nbformat shape, streams coalesced as a kernel's client does."""

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []

    def add(self, output: dict[str, Any]) -> None:
        self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})


RECORDER = Recorder()


class _Stream:
    """sys.stdout / sys.stderr for a cell: everything written becomes a stream output."""

    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        RECORDER.stream(self.name, str(text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _ResultHook(DisplayHook):
    """A cell's last expression becomes an ``execute_result``, as in a kernel."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        RECORDER.add({"output_type": "execute_result", "data": format_dict, "metadata": md_dict or {},
                      "execution_count": self.prompt_count})

    def finish_displayhook(self) -> None:
        pass


class _Publisher(DisplayPublisher):
    """``display(...)`` becomes a ``display_data`` output."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:
        RECORDER.add({"output_type": "display_data", "data": data, "metadata": metadata or {}})

    def clear_output(self, wait=False) -> None:
        RECORDER.outputs.clear()


class CleanShell(InteractiveShell):
    """An IPython shell whose outputs are recorded instead of printed."""

    displayhook_class = _ResultHook
    display_pub_class = _Publisher

    def _showtraceback(self, etype, evalue, stb) -> None:
        RECORDER.add({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": stb})


def make_shell() -> CleanShell:
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    return CleanShell.instance(config=config)


def run_cell(shell: CleanShell, source: str) -> list[dict[str, Any]]:
    """Run one cell; return its outputs."""
    RECORDER.outputs = []
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
    try:
        shell.run_cell(source, store_history=True)
    finally:
        sys.stdout, sys.stderr = saved
    return RECORDER.outputs


def setup(shell: CleanShell, request: dict) -> dict:
    """Run the trusted prefix once; every later learner starts from this state."""
    for source in request["prefix"]:
        errors = [out for out in run_cell(shell, source) if out["output_type"] == "error"]
        if errors:
            return {"ok": False, "error": f"{errors[0]['ename']}: {errors[0]['evalue']}"}
    return {"ok": True}


class Injector:
    """Puts a learner's answers into the namespace, only when they changed since last time.

    A value a test mutated stays mutated for later tests, as in a kernel, unless the
    learner's own code changed it in between.
    """

    def __init__(self, shell: CleanShell) -> None:
        self.shell, self.fingerprints = shell, {}

    def inject(self, text: str | None, needs: list[str]) -> dict[str, str]:
        """Inject a snapshot; return the refused names with reasons (all of them when it cannot be read)."""
        if text is None:
            return {}
        try:
            snapshot = read_snapshot(text, needs)
        except Invalid as error:
            snapshot = Snapshot(refused={name: f"the answers taken before this cell could not be read: {error}"
                                         for name in needs})
        for name, value in snapshot.values.items():
            fingerprint = snapshot.fingerprints[name]
            if self.fingerprints.get(name) != fingerprint:
                self.shell.user_ns[name] = value
                self.fingerprints[name] = fingerprint
        for name in [*snapshot.missing, *snapshot.refused]:
            if self.fingerprints.pop(name, None) is not None:
                self.shell.user_ns.pop(name, None)
        return snapshot.refused


def _explain_name_errors(outputs: list[dict[str, Any]], reasons: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """A NameError on an answer the grader knows the story of says that story (``name → (ename, message)``)."""
    for output in outputs:
        if output["output_type"] != "error" or output["ename"] != "NameError":
            continue
        for name, (ename, message) in reasons.items():
            if f"'{name}'" in output["evalue"]:
                output.update(ename=ename, evalue=message, traceback=[f"{ename}: {message}"])
    return outputs


def _error_output(ename: str, message: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": message, "traceback": [f"{ename}: {message}"]}


def not_run_output(reason: str) -> dict[str, Any]:
    return _error_output("TestNotRun", reason)


def _described(error: BaseException) -> str:
    """An exception as ``Name: first line of its message``."""
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:300]}".rstrip(": ")


def check_cell(shell: CleanShell, injector: Injector, cell: dict, request: dict) -> dict[str, Any]:
    """Run one trusted cell with the learner's answers: its outputs as a kernel reports them, and notes."""
    reason = request["not_run"].get(cell["id"])
    if reason:
        return {"id": cell["id"], "outputs": [not_run_output(reason)], "execution_count": None, "notes": []}
    refused = injector.inject(request["snapshots"].get(cell["id"]), cell["needs"])
    notes = list(dict.fromkeys(f"{why}, so it could not be checked" for why in refused.values()))
    reasons = {name: ("AnswerNotStored", why) for name, why in request["unstored"].get(cell["id"], {}).items()}
    reasons.update({name: ("AnswerNotCheckable", f"{why}: {PLAIN_DATA}.") for name, why in refused.items()})
    count = shell.execution_count
    outputs = _explain_name_errors(run_cell(shell, cell["source"]), reasons)
    return {"id": cell["id"], "outputs": outputs, "execution_count": count, "notes": notes}


def _not_checked(cell_id: str, error: BaseException) -> dict[str, Any]:
    """The result of a cell the clean room failed on: an error output that says so, never a pass."""
    traceback.print_exc()
    message = t("engine.could_not_check", error=_described(error))
    return {"id": cell_id, "outputs": [_error_output("GraderError", message)], "execution_count": None,
            "notes": [], "failure": message}


def _result_line(result: dict[str, Any]) -> bytes:
    """One result as a protocol line; outputs JSON cannot encode (nested too deeply) become the reason why."""
    try:
        text = json.dumps({"result": result}, default=repr)
    except (ValueError, TypeError, RecursionError) as error:
        text = json.dumps({"result": {**_not_checked(result["id"], error), "seconds": result["seconds"]}})
    return (text + "\n").encode()


class HostLines:
    """Lines from the host on a file descriptor, read without hidden read-ahead so ``select`` tells the truth."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer, self.closed = fd, b"", False

    def pop(self) -> bytes | None:
        """A complete line already read, or None."""
        if b"\n" not in self.buffer:
            return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def fill(self) -> None:
        """One read (when ``select`` says there is something, or to block for more)."""
        chunk = os.read(self.fd, 1 << 16)
        self.closed = not chunk
        self.buffer += chunk

    def readline(self) -> bytes | None:
        """The next line, waiting for it; None when the host closed its end."""
        while (line := self.pop()) is None:
            if self.closed:
                return None
            self.fill()
        return line


HOST = HostLines(0)


def _send(channel: int, message: dict[str, Any]) -> None:
    os.write(channel, (json.dumps(message) + "\n").encode())


class LearnerKernelLink:
    """The child's way to the learner's kernel: a call goes out as a line, its reply comes back from the host."""

    def __init__(self, channel: int, orders: HostLines) -> None:
        self.channel, self.orders = channel, orders

    def __call__(self, function: LearnerFunction, args: tuple, kwargs: dict) -> Any:
        __tracebackhide__ = True  # noqa: F841 - IPython leaves the grader's frames out of the test's traceback
        _send(self.channel, {"call": {"ref": function.ref, "name": function.__name__,
                                      "args": call_payload(args, kwargs)}})
        line = self.orders.readline()
        answer = json.loads(line) if line else {}
        if answer.get("op") != "reply":
            raise CallNotCompleted(f"{function.__name__}(...) got no answer from the learner's kernel")
        for stream, text in ((sys.stdout, answer.get("stdout")), (sys.stderr, answer.get("stderr"))):
            if text:
                stream.write(str(text))
        return call_result(function.__name__, answer.get("reply"))


def _orders(orders: HostLines):
    """The host's orders for one learner, one cell at a time, until ``end`` (or the host is gone)."""
    while (line := orders.readline()) is not None:
        order = json.loads(line)
        if order.get("op") != "cell":
            return
        yield order


def grade_child(shell: CleanShell, cells: list[dict], request: dict, channel: int) -> None:
    """In the forked child: run each trusted cell the host orders, with the learner's answers, reporting each.

    The host orders a cell when the learner's kernel has reached it, so a learner's function
    called by the test runs in the kernel exactly as it stands at that point of the notebook.
    """
    orders = HostLines(request["orders_fd"])
    CALLER[0] = LearnerKernelLink(channel, orders)
    injector, by_id = Injector(shell), {cell["id"]: cell for cell in cells}
    for order in _orders(orders):
        cell, started = by_id[order["id"]], time.perf_counter()
        answers = {"snapshots": {cell["id"]: order.get("snapshot")},
                   "unstored": {cell["id"]: order.get("unstored", {})},
                   "not_run": {cell["id"]: order["not_run"]} if order.get("not_run") else {}}
        try:
            result = check_cell(shell, injector, cell, answers)
        except Exception as error:  # noqa: BLE001 - a cell the clean room cannot check must still get a result
            result = _not_checked(cell["id"], error)
        result["seconds"] = round(time.perf_counter() - started, 3)
        os.write(channel, _result_line(result))


def _child(shell: CleanShell, cells: list[dict], request: dict, channel: int) -> int:
    """The forked child's whole life; its exit status. A crash is told on the channel and in the log (stderr)."""
    try:
        grade_child(shell, cells, request, channel)
        return 0
    except BaseException as error:  # noqa: BLE001 - whatever kills the child, the grader must hear what it was
        traceback.print_exc()
        with contextlib.suppress(BaseException):
            crash = {"crashed": _described(error), "traceback": traceback.format_exc()}
            os.write(channel, (json.dumps(crash) + "\n").encode())
        return 1


CRASH_PREFIX = b'{"crashed":'


class Clock:
    """The child's time limit, counting only while it works: not while it waits for the host.

    The child waits while the learner's kernel runs the learner's cells up to the next test,
    and while it runs a learner's function for a test: those have their own limits.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds, self.left, self.since = seconds, seconds, None

    def run(self) -> None:
        self.since = self.since if self.since is not None else time.monotonic()

    def pause(self) -> None:
        if self.since is not None:
            self.left -= time.monotonic() - self.since
            self.since = None

    def remaining(self) -> float | None:
        """Seconds left, or None while paused (no limit on waiting)."""
        return None if self.since is None else self.left - (time.monotonic() - self.since)


def _forward(to_child: int, clock: Clock) -> None:
    """Pass the host's complete lines to the child; a child that already ended just misses them."""
    while (line := HOST.pop()) is not None:
        clock.run()
        with contextlib.suppress(OSError):
            os.write(to_child, line + b"\n")


def _relay(reader: int, pid: int, timeout: float, reply, to_child: int) -> tuple[str, str]:
    """Relay between the host and the child until it exits or runs out of time; how it ended, and any traceback.

    Closes ``to_child`` when the host goes away, so a child waiting for orders ends too.
    """
    clock, pending, crash = Clock(timeout), b"", None
    clock.run()
    while True:
        if not HOST.closed:
            _forward(to_child, clock)
        if HOST.closed and to_child >= 0:
            os.close(to_child)
            to_child = -1
        remaining = clock.remaining()
        watched = [reader] + ([HOST.fd] if to_child >= 0 else [])
        ready = [] if remaining is not None and remaining <= 0 else select.select(watched, [], [], remaining)[0]
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            if to_child >= 0:
                os.close(to_child)
            return f"ran past its {timeout:g} s time limit and was stopped", ""
        if HOST.fd in ready and to_child >= 0:
            HOST.fill()
        if reader not in ready:
            continue
        chunk = os.read(reader, 1 << 16)
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.startswith(CRASH_PREFIX):
                crash = json.loads(line)
            else:
                reply.write(line.decode() + "\n")
                clock.pause()
        reply.flush()
    if to_child >= 0:
        os.close(to_child)
    _, status = os.waitpid(pid, 0)
    if crash:
        return f"crashed: {crash['crashed']}", crash["traceback"]
    if os.WIFSIGNALED(status):
        return f"crashed (signal {os.WTERMSIG(status)})", ""
    return ("ok" if os.WEXITSTATUS(status) == 0 else f"crashed (exit status {os.WEXITSTATUS(status)})"), ""


def grade(shell: CleanShell, cells: list[dict], request: dict, reply) -> None:
    """Fork a child for one learner; relay its results and calls out, and the host's orders and replies in."""
    reader, writer = os.pipe()
    orders, to_child = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        os.close(to_child)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        status = 1
        try:
            status = _child(shell, cells, {**request, "orders_fd": orders}, writer)
        finally:
            os._exit(status)
    os.close(writer)
    os.close(orders)
    try:
        ending, crash_traceback = _relay(reader, pid, float(request["timeout"]), reply, to_child)
    finally:
        os.close(reader)
    reply.write(json.dumps({"done": ending, "traceback": crash_traceback}) + "\n")
    reply.flush()


def main() -> None:
    """Serve the host: ``setup`` once, then ``grade`` per learner; lines a finished child left are dropped."""
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    shell, cells = make_shell(), []
    while (line := HOST.readline()) is not None:
        request = json.loads(line)
        if request.get("op") == "setup":
            cells = request["cells"]
            reply.write(json.dumps(setup(shell, request)) + "\n")
            reply.flush()
        elif request.get("op") == "grade":
            grade(shell, cells, request, reply)


if __name__ == "__main__":
    main()
