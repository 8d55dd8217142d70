#!/usr/bin/env bash
# The main command of the README: set-up (apt, virtualenv, pip), then the main job.
# Until the bundled default model exists (a later issue), the main job builds a small offline speech corpus.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pipelines.corpus synth --out data/synth-small --max-utts "${MAX_UTTS:-300}" "$@"
