#!/bin/bash
# After wer-seeds.sh at SEEDS="3 4 5 6 7 8 9" (every arm judged by pocketsphinx on the WordNet set): the WER effects
# over the seven seeds as eval.sh gave the signal scores — each null's drift from its plain twin (seed_pooled.py),
# both effects' t interval over seeds (across_seeds.py), and whether each seed's WER effect repeats on test and dev
# (consistency.py against sg-null-2026-12-06's test/ and dev/, which hold the same seven seeds' WER). Reads the
# judged folder only (no decode, no ASR: seconds). From the repository root.
set -euo pipefail
D=docs/results/sg-wordnet-judge-2026-12-06 A=docs/results/sg-seed3-2026-12-05 N=docs/results/sg-null-2026-12-06
R=exp/wn-judge/judged
P=.venv/bin/python
nulls=()
for s in 3 4 5 6 7 8 9; do nulls+=(same-s$s:same-sgc0-s$s); done
$P scripts/seed_pooled.py $R "${nulls[@]}" --metric wer > $D/wer/null_vs_plain_wer.jsonl
$P $A/across_seeds.py $D/wer/sg_vs_two_baselines_wer.jsonl > $D/wer/sg_vs_two_baselines_across.jsonl
$P $A/across_seeds.py $D/wer/null_vs_plain_wer.jsonl > $D/wer/null_vs_plain_across.jsonl
$P $D/consistency.py --wordnet $D/wer --test $N/test --dev $N/dev > $D/wer/consistency.json
