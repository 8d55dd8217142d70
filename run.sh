#!/usr/bin/env bash
# The main command of the README: set-up (apt, virtualenv, pip), then the main job: the bundled default model
# (pipelines/default_model, its card in README.md there) speaks a sentence into out.wav, on the CPU, no download.
#   ./run.sh                       # the sentence below -> out.wav
#   ./run.sh "Any text." -o x.wav  # arguments go to `python -m pipelines` (--seed, --temperature, --text-file ...)
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  set -- "The quick brown fox jumps over the lazy dog, and then it runs away into the forest." -o out.wav
fi
exec .venv/bin/python -m pipelines "$@"
