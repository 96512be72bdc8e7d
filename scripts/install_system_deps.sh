#!/usr/bin/env bash
# System packages the grading engine needs, installed only when missing:
#   bubblewrap   the sandbox every submission runs in (grader/engine/sandbox.py)
#   libseccomp2  the sandbox's system-call filter (loaded through the pyseccomp package)
#   postgresql   the tests start a throwaway server to prove a PostgreSQL gradebook works
#   util-linux   setpriv, prlimit and runuser (already there on Debian and Ubuntu)
# and what the local academy (deploy/academy) and its tests need:
#   nodejs, npm  to run configurable-http-proxy, JupyterHub's proxy
#   configurable-http-proxy@5.3.0 (npm, global) the version measured with JupyterHub 6 on node 20
#   chromium     the browser the academy's browser test drives (Playwright with Debian's chromium)
#   passwd       useradd and userdel, for the academy's system users
# Idempotent: when everything is present it changes nothing and exits 0, so `make test`
# runs it every time. Installing needs root (or password-less sudo) and apt-get.
set -euo pipefail

PROXY_PACKAGE=configurable-http-proxy@5.3.0

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
ldconfig -p 2>/dev/null | grep -q "libseccomp\.so\.2 " || missing+=(libseccomp2)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
for tool in setpriv prlimit runuser; do
    command -v "$tool" >/dev/null 2>&1 || { missing+=(util-linux); break; }
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
need_proxy=0
command -v configurable-http-proxy >/dev/null 2>&1 || need_proxy=1

if [ "${#missing[@]}" -eq 0 ] && [ "$need_proxy" -eq 0 ]; then
    exit 0
fi

if [ "${#missing[@]}" -gt 0 ] && ! command -v apt-get >/dev/null 2>&1; then
    echo "CX Director Academy needs these system packages: ${missing[*]}." >&2
    echo "This machine has no apt-get: install them with its package manager, then run make again." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    [ "$need_proxy" -eq 1 ] && missing+=("$PROXY_PACKAGE (npm)")
    echo "CX Director Academy needs these system packages: ${missing[*]}." >&2
    echo "Installing them needs root. Run: sudo bash scripts/install_system_deps.sh   then run make again." >&2
    exit 1
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing ${missing[*]} (apt-get)..."
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "Installed ${missing[*]}."
fi

if [ "$need_proxy" -eq 1 ]; then
    echo "Installing $PROXY_PACKAGE (npm, global)..."
    "${as_root[@]}" npm install --global --no-fund --no-audit --loglevel=error "$PROXY_PACKAGE" >/dev/null
    echo "Installed $PROXY_PACKAGE."
fi
