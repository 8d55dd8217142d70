#!/usr/bin/env bash
# A fresh process's start, before (REV, default 7a8369b) and after this change, 2 threads:
#  1. import time of `python -m codec.train --help` and `import pipelines.tts`, the revisions alternated, 5 rounds
#     (FSQGrid: vector-quantize-pytorch no longer imported for an FSQ codec);
#  2. cold_call.py (./run.sh's sentence in a fresh process: its first and second call), 5 rounds of a process with
#     an empty user cache (it times the half-precision copies, as every process did before) and one with the cache
#     a first process filled (it reads the verdict).
# Run from the repository root: bash docs/results/cold-start-2026-12-07/measure.sh > docs/results/cold-start-2026-12-07/measure.jsonl
set -euo pipefail
rev="${REV:-7a8369b}"
old="$(mktemp -d)/old"
git worktree add -q --detach "$old" "$rev"
trap 'git worktree remove --force "$old"' EXIT
py="$PWD/.venv/bin/python"
export OMP_NUM_THREADS=2
for round in 1 2 3 4 5; do
  for tree in "$old" "$PWD"; do
    name=$([ "$tree" = "$PWD" ] && echo new || echo "$rev")
    for what in "-m codec.train --help" "-c import pipelines.tts"; do
      read -ra args <<< "$what"
      [ "${args[0]}" = -c ] && args=(-c "${what#-c }")
      start=$(date +%s.%N)
      (cd "$tree" && PYTHONPATH="$tree" "$py" "${args[@]}" > /dev/null)
      end=$(date +%s.%N)
      echo "{\"round\": $round, \"code\": \"$name\", \"command\": \"python $what\", \"seconds\": $(echo "$end - $start" | bc)}"
    done
  done
done
filled="$(mktemp -d)"
SGSPEECH_CACHE_DIR="$filled" $py docs/results/lean-step-2026-12-07/cold_call.py > /dev/null
for round in 1 2 3 4 5; do
  for cache in empty filled; do
    dir="$filled"
    [ "$cache" = empty ] && dir="$(mktemp -d)"
    SGSPEECH_CACHE_DIR="$dir" $py docs/results/lean-step-2026-12-07/cold_call.py | $py -c \
      "import json, sys; r = json.load(sys.stdin); print(json.dumps({'round': $round, 'user_cache': '$cache', **r}))"
  done
done
