"""Errors a learner can cause, shown as the sentence that explains them and nothing else.

IPython asks an exception for ``_render_traceback_`` before it formats a stack trace
(in a notebook cell, in nbgrader's Validate and in the feedback alike). The course's own
errors answer with their message, so a learner who passes percentages where shares were
expected reads what to change, not forty lines of ``cxacademy`` internals.
"""

from __future__ import annotations


class Teaching(Exception):
    """Base of the course's learner-facing errors: shown as their message only."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines() or [type(self).__name__]


class CheckFailed(Teaching, AssertionError):
    """A failed check in a test cell; an AssertionError, so nbgrader scores the cell as failed."""


class InputError(Teaching, ValueError):
    """A course helper was given something it cannot use (a percentage where a share belongs, say)."""
