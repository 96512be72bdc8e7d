"""nbgrader as a learner's JupyterLab sees it on one machine (`make lab`).

The learner works in ``workspace/`` at the repository root, JupyterLab's root folder: the
lessons (``course/``) are linked there, and the Assignment List fetches released assignments
into it (nbgrader's default ``Exchange.assignment_dir``: the folder the server starts in) from the course's
exchange, where ``cx-grader release`` put them. Submissions go back to the same
exchange, where the instructor collects them. Course id and exchange come from the
course's own config, so the two sides cannot drift apart.
"""

from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

REPOSITORY = Path(__file__).resolve().parents[3]

load_subconfig(str(REPOSITORY / "assignments" / "nbgrader_config.py"))  # noqa: F821
