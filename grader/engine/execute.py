"""nbgrader's Execute step, replaced: learner code in a sandboxed kernel, tests in the clean room.

nbgrader's Autograde runs its usual pipeline — restore cells from the gradebook, execute,
score, save — with this preprocessor in place of ``Execute``. For one notebook it:

1. starts a kernel inside the learner's sandbox (``grader.engine.sandbox``), talking to it
   over IPC sockets in a directory bound into the sandbox (the sandbox has no network);
2. runs the learner's cells in order; at each trusted cell it first takes a *snapshot* of
   the names that cell reads (the answers, as data: ``grader.engine.snapshot``) and has the
   clean room run that cell with them while the learner's kernel waits at that point; then
   it runs the released (visible) part of each test in the learner's kernel too, to see
   what the learner's own kernel would have reported; hidden tests never enter it;
3. while the clean room runs a test, answers its calls to a learner's function (the
   *function route*): the function runs in the learner's kernel, as it stands at that point
   of the notebook, under the per-cell time limit, its printed output capped, and its result
   goes back as data through the snapshot encoder (``CALL`` steps, logged per learner);
4. stops the kernel on the whole-notebook wall clock, a per-cell timeout, or when learner
   code exits or kills it; cells it never reached are run in the clean room as not run;
5. writes the clean room's outputs into the test cells, so nbgrader's SaveAutoGrades
   scores honest results only, and flags the notebook for review when a test passed in the
   learner's kernel but failed in the clean room: something in the notebook changes how
   tests run.

A cell the course declared to run in the learner's kernel (``grader.engine.plan``) is the
exception: it runs there in full, hidden part included, as plain nbgrader runs it; its
outputs there are its score, it is not compared, and the instructor is told so.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbformat import NotebookNode, from_dict
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import determine_grade
from traitlets import default

from cxacademy.text import t
from grader.engine import snapshot
from grader.engine.cleanrun import CleanResult
from grader.engine.plan import NotebookPlan, TrustedCell, bound_names, python_source
from grader.engine.sandbox import KERNEL_DIR, Sandbox
from grader.grades import question_of

SNAPSHOT, LEARNER, VISIBLE_TEST = "snapshot", "learner cell", "visible test"
KERNEL_TEST = "test declared to run in the learner kernel"
CALL = "call to a learner function"
#: Printed output of one call to a learner's function that is passed on to the test (per stream).
CALL_OUTPUT_BYTES = 64 << 10


_SESSION: Any = None


def bind_session(session: Any) -> None:
    """Give SandboxedExecute its worker's session: sandbox, clean rooms, plans, gradebook lock, limits."""
    global _SESSION
    _SESSION = session


def current_session() -> Any:
    """The session ``bind_session`` set in this worker process."""
    if _SESSION is None:
        raise RuntimeError("SandboxedExecute runs only inside a grader.engine worker (use grader.engine.cohort.grade_cohort).")
    return _SESSION


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the learner's code): grading this learner must be retried."""


class LearnerExit(Exception):
    """The learner's code asked the kernel to exit: stop here and grade what ran."""


@dataclass
class Step:
    """One thing the learner's kernel runs: a notebook cell, a snapshot, or a visible test."""

    kind: str
    cell: NotebookNode
    label: str
    trusted: TrustedCell | None = None


@dataclass
class LearnerBox:
    """The host side of one learner's sandbox: its IPC folder, its files, its kernel log."""

    folder: Path
    files: list[Path]
    workdir: PurePosixPath
    uid: int

    @property
    def ipc(self) -> Path:
        return self.folder / "ipc"

    @property
    def log(self) -> Path:
        return self.folder / "kernel.log"


@dataclass
class LearnerRun:
    """What the learner's kernel did: snapshots, its own test verdicts, and why it stopped early.

    ``unstored`` says, per trusted cell, which names it reads were never stored because the
    learner cell that stores them was stopped or raised, and why: the clean room turns the
    test's bare ``NameError`` into that sentence. ``failed_names`` is the running account
    it is taken from (name → why its cell failed; a later cell that stores it clears it).
    """

    snapshots: dict[str, str] = field(default_factory=dict)
    visible_scores: dict[str, float | None] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)
    unstored: dict[str, dict[str, str]] = field(default_factory=dict)
    failed_names: dict[str, str] = field(default_factory=dict)
    kernel_outputs: dict[str, list[NotebookNode]] = field(default_factory=dict)
    stop_reason: str | None = None
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Calls the clean room's tests made to the learner's functions: name → [count, seconds].
    calls: dict[str, list[float]] = field(default_factory=dict)

    def count_call(self, name: str, seconds: float) -> None:
        count, total = self.calls.get(name, [0, 0.0])
        self.calls[name] = [count + 1, total + seconds]


@dataclass
class NotebookReport:
    """One notebook's account for the instructor: limits hit, flags for review, notes."""

    notebook: str
    stop_reason: str | None = None
    events: list[str] = field(default_factory=list)
    flags: list[tuple[str | None, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    learner_seconds: float = 0.0
    clean_seconds: float = 0.0
    calls: dict[str, list[float]] = field(default_factory=dict)


MESSAGE_OVERHEAD = 1 << 20
KERNEL_CONNECTION = "kernel.json"


class CappedKernelClient(AsyncKernelClient):
    """A kernel client whose sockets drop, unread, every message over its manager's ``message_cap``.

    libzmq refuses such a message from its size header (ZMQ's MAXMSGSIZE) and drops the
    connection, which reconnects: the grader never receives or parses what it would refuse.
    """

    @default("context")
    def _capped_context(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.parent.message_cap)
        return context


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the learner's bubblewrap sandbox.

    The kernel reads its own copy of the connection file, which names the socket folder by
    its path inside the sandbox (``KERNEL_DIR``): no host path reaches the learner.
    """

    def __init__(self, sandbox: Sandbox, box: LearnerBox, **kwargs: Any) -> None:
        super().__init__(transport="ipc", ip=str(box.ipc / "kernel"), transport_encryption="disabled",
                         connection_file=str(box.folder / KERNEL_CONNECTION), **kwargs)
        self._sandbox, self._box = sandbox, box
        self.client_factory, self.message_cap = CappedKernelClient, sandbox.limits.snapshot_bytes + MESSAGE_OVERHEAD
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (sandboxed)", language="python", interrupt_mode="message", env={}, metadata={})

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        info = json.loads(Path(self.connection_file).read_text())
        inside = self._box.ipc / KERNEL_CONNECTION
        inside.write_text(json.dumps({**info, "ip": str(KERNEL_DIR / "kernel")}))
        self._sandbox.hand_over(inside, self._box.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = [str(KERNEL_DIR / KERNEL_CONNECTION) if arg == self.connection_file else arg
                for arg in super().format_kernel_cmd(extra_arguments)]
        return self._sandbox.learner_command(argv, self._box.uid, self._box.files, self._box.workdir, [],
                                             kernel_dir=self._box.ipc)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        with self._box.log.open("ab") as log:
            kw.update(stdout=log, stderr=log, cwd="/", env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
            await super()._async_launch_kernel(kernel_cmd, **kw)

    def kill_now(self) -> None:
        """SIGKILL the sandbox; its PID namespace, and every process the learner started, go with it."""
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def build_steps(nb: NotebookNode, plan: NotebookPlan) -> list[Step]:
    """The learner kernel's program: the notebook's code cells, with snapshots and visible tests woven in."""
    trusted, after_prefix = plan.by_id(), {cell.id for cell in plan.cells}
    steps = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        spec = trusted.get(_grade_id(cell))
        label = _grade_id(cell) or f"cell {number}"
        if spec and spec.id in after_prefix and not spec.in_learner_kernel:
            steps.append(Step(SNAPSHOT, new_code_cell(""), label, spec))
        if spec and spec.test and spec.in_learner_kernel:
            steps.append(Step(KERNEL_TEST, new_code_cell(spec.source), label, spec))
        elif spec and spec.test:
            steps.append(Step(VISIBLE_TEST, new_code_cell(spec.visible_source), label, spec))
        else:
            steps.append(Step(LEARNER, cell, label, spec))
    return steps


def _content_size(content: dict[str, Any]) -> int:
    parts = [content.get("text", ""), *content.get("traceback", []), *(content.get("data") or {}).values()]
    return sum(len(part) if isinstance(part, str) else len(str(part)) for part in parts)


def _limit_hit(outputs: list[NotebookNode], memory_bytes: int) -> str | None:
    """Which sandbox limit an error output shows was reached, in words.

    The per-cell time limit is not read from outputs (learner code can raise an error of
    any name): ``SandboxedExecute`` knows when it stopped a cell itself.
    """
    for output in outputs:
        if output.get("output_type") != "error":
            continue
        if output.get("ename") == "MemoryError":
            return f"hit the memory limit ({memory_bytes >> 20} MB)"
        if output.get("ename") in ("BlockingIOError", "OSError") and "Resource temporarily unavailable" in \
                output.get("evalue", ""):
            return "hit the process limit (no more processes or threads allowed)"
    return None


def _first_error(outputs: list[NotebookNode]) -> str | None:
    """The first error output as ``Name: message`` on one line, or None."""
    for output in outputs:
        if output.get("output_type") == "error":
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}".strip(": ")
            return (text.splitlines() or ["an error"])[0][:300]
    return None


_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)\s*=(?!=)", re.MULTILINE)


def stored_names(source: str) -> set[str]:
    """Names a learner cell stores at module level; for code that does not parse, its plain ``name = …`` lines.

    A cell with a syntax error stores nothing, which is exactly why its test fails: the
    lines it meant to assign say which names that failure explains.
    """
    try:
        return bound_names(ast.parse(python_source(source)))
    except SyntaxError:
        return set(_ASSIGNED.findall(source))


def _cell_words(step: Step) -> str:
    """How a learner cell is named to its author: by its question when it is an answer cell."""
    if step.cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
        return t("engine.answer_cell", question=question_of(step.label).upper())
    return t("engine.other_cell", label=step.label)


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor, run as sandboxed learner kernel plus clean-room tests."""

    def preprocess(self, nb: NotebookNode, resources: dict, km: Any = None) -> tuple[NotebookNode, dict]:
        session = current_session()
        notebook_id = resources["nbgrader"]["notebook"]
        plan = session.plan(notebook_id)
        report = NotebookReport(notebook_id)
        with session.lock.released():
            box = session.box(resources["nbgrader"]["student"], notebook_id, Path(resources["metadata"]["path"]))
            try:
                run, clean = self._run_learner(nb, plan, box, session)
            except SandboxError:
                session.sandbox_failed = True
                raise
            if clean.traceback:
                with box.log.open("a", encoding="utf-8") as log:
                    log.write(f"\n--- the clean room crashed ---\n{clean.traceback}")
        report.learner_seconds, report.stop_reason, report.events = run.seconds, run.stop_reason, run.events
        report.clean_seconds, report.calls = self._clean_seconds, run.calls
        _merge(nb, plan, run, clean, report)
        session.record(report)
        return nb, resources

    def _run_learner(self, nb: NotebookNode, plan: NotebookPlan, box: LearnerBox,
                     session) -> tuple[LearnerRun, CleanResult]:
        """The learner's kernel runs the notebook while the clean room checks each trusted cell at its point."""
        steps = build_steps(nb, plan)
        self._steps, self._limits, self._output_bytes, self._truncated = steps, session.limits, 0, False
        self._run, self._box, self._plan = LearnerRun(), box, plan
        self._room, self._clean, self._clean_seconds = session.cleanroom(plan.notebook), None, 0.0
        self._ordered: set[str] = set()
        self._call_streams: dict[str, str] = {}
        self._step_started, self._timed_out = time.monotonic(), None
        km = SandboxedKernelManager(session.sandbox, box, config=self.config)
        NotebookClient.__init__(self, new_notebook(cells=[step.cell for step in steps]), km)
        self.shutdown_kernel = "immediate"
        self._current = Step(LEARNER, new_code_cell(""), "kernel start-up")
        started = time.perf_counter()
        run_sync(self._async_run)()
        self._run.seconds = time.perf_counter() - started - self._clean_seconds
        return self._run, self._clean.result

    async def _async_run(self) -> None:
        self._clean = await asyncio.to_thread(self._room.start, self._limits.clean_seconds)
        try:
            await self.async_start_new_kernel()
            await self.async_start_new_kernel_client()
        except Exception as error:
            await asyncio.to_thread(self._clean.end)
            if self.km is not None:
                await self._async_cleanup_kernel()
            raise SandboxError(f"The sandboxed kernel did not start: {error}. Its log: {self._box.log}") from error
        watchdog = asyncio.get_running_loop().call_later(self._limits.wall_seconds, self._stop_wall_clock)
        try:
            await self._run_steps()
        except LearnerExit:
            pass
        except DeadKernelError:
            self._run.stop_reason = self._run.stop_reason or (
                f"the kernel stopped while running {self._current.label} (the code exited, was killed, or crashed)")
        except CellControlSignal:
            self._run.stop_reason = self._run.stop_reason or self._unresponsive()
        except Exception as error:  # noqa: BLE001 - whatever the kernel sends, the learner is graded on what ran
            self._run.stop_reason = self._run.stop_reason or (
                f"the grader could not follow the kernel while running {self._current.label} "
                f"({type(error).__name__}: {error})")
        finally:
            watchdog.cancel()
            await self._check_the_rest()
            self.km.kill_now()
            await self._async_cleanup_kernel()

    def on_cell_executed(self, **kwargs: Any) -> None:
        """nbgrader's error bookkeeping, then stop at once if the code asked the kernel to exit."""
        super().on_cell_executed(**kwargs)
        payloads = kwargs["execute_reply"]["content"].get("payload") or []
        if any(payload.get("source") == "ask_exit" for payload in payloads):
            self._run.stop_reason = f"the code in {self._current.label} made the kernel exit (exit() or quit())"
            raise LearnerExit()

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None) -> dict | None:
        """nbclient's per-cell timeout (interrupt the kernel), remembered so the cell's account is true."""
        self._timed_out, message = timeout, t("engine.timeout_output", limit=timeout)
        self.error_on_timeout = {"ename": "CellTimeoutError", "evalue": message,
                                 "traceback": [f"CellTimeoutError: {message}"]}
        return await super()._async_handle_timeout(timeout, cell)

    def _unresponsive(self) -> str:
        """Why nbclient gave up on the kernel mid-cell, in words that are true.

        nbclient raises when a cell's output does not end within ``iopub_timeout`` s, after
        the per-cell limit's interrupt or after the kernel's reply, and its message names only
        that wait ("timed out after 4 seconds"), not the limit or how long the cell ran.
        """
        seconds = time.monotonic() - self._step_started
        if self._timed_out is not None:
            return t("engine.ignored_interrupt", label=self._current.label, limit=self._timed_out, seconds=seconds)
        return t("engine.unresponsive", label=self._current.label, wait=self.iopub_timeout, seconds=seconds)

    def _stop_wall_clock(self) -> None:
        self._run.stop_reason = (f"the notebook ran past its whole-notebook time limit "
                                 f"({self._limits.wall_seconds:g} s) during {self._current.label} and was stopped")
        self.km.kill_now()

    async def _run_steps(self) -> None:
        for index, step in enumerate(list(self._steps)):
            self._current = step
            if step.kind == SNAPSHOT and step.trusted.needs:
                step.cell.source = snapshot.snippet(step.trusted.needs, self._limits.snapshot_items,
                                                    self._limits.snapshot_bytes)
            if step.kind != SNAPSHOT or step.trusted.needs:
                self._step_started, self._timed_out = time.monotonic(), None
                await self.async_execute_cell(step.cell, index, store_history=step.kind != SNAPSHOT)
                self._after_step(step, time.monotonic() - self._step_started)
            if step.kind == SNAPSHOT:
                self._run.reached.add(step.trusted.id)
                await self._check_clean(step.trusted.id, None)

    async def _check_clean(self, cell_id: str, not_run: str | None) -> None:
        """Have the clean room run one trusted cell now, answering the calls its test makes to learner functions."""
        started = time.perf_counter()
        self._ordered.add(cell_id)
        self._clean.order(cell_id, self._run.snapshots.get(cell_id), not_run, self._run.unstored.get(cell_id, {}))
        while (call := await asyncio.to_thread(self._clean.next_call)) is not None:
            calling = time.perf_counter()
            self._clean.reply(*await self._call_learner(call, cell_id))
            started += time.perf_counter() - calling
        self._clean_seconds += time.perf_counter() - started

    async def _check_the_rest(self) -> None:
        """Cells the learner's kernel never reached still get a clean result: not run, and why."""
        for cell in self._plan.clean_cells:
            if cell.id not in self._ordered:
                reason = f"this test did not run: {self._run.stop_reason}" if self._run.stop_reason else None
                await self._check_clean(cell.id, reason)
        await asyncio.to_thread(self._clean.end)

    async def _call_learner(self, call: dict, cell_id: str) -> tuple[dict, str, str]:
        """Run one call to a learner's function in the learner's kernel: (reply, stdout, stderr) for the clean room."""
        name = str(call.get("name", "function"))
        if self._run.stop_reason:
            return {"error": f"could not run: the learner's kernel had stopped ({self._run.stop_reason})"}, "", ""
        source = snapshot.call_snippet(call["ref"], call["args"], self._limits.snapshot_items,
                                       self._limits.snapshot_bytes)
        step, previous = Step(CALL, new_code_cell(source), f"{name}(...) called by {cell_id}"), self._current
        self._steps.append(step)
        self.nb.cells.append(step.cell)
        self._current, self._call_streams = step, {}
        self._step_started, self._timed_out = time.monotonic(), None
        try:
            await self.async_execute_cell(step.cell, len(self._steps) - 1, store_history=False)
        except Exception as error:  # noqa: BLE001 - the clean room waits for an answer, whatever happened
            self.km.kill_now()
            self._run.stop_reason = self._run.stop_reason or _why_stopped(error, step.label, self._unresponsive)
            return {"error": f"could not finish: {self._run.stop_reason}"}, "", ""
        finally:
            self._current = previous
            self._run.count_call(name, time.monotonic() - self._step_started)
        return self._call_reply(step, name), self._call_streams.get("stdout", ""), self._call_streams.get("stderr", "")

    def _call_reply(self, step: Step, name: str) -> dict:
        if self._timed_out is not None:
            seconds = time.monotonic() - self._step_started
            stopped = t("engine.stopped_at_limit", limit=self._timed_out, seconds=seconds)
            self._run.events.append(f"{step.label} {stopped}")
            return {"error": t("engine.call_timeout", limit=self._timed_out)}
        texts = [out.data[snapshot.MIME] for out in step.cell.outputs
                 if out.get("output_type") == "display_data" and snapshot.MIME in out.get("data", {})]
        try:
            return json.loads(texts[-1]) if texts else {"error": t("engine.call_no_result", error=_first_error(
                step.cell.outputs) or "no error shown")}
        except ValueError:
            return {"refused": "sent back a result that is not readable data"}

    def _after_step(self, step: Step, seconds: float) -> None:
        if step.kind == SNAPSHOT:
            self._run.reached.add(step.trusted.id)
            failed = {name: self._run.failed_names[name] for name in step.trusted.needs
                      if name in self._run.failed_names}
            if failed:
                self._run.unstored[step.trusted.id] = failed
            texts = [out.data[snapshot.MIME] for out in step.cell.outputs
                     if out.get("output_type") == "display_data" and snapshot.MIME in out.get("data", {})]
            if texts and len(texts[-1]) <= self._limits.snapshot_bytes:
                self._run.snapshots[step.trusted.id] = texts[-1]
            elif texts:
                self._run.events.append(f"the answers read by {step.label} are over "
                                        f"{self._limits.snapshot_bytes >> 20} MB and were not checked")
            else:
                errors = [f"{out.ename}: {out.evalue}" for out in step.cell.outputs if out.output_type == "error"]
                self._run.events.append(f"the answers read by {step.label} could not be taken from the kernel"
                                        + (f" ({errors[0]})" if errors else ""))
            return
        if step.kind == VISIBLE_TEST:
            self._run.visible_scores[step.trusted.id] = _score(step.cell, step.trusted)
        if step.kind == KERNEL_TEST:
            self._run.kernel_outputs[step.trusted.id] = step.cell.outputs
        limit = t("engine.stopped_at_limit", limit=self._timed_out, seconds=seconds) if self._timed_out is not None \
            else _limit_hit(step.cell.outputs, self._limits.memory_bytes)
        if limit:
            self._run.events.append(f"{step.label} {limit}")
        if step.kind == LEARNER:
            self._account_names(step, limit)

    def _account_names(self, step: Step, limit: str | None) -> None:
        """Remember which names a failed learner cell left unstored, and why; a cell that ran clears its names."""
        error = _first_error(step.cell.outputs)
        failure = limit or (error and t("engine.raised", error=error))
        for name in stored_names(step.cell.source):
            if failure:
                self._run.failed_names[name] = t("engine.never_stored", cell=_cell_words(step), failure=failure,
                                                 name=name)
            else:
                self._run.failed_names.pop(name, None)

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> NotebookNode | None:
        """Keep learner output within the notebook's output budget; snapshots have their own cap.

        A call's printed output is kept apart (up to ``CALL_OUTPUT_BYTES`` per stream) for the
        test that made it, as plain nbgrader would show it in the test cell; its other displays are dropped.
        """
        kind = self._steps[cell_index].kind
        if kind == CALL and msg.get("msg_type") == "stream":
            content = msg.get("content", {})
            stream = content.get("name", "stdout")
            self._call_streams[stream] = (self._call_streams.get(stream, "") + content.get("text", ""))[
                :CALL_OUTPUT_BYTES]
            return None
        if kind == SNAPSHOT or kind == CALL and (msg.get("msg_type") == "error" or snapshot.MIME in
                                                 msg.get("content", {}).get("data", {})):
            return super().output(outs, msg, display_id, cell_index)
        if kind == CALL:
            return None
        self._output_bytes += _content_size(msg.get("content", {}))
        if self._output_bytes <= self._limits.output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self._truncated:
            self._truncated = True
            self._run.events.append(f"output over {self._limits.output_bytes >> 20} MB from "
                                    f"{self._steps[cell_index].label} on was dropped")
            outs.append(new_output("stream", name="stdout",
                                   text=f"[output dropped by the grader: over {self._limits.output_bytes >> 20} MB]\n"))
        return None


def _why_stopped(error: Exception, label: str, unresponsive) -> str:
    """Why a call to a learner's function ended the learner's kernel, in words."""
    if isinstance(error, DeadKernelError):
        return f"the kernel stopped while running {label} (the code exited, was killed, or crashed)"
    if isinstance(error, CellControlSignal):
        return unresponsive()
    return f"the grader could not follow the kernel while running {label} ({type(error).__name__}: {error})"


def _score(cell: NotebookNode, trusted: TrustedCell) -> float | None:
    """What nbgrader would award a test cell with these outputs."""
    graded = from_dict({"cell_type": "code", "source": trusted.source, "outputs": cell.get("outputs", []),
                        "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                  "grade_id": trusted.id, "points": trusted.points}}})
    return determine_grade(graded)[0]


def _merge(nb: NotebookNode, plan: NotebookPlan, run: LearnerRun, clean: CleanResult,
           report: NotebookReport) -> None:
    """Put the clean room's outputs into the test cells, and flag what the two kernels disagree on."""
    tests = {cell.id: cell for cell in plan.cells if cell.test}
    for cell in nb.cells:
        trusted = tests.get(_grade_id(cell))
        if trusted is None:
            continue
        if trusted.in_learner_kernel:
            _take_kernel_outputs(cell, trusted, run)
            continue
        result = clean.results.get(trusted.id)
        if result is None:
            reason = t("engine.no_result", ending=clean.ending)
            cell.outputs = [new_output("error", ename="GraderError", evalue=reason, traceback=[f"GraderError: {reason}"])]
            report.flags.append((trusted.id, reason))
            continue
        cell.outputs = [from_dict(output) for output in result["outputs"]]
        cell.execution_count = result.get("execution_count")
        report.notes += [note for note in result.get("notes", []) if note not in report.notes]
        if result.get("failure"):
            report.flags.append((trusted.id, f"{trusted.id}: {result['failure']}"))
        _compare(trusted, run, _score(cell, trusted), report)
    if clean.ending != "ok":
        where = " (its traceback is at the end of this learner's log)" if clean.traceback else ""
        report.events.append(f"the clean re-run of the tests ended: {clean.ending}{where}")


def _take_kernel_outputs(cell: NotebookNode, trusted: TrustedCell, run: LearnerRun) -> None:
    """A declared cell's score is its run in the learner's kernel; a cell that never ran there scores nothing."""
    outputs = run.kernel_outputs.get(trusted.id)
    if outputs is None:
        reason = f"this test did not run: {run.stop_reason or 'the learner kernel never reached it'}"
        outputs = [new_output("error", ename="GraderError", evalue=reason, traceback=[f"GraderError: {reason}"])]
    cell.outputs = outputs


def _compare(trusted: TrustedCell, run: LearnerRun, honest: float | None, report: NotebookReport) -> None:
    """A visible test that scored more in the learner's kernel than in the clean room is a red flag."""
    claimed = run.visible_scores.get(trusted.id)
    if trusted.hidden or claimed is None or honest is None or claimed <= honest:
        return
    report.flags.append((trusted.id, f"test {trusted.id} passed in the learner's own kernel but failed when run "
                                     "cleanly: the notebook changes how tests run (redefined helpers or data, "
                                     "kernel hooks, patched built-ins). Scored as failed; review the notebook."))
