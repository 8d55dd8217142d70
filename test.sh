#!/usr/bin/env bash
# The test command of the README: set-up (apt, virtualenv, pip) then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec "${VENV:-.venv}/bin/python" -m pytest -q "$@"  # the virtualenv scripts/setup.sh made (VENV as there)
