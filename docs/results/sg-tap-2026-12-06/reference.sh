#!/bin/bash
# After eval.sh: last-block SG against both twins at the same three seeds (3-5), from the judged folders' cache, so
# that the two taps are set side by side over the same seeds (last_vs_two_baselines.jsonl per set). Seconds.
set -euo pipefail
D=docs/results/sg-tap-2026-12-06 E=exp/sg-capacity P=.venv/bin/python
both=()
for s in 3 4 5; do both+=(same-s$s+same-sgc0-s$s:same-sgc-s$s); done
m=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance)
$P scripts/seed_pooled.py $E/judged-test-new "${both[@]}" "${m[@]}" --metric wer > $D/test/last_vs_two_baselines.jsonl
$P scripts/seed_pooled.py $E/judged-dev-new "${both[@]}" "${m[@]}" --metric wer > $D/dev/last_vs_two_baselines.jsonl
$P scripts/seed_pooled.py exp/wn-judge/judged "${both[@]}" "${m[@]}" > $D/wordnet/last_vs_two_baselines.jsonl
