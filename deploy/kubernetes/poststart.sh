#!/bin/sh
# Runs in every user pod once it has started (values.yaml: singleuser.lifecycleHooks.postStart).
# Learners get the read-only lessons in their home; an instructor also gets a course directory
# of their own on the home volume (sources, gradebook, submissions), made once from the image
# and kept across restarts, whose exchange is the shared volume every learner submits to.
# Kubernetes restarts the container when this fails, so it only ever adds what is missing, and
# renews its own links (a new image may move what they point at) but never a folder of the user's.
set -eu

link() {
    if [ -L "$2" ] || [ ! -e "$2" ]; then ln -sfn "$1" "$2"; fi
}

link /opt/cx-academy/course "$HOME/course"

[ "${CXA_ROLE:-learner}" = instructor ] || exit 0

[ -e "$CXA_COURSE_DIR" ] || cp -R /opt/cx-academy/assignments "$CXA_COURSE_DIR"
link /srv/nbgrader/exchange "$CXA_COURSE_DIR/exchange"
