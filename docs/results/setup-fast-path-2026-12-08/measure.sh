#!/usr/bin/env bash
# scripts/setup.sh on a finished virtualenv, and ./run.sh whole (set-up, then the default sentence), before (setup.sh
# of git revision $1) and after (the working tree's), arms alternated for $2 rounds (default 5). Each arm runs with
# the stamp it writes itself put in place first (the stamp's format changed: each arm would otherwise re-install
# the project). The working tree's setup.sh is put back at the end, also on an error.
# Prints JSON lines {"arm", "command", "round", "seconds"}:
#   bash docs/results/setup-fast-path-2026-12-08/measure.sh 1a05c8e 5 > docs/results/setup-fast-path-2026-12-08/measure.jsonl
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
rev="${1:?git revision of the setup.sh before}"; rounds="${2:-5}"
keep="$(mktemp)"; cp scripts/setup.sh "$keep"
stamp=.venv/.sgspeech-installed
saved="$(cat "$stamp")"
trap 'cp "$keep" scripts/setup.sh; rm -f "$keep"; echo "$saved" > "$stamp"' EXIT
sha="$(sha256sum pyproject.toml | cut -d' ' -f1)"
torch="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("torch"))')"
seconds() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); printf '%.3f' "$(((t1 - t0) / 1000000))e-3"; }
arm() {  # arm name, then the setup.sh and the stamp of that arm
  case "$1" in
    before) git show "$rev:scripts/setup.sh" > scripts/setup.sh; echo "$sha compat" > "$stamp" ;;
    after) cp "$keep" scripts/setup.sh; echo "$sha compat torch==$torch $root" > "$stamp" ;;
  esac
}
for r in $(seq 1 "$rounds"); do
  for a in before after; do
    arm "$a"
    echo "{\"arm\": \"$a\", \"command\": \"bash scripts/setup.sh\", \"round\": $r, \"seconds\": $(seconds bash scripts/setup.sh)}"
    echo "{\"arm\": \"$a\", \"command\": \"./run.sh\", \"round\": $r, \"seconds\": $(seconds ./run.sh)}"
  done
done
