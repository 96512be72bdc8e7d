"""nbgrader as every user pod sees it on Zero to JupyterHub (the image's ``JUPYTER_CONFIG_PATH``).

The course's own config (course id, time limits) is the one source; only the exchange
differs from one machine: it is the shared volume values.yaml mounts in every pod, so a
release, a submission and feedback meet there. Fetched assignments land in the home folder
(nbgrader's default ``Exchange.assignment_dir``: where the server starts).
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

load_subconfig("/opt/cx-academy/assignments/nbgrader_config.py")  # noqa: F821

c.Exchange.root = "/srv/nbgrader/exchange"
