#!/usr/bin/env bash
# Creates .venv with tftune and the pinned versions of everything it needs (idempotent).
# Usage: scripts/bootstrap.sh [extras]   (default extras: postgres,test)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-postgres,test}"
python="${PYTHON:-python3}"
# The dashboard's browser tests drive Debian's chromium (playwright cannot download a browser).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "bootstrap: /usr/bin/chromium is missing (the dashboard tests need it):" \
      "run 'apt-get install -y chromium' as root" >&2
  fi
fi
# JournalRedisBackend's test runs a real Redis server.
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
  else
    echo "bootstrap: redis-server is missing (a storage test needs it):" \
      "run 'apt-get install -y redis-server' as root" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.tftune-$(cat pyproject.toml requirements/constraints.txt | sha1sum | cut -c1-12)-${extras//,/_}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c requirements/constraints.txt -e ".[${extras}]"
  touch "$stamp"
fi
