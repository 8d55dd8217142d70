#!/usr/bin/env bash
# Run HERE, around a device call: the tracked tree (141 MB, 110 of them docs/results) exceeds the 64 MiB a call
# carries, so docs/results stays behind while the call runs.
#   bash scripts/gpu/travel.sh out    untrack docs/results (files kept) and exclude it: the tree is ~38 MB
#   bash scripts/gpu/travel.sh back   track it again and drop the exclusion
# Between the two, git sees docs/results as deleted from the index: commit nothing until `back` has run.
# `status` prints the tree's travelling size (tracked files plus what is untracked and not ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
exclude=.git/info/exclude
case "${1:-status}" in
  out)
    git rm -r -q --cached docs/results
    grep -qx "/docs/results/" "$exclude" 2>/dev/null || echo "/docs/results/" >> "$exclude" ;;
  back)
    sed -i '\#^/docs/results/$#d' "$exclude"
    git reset -q -- docs/results ;;
  status) ;;
  *) echo "usage: travel.sh out|back|status" >&2; exit 2 ;;
esac
bytes=$( { git ls-files -z; git ls-files -z --others --exclude-standard; } | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
echo "travelling tree: $((bytes / 1048576)) MiB (+ the carried folders: du -sh .whl-gpu .debs)"
