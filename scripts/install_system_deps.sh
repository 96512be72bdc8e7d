#!/usr/bin/env bash
# System packages the grading engine needs, installed only when missing:
#   bubblewrap   the sandbox every submission runs in (grader/engine/sandbox.py)
#   libseccomp2  the sandbox's system-call filter (loaded through the pyseccomp package)
#   postgresql   the tests start a throwaway server to prove a PostgreSQL gradebook works
#   util-linux   setpriv, prlimit and runuser (already there on Debian and Ubuntu)
# Idempotent: when everything is present it changes nothing and exits 0, so `make test`
# runs it every time. Installing needs root (or password-less sudo) and apt-get.
set -euo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
ldconfig -p 2>/dev/null | grep -q "libseccomp\.so\.2 " || missing+=(libseccomp2)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
for tool in setpriv prlimit runuser; do
    command -v "$tool" >/dev/null 2>&1 || { missing+=(util-linux); break; }
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "CX Director Academy needs these system packages: ${missing[*]}." >&2
    echo "This machine has no apt-get: install them with its package manager, then run make again." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "CX Director Academy needs these system packages: ${missing[*]}." >&2
    echo "Installing them needs root. Run: sudo bash scripts/install_system_deps.sh   then run make again." >&2
    exit 1
fi

echo "Installing ${missing[*]} (apt-get)..."
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}."
