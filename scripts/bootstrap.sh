#!/usr/bin/env bash
# Bootstrap what Autonom needs on a fresh Debian machine: a virtual environment with the
# pinned packages and, with --browser, Debian's Chromium for the page tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
stamp=.venv/.bootstrapped
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "== installing Python packages (pinned by constraints.txt)"
  .venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
  touch "$stamp"
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the page tests"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
