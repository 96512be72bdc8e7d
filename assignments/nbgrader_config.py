"""nbgrader configuration for the CX Director Academy course directory.

This folder is nbgrader's course root: ``source/`` is committed; ``release/``,
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` are generated.
The instructor CLI (``cx-grader``) passes the gradebook URL on the command line when
one is configured (``CXA_DB_URL``); otherwise nbgrader's SQLite default applies.
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "cx-director-academy"
c.CourseDirectory.root = __file__.rsplit("/", 1)[0]

# Where release/fetch/submit meet on a single machine (`make lab` creates it); a
# JupyterHub academy points this at a shared, world-writable folder instead.
c.Exchange.root = c.CourseDirectory.root + "/exchange"

# Test cells restored from the gradebook when a learner deleted or edited them.
c.OverwriteCells.add_missing_cells = True

# A learner's cell may not run longer than this (seconds); a loop that never ends
# costs the grader this much and no more.
c.ExecutePreprocessor.timeout = 20
c.Execute.timeout = 20

# Feedback shows learners why a check failed, never the source of hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grader.engine.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Released notebooks start clean.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
