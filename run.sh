#!/usr/bin/env bash
# The main command of the README: set-up (apt, virtualenv, pip), then the main job: the bundled default model
# (pipelines/default_model, its card in README.md there) speaks a sentence into out.wav, on the CPU, no download.
#   ./run.sh                       # the sentence below -> out.wav (in the repository's root)
#   ./run.sh "Any text." -o x.wav  # arguments go to `python -m pipelines` (--seed, --temperature, --text-file ...);
#                                  # their relative paths are read from the current directory, wherever that is
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
bash "$root/scripts/setup.sh"
if [ $# -eq 0 ]; then
  set -- "The quick brown fox jumps over the lazy dog, and then it runs away into the forest." -o "$root/out.wav"
fi
venv="${VENV:-.venv}"  # the virtualenv scripts/setup.sh made (VENV as there: relative to the repository's root)
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
# -P: the current directory is not put on sys.path, so a folder there named like a package here cannot shadow it
exec "$venv/bin/python" -P -m pipelines "$@"
