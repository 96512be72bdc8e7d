"""Lets nbgrader's JupyterLab extensions (formgrader, assignment list, validate) find the
course when JupyterLab is started from the repository root, as `make lab` does."""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)
load_subconfig("assignments/nbgrader_config.py")  # noqa: F821
