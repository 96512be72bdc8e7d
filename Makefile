# CX Director Academy — one entry point for learners, instructors and CI.
#   make demo   set everything up and grade the demo cohort end to end
#   make test   run the whole test suite
#   make lab    open the course in JupyterLab as a learner (lessons + Assignment List)
#   make lab-instructor   the same with the instructor's tools (Formgrader, Create Assignment)
#   make academy ROSTER=roster.csv   a company academy: JupyterHub on this machine (root; README)
#   make academy-stop                stop it and remove its users
# Both are idempotent: the virtual environment is built once and reused.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: demo test setup system-deps lab lab-instructor academy academy-stop bench clean-notebooks clean

demo: setup system-deps
	$(BIN)/cx-grader demo

test: setup system-deps
	$(BIN)/python -m pytest -n auto --dist loadfile

setup: $(STAMP)

# bubblewrap (the grading sandbox) and PostgreSQL (the tests prove a PostgreSQL gradebook):
# installed with apt-get only when missing.
system-deps:
	bash scripts/install_system_deps.sh

$(STAMP): pyproject.toml deploy/lab/settings/overrides.json
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "CX Director Academy needs Python 3.11 (found %d.%d): set PYTHON=python3.11" % sys.version_info[:2])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.formgrader >/dev/null 2>&1
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.assignment_list >/dev/null 2>&1
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.course_list >/dev/null 2>&1
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.validate_assignment >/dev/null 2>&1
	install -D -m 644 deploy/lab/settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

# The learner's view: workspace/ holds the lessons (a link to course/) and the assignments the
# Assignment List fetches (nbgrader fetches into the server's working folder, hence the cd);
# the instructor's nbgrader tools are switched off (deploy/lab/learner/).
lab: setup
	mkdir -p assignments/exchange workspace
	test -e workspace/course || ln -s ../course workspace/course
	cd workspace && JUPYTER_CONFIG_PATH=$(CURDIR)/deploy/lab/learner $(CURDIR)/$(BIN)/jupyter lab $(ROOT_FLAG) \
		--ServerApp.root_dir=$(CURDIR)/workspace --LabApp.default_url=/lab/tree/course

# The instructor's view: the whole repository, with Formgrader and Create Assignment.
lab-instructor: setup
	mkdir -p assignments/exchange
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/course

# The company academy (deploy/academy/academy.py, standard library only): JupyterHub on loopback,
# a system user per roster row and one instructor. Needs root; its state folder must be one
# every user can reach. The hub's Python environment is built on first use and reused.
ROSTER ?= deploy/academy/roster.example.csv
ACADEMY_STATE ?= /srv/cx-academy
ACADEMY_PORT ?= 8000

academy: system-deps
	/usr/bin/python3 deploy/academy/academy.py start --roster $(ROSTER) --state $(ACADEMY_STATE) --port $(ACADEMY_PORT)

academy-stop:
	/usr/bin/python3 deploy/academy/academy.py stop --state $(ACADEMY_STATE)

bench: setup
	$(BIN)/python benchmarks/load_datasets.py
	$(BIN)/python benchmarks/notebook_times.py
	$(BIN)/python benchmarks/grading_throughput.py

clean-notebooks: setup
	$(BIN)/python -m grader.notebooks strip course assignments/source

clean:
	rm -rf $(VENV) build assignments/release assignments/submitted assignments/autograded assignments/feedback assignments/reports assignments/archive assignments/exchange assignments/.cx-engine assignments/gradebook.db
