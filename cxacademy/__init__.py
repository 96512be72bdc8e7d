"""CX Director Academy: what lessons, assignments, tests and grading share.

- ``cxacademy.data``     — the shipped real datasets: one loader, schemas, catalogue.
- ``cxacademy.metrics``  — every CX formula the course uses, defined once.
- ``cxacademy.checks``   — self-checks for lessons and assertions for nbgrader tests,
  with messages that teach.
- ``cxacademy.widgets``  — small interactive explorations for lessons.
- ``cxacademy.text``     — every learner-facing label, kept in one place per language.
"""

__version__ = "0.1.0"
