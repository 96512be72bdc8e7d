"""nbgrader's Execute step, replaced: learner code in a sandboxed kernel, tests in the clean room.

nbgrader's Autograde runs its usual pipeline — restore cells from the gradebook, execute,
score, save — with this preprocessor in place of ``Execute``. For one notebook it:

1. starts a kernel inside the learner's sandbox (``grader.engine.sandbox``), talking to it
   over IPC sockets in a directory bound into the sandbox (the sandbox has no network);
2. runs the learner's cells in order; at each trusted cell it first takes a *snapshot* of
   the names that cell reads (the answers, as data: ``grader.engine.snapshot``), and runs
   the released (visible) part of each test there too, to see what the learner's own
   kernel would have reported; hidden tests never enter the learner's kernel;
3. stops the kernel on the whole-notebook wall clock, a per-cell timeout, or when learner
   code exits or kills it, and grades what ran;
4. has the clean room run every trusted cell with those snapshots and writes its outputs
   into the test cells, so nbgrader's SaveAutoGrades scores honest results only;
5. flags the notebook for review when a test passed in the learner's kernel but failed in
   the clean room: something in the notebook changes how tests run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbformat import NotebookNode, from_dict
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import determine_grade

from grader.engine import snapshot
from grader.engine.cleanrun import CleanResult
from grader.engine.plan import NotebookPlan, TrustedCell
from grader.engine.sandbox import Sandbox

SNAPSHOT, LEARNER, VISIBLE_TEST = "snapshot", "learner cell", "visible test"


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
    """What the learner's kernel did: snapshots, its own test verdicts, and why it stopped early."""

    snapshots: dict[str, str] = field(default_factory=dict)
    visible_scores: dict[str, float | None] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)
    stop_reason: str | None = None
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0


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


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the learner's bubblewrap sandbox."""

    def __init__(self, sandbox: Sandbox, box: LearnerBox, **kwargs: Any) -> None:
        super().__init__(transport="ipc", ip=str(box.ipc / "kernel"), transport_encryption="disabled",
                         connection_file=str(box.ipc / "kernel.json"), **kwargs)
        self._sandbox, self._box = sandbox, box
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (sandboxed)", language="python", interrupt_mode="message", env={}, metadata={})

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        self._sandbox.hand_over(Path(self.connection_file), self._box.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = super().format_kernel_cmd(extra_arguments)
        return self._sandbox.learner_command(argv, self._box.uid, self._box.files, self._box.workdir, [self._box.ipc])

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
        if spec and spec.id in after_prefix:
            steps.append(Step(SNAPSHOT, new_code_cell(""), label, spec))
        if spec and spec.test:
            steps.append(Step(VISIBLE_TEST, new_code_cell(spec.visible_source), label, spec))
        else:
            steps.append(Step(LEARNER, cell, label, spec))
    return steps


def _content_size(content: dict[str, Any]) -> int:
    parts = [content.get("text", ""), *content.get("traceback", []), *(content.get("data") or {}).values()]
    return sum(len(part) if isinstance(part, str) else len(str(part)) for part in parts)


def _limit_hit(outputs: list[NotebookNode], memory_bytes: int) -> str | None:
    """Which sandbox limit an error output shows was reached, in words."""
    for output in outputs:
        if output.get("output_type") != "error":
            continue
        if output.get("ename") == "MemoryError":
            return f"hit the memory limit ({memory_bytes >> 20} MB)"
        if output.get("ename") in ("BlockingIOError", "OSError") and "Resource temporarily unavailable" in \
                output.get("evalue", ""):
            return "hit the process limit (no more processes or threads allowed)"
        if output.get("ename") == "CellTimeoutError":
            return "ran past the per-cell time limit and was interrupted"
    return None


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
                run = self._run_learner(nb, plan, box, session)
            except SandboxError:
                session.sandbox_failed = True
                raise
            started = time.perf_counter()
            clean = session.cleanroom(notebook_id).grade(run.snapshots, _not_run(plan, run),
                                                         session.limits.clean_seconds)
            report.clean_seconds = time.perf_counter() - started
        report.learner_seconds, report.stop_reason, report.events = run.seconds, run.stop_reason, run.events
        _merge(nb, plan, run, clean, report)
        session.record(report)
        return nb, resources

    def _run_learner(self, nb: NotebookNode, plan: NotebookPlan, box: LearnerBox, session) -> LearnerRun:
        steps = build_steps(nb, plan)
        self._steps, self._limits, self._output_bytes, self._truncated = steps, session.limits, 0, False
        self._run, self._box = LearnerRun(), box
        km = SandboxedKernelManager(session.sandbox, box, config=self.config)
        NotebookClient.__init__(self, new_notebook(cells=[step.cell for step in steps]), km)
        self.shutdown_kernel = "immediate"
        self._current = Step(LEARNER, new_code_cell(""), "kernel start-up")
        started = time.perf_counter()
        run_sync(self._async_run)()
        self._run.seconds = time.perf_counter() - started
        return self._run

    async def _async_run(self) -> None:
        try:
            await self.async_start_new_kernel()
            await self.async_start_new_kernel_client()
        except Exception as error:
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
        except CellControlSignal as signal_:
            self._run.stop_reason = self._run.stop_reason or (
                f"the kernel stopped responding while running {self._current.label} "
                f"({str(signal_).splitlines()[0]})")
        except Exception as error:  # noqa: BLE001 - whatever the kernel sends, the learner is graded on what ran
            self._run.stop_reason = self._run.stop_reason or (
                f"the grader could not follow the kernel while running {self._current.label} "
                f"({type(error).__name__}: {error})")
        finally:
            watchdog.cancel()
            self.km.kill_now()
            await self._async_cleanup_kernel()

    def on_cell_executed(self, **kwargs: Any) -> None:
        """nbgrader's error bookkeeping, then stop at once if the code asked the kernel to exit."""
        super().on_cell_executed(**kwargs)
        payloads = kwargs["execute_reply"]["content"].get("payload") or []
        if any(payload.get("source") == "ask_exit" for payload in payloads):
            self._run.stop_reason = f"the code in {self._current.label} made the kernel exit (exit() or quit())"
            raise LearnerExit()

    def _stop_wall_clock(self) -> None:
        self._run.stop_reason = (f"the notebook ran past its whole-notebook time limit "
                                 f"({self._limits.wall_seconds:g} s) during {self._current.label} and was stopped")
        self.km.kill_now()

    async def _run_steps(self) -> None:
        for index, step in enumerate(self._steps):
            self._current = step
            if step.kind == SNAPSHOT and not step.trusted.needs:
                self._run.reached.add(step.trusted.id)
                continue
            if step.kind == SNAPSHOT:
                step.cell.source = snapshot.snippet(step.trusted.needs, self._limits.snapshot_items)
            await self.async_execute_cell(step.cell, index, store_history=step.kind != SNAPSHOT)
            self._after_step(step)

    def _after_step(self, step: Step) -> None:
        if step.kind == SNAPSHOT:
            self._run.reached.add(step.trusted.id)
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
        limit = _limit_hit(step.cell.outputs, self._limits.memory_bytes)
        if limit:
            self._run.events.append(f"{step.label} {limit}")

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> NotebookNode | None:
        """Keep learner output within the notebook's output budget; snapshots have their own cap."""
        if self._steps[cell_index].kind == SNAPSHOT:
            return super().output(outs, msg, display_id, cell_index)
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


def _score(cell: NotebookNode, trusted: TrustedCell) -> float | None:
    """What nbgrader would award a test cell with these outputs."""
    graded = from_dict({"cell_type": "code", "source": trusted.source, "outputs": cell.get("outputs", []),
                        "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                  "grade_id": trusted.id, "points": trusted.points}}})
    return determine_grade(graded)[0]


def _not_run(plan: NotebookPlan, run: LearnerRun) -> dict[str, str]:
    """Trusted cells the learner's kernel never reached because it stopped early, with the reason."""
    if not run.stop_reason:
        return {}
    reason = f"this test did not run: {run.stop_reason}"
    return {cell.id: reason for cell in plan.cells if cell.id not in run.reached}


def _merge(nb: NotebookNode, plan: NotebookPlan, run: LearnerRun, clean: CleanResult,
           report: NotebookReport) -> None:
    """Put the clean room's outputs into the test cells, and flag what the two kernels disagree on."""
    tests = {cell.id: cell for cell in plan.cells if cell.test}
    for cell in nb.cells:
        trusted = tests.get(_grade_id(cell))
        if trusted is None:
            continue
        result = clean.results.get(trusted.id)
        if result is None:
            reason = f"the clean re-run of the tests ended early ({clean.ending}); this test has no result"
            cell.outputs = [new_output("error", ename="GraderError", evalue=reason, traceback=[f"GraderError: {reason}"])]
            report.flags.append((trusted.id, reason))
            continue
        cell.outputs = [from_dict(output) for output in result["outputs"]]
        cell.execution_count = result.get("execution_count")
        report.notes += [note for note in result.get("notes", []) if note not in report.notes]
        _compare(trusted, run, _score(cell, trusted), report)
    if clean.ending != "ok":
        report.events.append(f"the clean re-run of the tests ended: {clean.ending}")


def _compare(trusted: TrustedCell, run: LearnerRun, honest: float | None, report: NotebookReport) -> None:
    """A visible test that scored more in the learner's kernel than in the clean room is a red flag."""
    claimed = run.visible_scores.get(trusted.id)
    if trusted.hidden or claimed is None or honest is None or claimed <= honest:
        return
    report.flags.append((trusted.id, f"test {trusted.id} passed in the learner's own kernel but failed when run "
                                     "cleanly: the notebook changes how tests run (redefined helpers or data, "
                                     "kernel hooks, patched built-ins). Scored as failed; review the notebook."))
