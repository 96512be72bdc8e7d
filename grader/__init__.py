"""Instructor tooling around nbgrader for CX Director Academy (the ``cx-grader`` command)."""
