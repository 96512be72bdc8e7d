"""What happened to one learner's submission, for the instructor, the CLI and the grades table.

Reasons, flags, events and notes quote what the learner's code did (exception messages,
value types, output), so every text written from here goes through ``grader.safe_text``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.course import StepResult
from grader.safe_text import one_line, quoted_block

GRADED, NOT_GRADED, FAILED = "graded", "not graded", "failed"


@dataclass
class Outcome:
    """One learner's grading outcome.

    ``status`` is ``graded`` (scores are in the gradebook), ``not graded`` (the submission
    cannot be graded as it is: ``reasons`` say why and what to do) or ``failed`` (grading
    itself went wrong: grade this learner again). ``flags`` are reasons to review a graded
    submission; ``events`` are limits hit and early stops; ``findings`` the structural check.
    """

    learner: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Calls the clean room's tests made to the learner's functions: "notebook: name" → count and seconds.
    calls: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.status == GRADED

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def message(self) -> str:
        """One line for a table or a grades export: the status and anything a person should act on."""
        if self.status != GRADED:
            return one_line(f"{self.status}: " + "; ".join(self.reasons))
        parts = ["autograded"]
        if self.flags:
            parts.append("flagged for review: " + "; ".join(self.flags))
        if self.events:
            parts.append("; ".join(self.events))
        return one_line("; ".join(parts))

    def step_result(self) -> StepResult:
        """The same outcome as ``Course.autograde`` reports it, for ``grader.grades.save_autograde``."""
        return StepResult(self.learner, self.ok, self.message(), self.log)

    def write(self, folder: Path) -> Path:
        """Write ``<learner>.log`` (readable) and ``<learner>.json`` (structured) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        record = {key: value for key, value in asdict(self).items() if key != "log"}
        (folder / f"{self.learner}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
        path = folder / f"{self.learner}.log"
        path.write_text(self.readable() + "\n\n--- nbgrader ---\n" + quoted_block(self.log), encoding="utf-8")
        return path

    def readable(self) -> str:
        """The outcome as an instructor reads it at the top of the learner's log: one line per item."""
        score = "–" if self.score is None else f"{self.score:g} / {self.max_score:g} autograded points"
        lines = [f"learner: {one_line(self.learner)}", f"status:  {self.status} ({score})",
                 f"time:    {self.seconds:.1f} s"]
        sections = [("why", self.reasons), ("flagged for review", self.flags), ("limits and stops", self.events),
                    ("structure", [f"[{f['severity']}] {f['message']}" for f in self.findings]),
                    ("notes", self.notes),
                    ("calls to the learner's functions (run in the learner's kernel)",
                     [f"{name}: {call['count']:g} calls, {call['seconds']:.2f} s"
                      for name, call in self.calls.items()])]
        for title, items in sections:
            if items:
                lines += ["", f"{title}:"] + [f"  - {one_line(item)}" for item in items]
        return "\n".join(lines)
