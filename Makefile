# CX Director Academy — one entry point for learners, instructors and CI.
#   make demo   set everything up and grade the demo cohort end to end
#   make test   run the whole test suite
#   make lab    open the course in JupyterLab
# Both are idempotent: the virtual environment is built once and reused.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test setup system-deps lab bench clean-notebooks clean

demo: setup system-deps
	$(BIN)/cx-grader demo

test: setup system-deps
	$(BIN)/python -m pytest -n auto --dist loadfile

setup: $(STAMP)

# bubblewrap (the grading sandbox) and PostgreSQL (the tests prove a PostgreSQL gradebook):
# installed with apt-get only when missing.
system-deps:
	bash scripts/install_system_deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "CX Director Academy needs Python 3.11 (found %d.%d): set PYTHON=python3.11" % sys.version_info[:2])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.formgrader >/dev/null 2>&1
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.assignment_list >/dev/null 2>&1
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.course_list >/dev/null 2>&1
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.validate_assignment >/dev/null 2>&1
	touch $(STAMP)

lab: setup
	mkdir -p assignments/exchange
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/course

bench: setup
	$(BIN)/python benchmarks/load_datasets.py
	$(BIN)/python benchmarks/notebook_times.py
	$(BIN)/python benchmarks/grading_throughput.py

clean-notebooks: setup
	$(BIN)/python -m grader.notebooks strip course assignments/source

clean:
	rm -rf $(VENV) build assignments/release assignments/submitted assignments/autograded assignments/feedback assignments/reports assignments/archive assignments/exchange assignments/.cx-engine assignments/gradebook.db
