"""nbgrader for an instructor's pod: the formgrader opens the instructor's course directory.

Loaded before the learner config (values.yaml puts this folder first in
``JUPYTER_CONFIG_PATH``), so what is set here wins. The course directory is the copy on the
instructor's home volume (``CXA_COURSE_DIR``, made by poststart.sh), with its gradebook; its
``exchange`` is a link to the shared volume. The formgrader reads ``db_url`` only from a
config file (FACTS.md), so the PostgreSQL gradebook that ``cx-grader`` takes from
``CXA_DB_URL`` is set here from the same variable, and both open the same gradebook.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

COURSE_DIR = os.environ["CXA_COURSE_DIR"]

load_subconfig(os.path.join(COURSE_DIR, "nbgrader_config.py"))  # noqa: F821

if os.environ.get("CXA_DB_URL"):
    c.CourseDirectory.db_url = os.environ["CXA_DB_URL"]
