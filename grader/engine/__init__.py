"""The grading engine: nbgrader autograding, in parallel, sandboxed and tamper-proof.

nbgrader stays the engine — its gradebook, its Autograde pipeline, its feedback — and
this package grades around it:

- ``cohort``     ``grade_cohort``: N worker processes, a progress bar, a log per learner.
- ``worker``     one worker: nbgrader's Autograde in-process, gradebook writes serialised.
- ``execute``    ``SandboxedExecute``, nbgrader's Execute step replaced: learner code in a
                 sandboxed kernel, tests in the clean room, limits and early stops.
- ``sandbox``    bubblewrap command lines and resource limits.
- ``cleanroom``  the process where tests run, which never ran learner code (in a sandbox).
- ``cleanrun``   the grader's handle on a clean room.
- ``plan``       which cells are the instructor's, which learner names each one reads, and
                 which cannot run in the clean room as written (refused unless declared).
- ``snapshot``   (runs in the learner's kernel) answers encoded as plain data, functions as
                 references; calls to them run there.
- ``values``     (runs in the clean room) answers decoded strictly; functions as proxies.
- ``preflight``  read, check, repair and stage submissions; stamp releases.
- ``feedback``   feedback without hidden test source.
- ``outcome``    what happened to each learner.

This module imports nothing: the clean room imports ``grader.engine.values`` inside its
sandbox, where only the standard library, IPython, NumPy and pandas are needed.
"""
