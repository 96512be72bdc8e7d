"""Is this notebook still the assignment it was released as? One check for learners and graders.

nbgrader grades the cells it finds. A test cell that was deleted, turned into markdown or
given other points, an answer cell that disappeared, a locked cell that was edited: each
changes what gets graded. This module compares a notebook's nbgrader cells with the
assignment's *manifest* — its graded, answer and locked cells as released, in order — and
names every deviation in words the learner can act on.

The grading engine (``grader.engine``) runs the same comparison on every submission and
reports it to the instructor, so learner and instructor see the same diagnosis.

- In the assignment notebook: ``from cxacademy.integrity import check; check()``
- In a terminal: ``python -m cxacademy.integrity path/to/assignment.ipynb``

Save the notebook first: the check reads the file on disk.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxacademy.text import t

MANIFEST_KEY = "cx_integrity"

INFO, WARNING, TAMPER, REJECT = "info", "warning", "tamper", "reject"
_SYMBOLS = {INFO: "ℹ️ ", WARNING: "⚠️ ", TAMPER: "❌", REJECT: "⛔"}
_FLAGS = ("grade", "solution", "locked", "task")


@dataclass(frozen=True)
class Finding:
    """One way a notebook differs from its manifest.

    ``severity`` says what grading does about it: ``info`` and ``warning`` are reported,
    ``tamper`` is undone from the source and the submission is flagged for review,
    ``reject`` means the notebook is not graded at all.
    """

    code: str
    cell: str | None
    severity: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "cell": self.cell, "severity": self.severity, "message": self.message}


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _entry(cell: dict) -> dict[str, Any]:
    meta = _nbgrader(cell)
    return {
        "grade_id": meta["grade_id"],
        "cell_type": cell.get("cell_type"),
        **{flag: bool(meta.get(flag, False)) for flag in _FLAGS},
        "points": float(meta["points"]) if meta.get("grade") else None,
        "checksum": meta.get("checksum"),
    }


def manifest(released: dict, assignment: str, notebook: str) -> dict[str, Any]:
    """The manifest of a released notebook: its nbgrader cells as learners receive them."""
    cells = [_entry(cell) for cell in released.get("cells", []) if _nbgrader(cell).get("grade_id")]
    return {"assignment": assignment, "notebook": notebook, "cells": cells}


def _checksum(cell: dict, entry: dict[str, Any]) -> str:
    """nbgrader's checksum of the cell's *source*, with type and flags taken from the manifest.

    Taking everything but the source from the manifest makes an edit show up as an edit,
    and a changed flag or point value as exactly that, not as both.
    """
    from nbformat import from_dict
    from nbgrader.utils import compute_checksum

    meta = {flag: entry[flag] for flag in _FLAGS} | {"grade_id": entry["grade_id"]}
    if entry["grade"]:
        meta["points"] = entry["points"]
    normal = {"cell_type": entry["cell_type"], "source": _source(cell), "metadata": {"nbgrader": meta}}
    return compute_checksum(from_dict(normal))


def _is_test(entry: dict[str, Any]) -> bool:
    return entry["grade"] and not entry["solution"] and entry["cell_type"] == "code"


def compare(reference: dict[str, Any], notebook: dict) -> list[Finding]:
    """Every difference between ``notebook`` and the manifest ``reference``, released cells in order."""
    cells = notebook.get("cells", [])
    if not cells:
        return [Finding("empty", None, REJECT, t("integrity.no_cells"))]
    foreign = _foreign(reference, notebook)
    if foreign:
        return [foreign]
    expected = {entry["grade_id"]: entry for entry in reference["cells"]}
    found = [cell for cell in cells if _nbgrader(cell).get("grade_id")]
    counts = Counter(_nbgrader(cell)["grade_id"] for cell in found)
    findings = [_unknown(grade_id) for grade_id in counts if grade_id not in expected]
    findings += [_duplicate(grade_id, count) for grade_id, count in counts.items()
                 if count > 1 and grade_id in expected]
    first: dict[str, dict] = {}
    for cell in found:
        first.setdefault(_nbgrader(cell)["grade_id"], cell)
    for grade_id, entry in expected.items():
        if grade_id in first:
            findings += _cell_findings(entry, first[grade_id])
        else:
            findings.append(_missing(entry))
    order = [grade_id for grade_id in first if grade_id in expected]
    if order != [grade_id for grade_id in expected if grade_id in first]:
        findings.append(Finding("moved", None, WARNING, t("integrity.out_of_order")))
    return findings


def _foreign(reference: dict[str, Any], notebook: dict) -> Finding | None:
    """A notebook of another assignment, or one with none of this assignment's cells left."""
    stamped = notebook.get("metadata", {}).get(MANIFEST_KEY, {})
    firsts: dict[str, dict] = {}
    for cell in notebook.get("cells", []):
        firsts.setdefault(_nbgrader(cell).get("grade_id"), cell)
    firsts.pop(None, None)
    known = {entry["grade_id"]: entry for entry in reference["cells"]}
    locked = [(entry, firsts[grade_id]) for grade_id, entry in known.items()
              if grade_id in firsts and entry["locked"] and entry["checksum"]]
    none_match = len(locked) >= 2 and all(_checksum(cell, entry) != entry["checksum"] for entry, cell in locked)
    if stamped.get("assignment") not in (None, reference["assignment"]) or \
            (firsts and not set(firsts) & set(known)) or none_match:
        name = stamped.get("assignment") or t("integrity.another_assignment")
        return Finding("foreign", None, REJECT,
                       t("integrity.foreign", assignment=reference["assignment"], name=name))
    if not firsts and reference["cells"]:
        return Finding("structure_lost", None, REJECT, t("integrity.structure_lost"))
    return None


def _unknown(grade_id: str) -> Finding:
    return Finding("unknown_cell", grade_id, WARNING, t("integrity.unknown_cell", grade_id=grade_id))


def _duplicate(grade_id: str, count: int) -> Finding:
    return Finding("duplicate", grade_id, WARNING, t("integrity.duplicate", grade_id=grade_id, count=count))


def _missing(entry: dict[str, Any]) -> Finding:
    grade_id = entry["grade_id"]
    if _is_test(entry) or (entry["grade"] and entry["solution"]):
        return Finding("missing_test" if _is_test(entry) else "missing_graded_answer", grade_id, TAMPER,
                       t("integrity.deleted_graded", grade_id=grade_id))
    if entry["solution"]:
        return Finding("missing_answer", grade_id, TAMPER, t("integrity.deleted_answer", grade_id=grade_id))
    return Finding("missing_locked", grade_id, WARNING, t("integrity.deleted_locked", grade_id=grade_id))


def _cell_findings(entry: dict[str, Any], cell: dict) -> list[Finding]:
    grade_id, meta = entry["grade_id"], _nbgrader(cell)
    if cell.get("cell_type") != entry["cell_type"]:
        return [Finding("retyped", grade_id, TAMPER, t("integrity.retyped", grade_id=grade_id,
                                                       expected=entry["cell_type"], actual=cell.get("cell_type")))]
    changed = [flag for flag in _FLAGS if bool(meta.get(flag, False)) != entry[flag]]
    findings = []
    if changed:
        findings.append(Finding("metadata", grade_id, TAMPER,
                                t("integrity.settings_changed", grade_id=grade_id, flags=", ".join(changed))))
    if entry["grade"] and meta.get("grade") and _points(meta) != entry["points"]:
        findings.append(Finding("points", grade_id, TAMPER, t("integrity.points_changed", grade_id=grade_id,
                                                              claimed=meta.get("points"), points=entry["points"])))
    if entry["checksum"]:
        findings += _content_findings(entry, cell)
    return findings


def _points(meta: dict) -> float | None:
    try:
        return float(meta.get("points"))
    except (TypeError, ValueError):
        return None


def _content_findings(entry: dict[str, Any], cell: dict) -> list[Finding]:
    grade_id = entry["grade_id"]
    unchanged = _checksum(cell, entry) == entry["checksum"]
    if entry["locked"] and not unchanged:
        return [Finding("edited_locked", grade_id, TAMPER, t("integrity.edited_locked", grade_id=grade_id))]
    if entry["solution"] and unchanged:
        return [Finding("unanswered", grade_id, INFO, t("integrity.unanswered", grade_id=grade_id))]
    return []


def reference_for(notebook: dict) -> dict[str, Any] | None:
    """The manifest stamped into a released notebook's metadata, if it has one."""
    stamped = notebook.get("metadata", {}).get(MANIFEST_KEY)
    return stamped if isinstance(stamped, dict) and isinstance(stamped.get("cells"), list) else None


def _notebook_path() -> Path | None:
    """The notebook this kernel belongs to, as JupyterLab tells the kernel (``__session__``)."""
    session = getattr(sys.modules.get("__main__"), "__session__", None) or os.environ.get("JPY_SESSION_NAME")
    return Path(session) if session and session.endswith(".ipynb") else None


def findings_for(path: str | Path) -> list[Finding]:
    """The findings for the notebook saved at ``path`` (against the manifest it was released with)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    reference = reference_for(notebook)
    if reference is None:
        return [Finding("no_manifest", None, INFO, t("integrity.no_manifest"))] + _self_consistency(notebook)
    return compare(reference, notebook)


def _self_consistency(notebook: dict) -> list[Finding]:
    """Without a manifest, check each nbgrader cell against the checksum it carries itself."""
    cells = [cell for cell in notebook.get("cells", []) if _nbgrader(cell).get("grade_id")]
    reference = {"assignment": None, "notebook": None, "cells": [_entry(cell) for cell in cells]}
    return [finding for finding in compare(reference, notebook) if finding.code in ("edited_locked", "duplicate")]


def report(findings: list[Finding]) -> str:
    """The findings as lines a learner reads, most serious first."""
    problems = [f for f in findings if f.severity != INFO]
    order = {REJECT: 0, TAMPER: 1, WARNING: 2, INFO: 3}
    lines = [f"{_SYMBOLS[f.severity]} {f.message}" for f in sorted(findings, key=lambda f: order[f.severity])]
    if not problems:
        lines.insert(0, t("integrity.structure_ok"))
    return "\n".join(lines)


def check(path: str | Path | None = None) -> list[Finding]:
    """Print whether this notebook is still gradable as released; return the findings.

    Run it in the assignment notebook after saving; it checks structure only. Use
    *Validate* in the assignment list to run the visible tests as well.
    """
    target = Path(path) if path else _notebook_path()
    if target is None:
        raise ValueError(t("integrity.unknown_notebook"))
    findings = findings_for(target)
    print(report(findings))
    return findings


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(t("integrity.usage"))
    result = check(sys.argv[1])
    sys.exit(1 if any(f.severity in (TAMPER, REJECT) for f in result) else 0)
