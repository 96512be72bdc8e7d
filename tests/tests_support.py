"""Helpers the test modules share (kept out of conftest so they can be imported plainly)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Folders whose notebooks are course content: committed clean, run top to bottom in CI.
CONTENT_FOLDERS = ("course", "assignments/source")


def committed_notebooks() -> list[str]:
    """Course and assignment-source notebooks, as repo-relative POSIX paths."""
    found = []
    for folder in CONTENT_FOLDERS:
        for path in sorted((REPO / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                found.append(path.relative_to(REPO).as_posix())
    return found


def assignments() -> list[str]:
    """Every source assignment (a folder under assignments/source)."""
    return sorted(p.name for p in (REPO / "assignments" / "source").iterdir() if p.is_dir())
